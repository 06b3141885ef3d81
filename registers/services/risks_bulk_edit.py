"""Changing many risks at once from the register page: a coordinator picks risks, one field
(owner, manager, category, next review date, marking, or the register they are on), the new
value and a reason, sees what will happen to each risk, and confirms.

``bulk_edit_plan`` reads and decides, writing nothing: for each risk chosen, what it is now and
what it will be, or why it will not change (not found, a register the person does not edit,
already so, a closed risk's review date, a move the one-risk rules refuse, or changed by someone
else since the preview the person confirms). ``bulk_edit_apply`` writes the plan's changes
through ``risks_bulk.risk_update_many``, so the one-risk rules hold and each risk gets one
history record carrying the reason and who; a risk saved by someone else between the plan and
the write is never overwritten (``RiskConflict``, nothing written: plan again).

Queries do not grow with the number of risks: the risks come in one query with what the plan
shows, people and registers are checked once, and the write is ``risk_update_many``'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils.formats import date_format

from .. import permissions
from ..models import Marking, Membership, Register, Risk, RiskStatus
from ..permissions import OrganisationAccess
from .escalation import scales_fit
from .register_archive import archived_message
from .risks import RETIRED_NOT_GIVEN, scheme_version_for_register
from .risks_bulk import MOVE_ONLY_OPEN, RiskChange, risk_update_many

# At most this many risks in one change: a preview a person can still read, and one write.
BULK_LIMIT = 500
TOO_MANY = "choose at most {limit} risks at once (you chose {count})"
NONE_CHOSEN = "select at least one risk on the register"
REASON_REQUIRED = "say why these risks are changed: it is recorded in each risk's history"
REASON_MAX = 500
REASON_TOO_LONG = f"keep the reason under {REASON_MAX} characters"
# Why a chosen risk is not changed (shown on its row of the preview).
NOT_FOUND = "no risk of this organisation has this reference"
NOT_EDITED = "you do not edit the {register} register"
ALREADY = "already {value}"
CLOSED_NO_REVIEW = "closed: a closed risk has no next review"
DESTINATION_NOT_EDITED = "you do not edit the {register} register, so risks cannot be moved to it"
CHANGED_SINCE = "changed by {person} since your preview: not changed"
NOT_A_MEMBER = "{person} is not a member of {organisation}"
OTHER_ORGANISATION = "{value} belongs to another organisation"
# The history reason of every risk changed (the person's own words after it).
HISTORY_REASON = "one of {count} risks changed at once: {reason}"


class BulkField(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    CATEGORY = "category", "Category"
    NEXT_REVIEW = "next_review_due", "Next review date"
    MARKING = "marking", "Handling marking"
    REGISTER = "register", "Register (move the risks)"


class Outcome(models.TextChoices):
    CHANGE = "change", "Will change"
    SAME = "same", "No change"
    REFUSED = "refused", "Will not change"
    STALE = "stale", "Changed since your preview"
    NOT_FOUND = "not_found", "Not found"


@dataclass
class Row:
    ref: str
    risk: Risk | None
    outcome: str
    before: str = ""
    after: str = ""
    message: str = ""

    @property
    def changes(self) -> bool:
        return self.outcome == Outcome.CHANGE

    @property
    def outcome_label(self) -> str:
        return Outcome(self.outcome).label


@dataclass
class Plan:
    access: OrganisationAccess
    field: str
    value: object
    rows: list[Row] = field(default_factory=list)

    @property
    def changing(self) -> list[Row]:
        return [row for row in self.rows if row.changes]

    @property
    def unchanged(self) -> list[Row]:
        return [row for row in self.rows if not row.changes]

    @property
    def stale(self) -> list[Row]:
        return [row for row in self.rows if row.outcome == Outcome.STALE]

    @property
    def label(self) -> str:
        """What is changed, as a sentence starts ("Register", not the choice's "(move ...)")."""
        return BulkField(self.field).label.split(" (")[0]

    @property
    def versions(self) -> dict[str, int]:
        """Each risk's version as planned: carried by the preview, checked on confirm."""
        return {row.ref: row.risk.version for row in self.rows if row.risk is not None}


def refs_clean(refs: Sequence[str]) -> list[str]:
    """The refs chosen, each once, in the order given; ValidationError for none or too many."""
    chosen = list(dict.fromkeys(ref.strip() for ref in refs if ref and ref.strip()))
    if not chosen:
        raise ValidationError(NONE_CHOSEN)
    if len(chosen) > BULK_LIMIT:
        raise ValidationError(TOO_MANY.format(limit=BULK_LIMIT, count=len(chosen)))
    return chosen


def reason_clean(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": REASON_TOO_LONG})
    return reason


def chosen_risks(*, access: OrganisationAccess, refs: Sequence[str]) -> dict[str, Risk]:
    """The risks of the person's organisation named by ``refs`` (another organisation's refs
    are simply not among them), with what a plan shows, in one query."""
    risks = (
        permissions.risks_for_user(user=access.user, organisation=access.organisation)
        .filter(ref__in=list(refs))
        .select_related(
            "register",
            "register__organisation",
            "category",
            "owner",
            "manager",
            "scheme_version",
            "organisation",
        )
    )
    return {risk.ref: risk for risk in risks}


def _shown(name: str, value) -> str:
    if value is None or value == "":
        return {
            BulkField.OWNER: "Nobody",
            BulkField.MANAGER: "Nobody",
            BulkField.CATEGORY: "No category",
            BulkField.NEXT_REVIEW: "Not set",
        }.get(name, "None")
    if isinstance(value, dt.date):
        return date_format(value, "j F Y")
    if name in (BulkField.OWNER, BulkField.MANAGER):
        return value.display_name
    if name == BulkField.MARKING:
        return Marking(value).label
    return getattr(value, "name", str(value))


def _check_value(access: OrganisationAccess, name: str, value) -> None:
    """Nothing crosses organisations: a person must be a member, a row must belong."""
    organisation = access.organisation
    if name in (BulkField.OWNER, BulkField.MANAGER):
        if (
            value is not None
            and not Membership.objects.filter(organisation=organisation, user=value).exists()
        ):
            raise ValidationError(
                {
                    name: NOT_A_MEMBER.format(
                        person=value.display_name, organisation=organisation.display_name
                    )
                }
            )
    elif name in (BulkField.CATEGORY, BulkField.REGISTER):
        if value is not None and value.organisation_id != organisation.id:
            raise ValidationError({name: OTHER_ORGANISATION.format(value=value)})
        if name == BulkField.REGISTER and value is None:
            raise ValidationError({name: "choose the register to move the risks to"})
    elif name == BulkField.NEXT_REVIEW:
        if not isinstance(value, dt.date):
            raise ValidationError({name: "enter the next review date"})
    elif name == BulkField.MARKING:
        if value not in Marking.values:
            raise ValidationError({name: f"{value!r} is not a handling marking"})
    else:
        raise ValidationError({"field": f"{name!r} cannot be changed for many risks at once"})


def _current(risk: Risk, name: str):
    return getattr(risk, name)


def _same(risk: Risk, name: str, value) -> bool:
    if name in (BulkField.OWNER, BulkField.MANAGER, BulkField.CATEGORY, BulkField.REGISTER):
        return getattr(risk, f"{name}_id") == getattr(value, "pk", None)
    return _current(risk, name) == value


def _changed_by(stale: list[Risk]) -> dict[int, str]:
    """Who saved each stale risk last (its history record of the version it is at now)."""
    if not stale:
        return {}
    records = (
        Risk.history.filter(reduce(or_, (Q(id=r.pk, version=r.version) for r in stale)))
        .select_related("history_user")
        .order_by("history_date")
    )
    return {
        record.id: record.history_user.display_name if record.history_user else "someone else"
        for record in records
    }


def _move_refusal(access, risk: Risk, destination: Register, target, parsed: dict) -> str:
    """Why ``risk`` cannot be moved to ``destination`` (the one-risk rules), or ""."""
    if destination.archived_at is not None:
        return archived_message(destination)
    if not access.can_edit_register(destination):
        return DESTINATION_NOT_EDITED.format(register=destination.name)
    if risk.status != RiskStatus.OPEN:
        return MOVE_ONLY_OPEN.format(ref=risk.ref, status=risk.get_status_display().lower())
    if risk.scheme_version is not None:  # each version parsed once for the whole plan
        risk.scheme_version = parsed.setdefault(risk.scheme_version_id, risk.scheme_version)
    try:
        scales_fit(risk, destination, target=target)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


def bulk_edit_plan(
    *,
    access: OrganisationAccess,
    refs: Sequence[str],
    field: str,
    value,
    versions: Mapping[str, int] | None = None,
) -> Plan:
    """What setting ``field`` to ``value`` would do to each risk named in ``refs``, writing
    nothing. With ``versions`` (each risk's version when the person saw the preview) a risk
    saved since is planned as stale: it will not be changed.

    Raises ValidationError for input that is wrong for every risk (no risks, too many, a value
    of another organisation, a person who is not a member)."""
    refs = refs_clean(refs)
    _check_value(access, field, value)
    found = chosen_risks(access=access, refs=refs)
    plan = Plan(access=access, field=field, value=value)
    target, parsed = None, {}
    if field == BulkField.REGISTER and value.archived_at is None:
        target = scheme_version_for_register(value)
    stale_risks = [
        risk
        for ref, risk in found.items()
        if versions is not None and versions.get(ref) not in (None, risk.version)
    ]
    changed_by = _changed_by(stale_risks)
    after = _shown(field, value)
    for ref in refs:
        risk = found.get(ref)
        if risk is None:
            plan.rows.append(Row(ref=ref, risk=None, outcome=Outcome.NOT_FOUND, message=NOT_FOUND))
            continue
        row = Row(
            ref=ref,
            risk=risk,
            outcome=Outcome.CHANGE,
            before=_shown(field, _current(risk, field)),
            after=after,
        )
        plan.rows.append(row)
        if risk.register.archived_at is not None:
            row.outcome, row.message = Outcome.REFUSED, archived_message(risk.register)
        elif not access.can_edit_risk(risk):
            row.outcome = Outcome.REFUSED
            row.message = NOT_EDITED.format(register=risk.register.name)
        elif risk in stale_risks:
            row.outcome = Outcome.STALE
            row.message = CHANGED_SINCE.format(person=changed_by.get(risk.pk, "someone else"))
        elif _same(risk, field, value):
            row.outcome, row.message = Outcome.SAME, ALREADY.format(value=after)
        elif field == BulkField.NEXT_REVIEW and risk.status == RiskStatus.CLOSED:
            row.outcome, row.message = Outcome.REFUSED, CLOSED_NO_REVIEW
        elif field == BulkField.CATEGORY and value is not None and value.retired_at is not None:
            row.outcome = Outcome.REFUSED
            row.message = RETIRED_NOT_GIVEN.format(text=value.name)
        elif field == BulkField.REGISTER:
            message = _move_refusal(access, risk, value, target, parsed)
            if message:
                row.outcome, row.message = Outcome.REFUSED, message
    return plan


@transaction.atomic
def bulk_edit_apply(*, access: OrganisationAccess, plan: Plan, reason: str, user) -> list[Risk]:
    """Write the plan's changes (one history record per risk, with the reason and ``user``).
    A risk saved since the plan was made raises RiskConflict and nothing is written."""
    reason = reason_clean(reason)
    rows = [row for row in plan.changing if access.can_edit_risk(row.risk)]
    if not rows:
        return []
    history_reason = (
        reason if len(rows) == 1 else HISTORY_REASON.format(count=len(rows), reason=reason)
    )
    if plan.field == BulkField.REGISTER:
        changes = [
            RiskChange(risk_id=row.risk.pk, expected_version=row.risk.version, register=plan.value)
            for row in rows
        ]
    else:
        changes = [
            RiskChange(
                risk_id=row.risk.pk,
                expected_version=row.risk.version,
                fields={plan.field: plan.value},
            )
            for row in rows
        ]
    return risk_update_many(changes=changes, reason=history_reason, by=user)
