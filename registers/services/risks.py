"""Writes to risks: rating through the scheme engine, review dates, controls and actions.

Every writer (browser, importer, seeding, commands) goes through these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from scoring.definition import SchemeDefinition
from scoring.engine import RatingError, rate, review_months_for
from scoring.models import SchemeVersion
from scoring.selectors import default_scheme

from .. import caching
from ..calendar import organisation_today
from ..models import Action, Control, Register, Risk, RiskStatus
from ..refs import ref_clean
from . import notice_events
from .register_archive import (
    refuse_if_archived,
    refuse_if_risk_archived,
    registers_hold_for_risks,
)
from .review_submissions import KIND_RATING, needs_sign_off, rated_positions, review_submit
from .risk_edits import merge_stale_edit

POSITIONS = ("inherent", "current", "target")
Position = (
    Sequence[object] | None
)  # (likelihood, impact) as values, codes or labels; None = not rated


def scheme_version_for_register(register: Register) -> SchemeVersion:
    """The scheme version new ratings on this register are made under."""
    scheme = register.scheme or default_scheme(organisation=register.organisation)
    if scheme is None or scheme.current_version is None:
        raise ValidationError(
            f"{register.organisation.slug} has no scoring scheme; load one with load_scheme"
        )
    return scheme.current_version


def scheme_version_read_once(register: Register) -> SchemeVersion:
    """``scheme_version_for_register``, read once per register object: a page that rates a risk
    and shows which version its ratings are under asks several times (the risk page, the sign-off
    panel, ``{% rated_under %}``). Only for reads: a write reads the scheme afresh."""
    cached = register.__dict__.get("_scheme_version_read")
    if cached is None:
        cached = register.__dict__["_scheme_version_read"] = scheme_version_for_register(register)
    return cached


def apply_ratings(
    risk: Risk, *, scheme_version: SchemeVersion, positions: dict[str, Position]
) -> None:
    """Rate each given position through the engine and store levels, scores and band.

    Raises ValidationError naming the field of every position that is off the scheme.
    Positions not given keep their stored values, re-rated under the new version.
    """
    scheme = scheme_version.parsed
    errors: dict[str, str] = {}
    for name in POSITIONS:
        if name in positions:
            position = positions[name]
        else:
            stored = (getattr(risk, f"{name}_likelihood"), getattr(risk, f"{name}_impact"))
            position = None if stored == (None, None) else stored
        if position is None or all(part in (None, "") for part in position):
            setattr(risk, f"{name}_likelihood", None)
            setattr(risk, f"{name}_impact", None)
            setattr(risk, f"{name}_score", None)
            if name == "current":
                risk.current_band = ""
            continue
        try:
            likelihood, impact = position
            rating = rate(scheme, likelihood, impact)
        except (RatingError, ValueError, TypeError) as exc:
            errors[f"{name}_likelihood"] = f"{name} position: {exc}"
            continue
        setattr(risk, f"{name}_likelihood", rating.likelihood.value)
        setattr(risk, f"{name}_impact", rating.impact.value)
        setattr(risk, f"{name}_score", rating.score)
        if name == "current":
            risk.current_band = rating.band.name
    if errors:
        raise ValidationError(errors)
    risk.scheme_version = scheme_version


# Aberdeen 4.4: controls and actions should bring a risk's score down. Advice, never a block.
CURRENT_NOT_LOWER = (
    "The current score is not lower than the initial (inherent) score: controls and "
    "actions should bring it down."
)


def score_warnings(*, inherent_score: int | None, current_score: int | None) -> list[str]:
    """Advice that does not block saving, for a saved risk or a form's preview alike."""
    if inherent_score is None or current_score is None or current_score < inherent_score:
        return []
    return [CURRENT_NOT_LOWER]


def risk_warnings(risk: Risk) -> list[str]:
    return score_warnings(inherent_score=risk.inherent_score, current_score=risk.current_score)


def review_period_months(*, risk: Risk, scheme: SchemeDefinition) -> int:
    """The risk's own period, else its register's, else its band's, else the organisation's."""
    return (
        risk.review_months
        or risk.register.review_months
        or review_months_for(scheme, risk.current_score)
        or risk.organisation.default_review_months
    )


def next_review_due(*, risk: Risk, scheme: SchemeDefinition, reviewed_on: dt.date) -> dt.date:
    return reviewed_on + relativedelta(months=review_period_months(risk=risk, scheme=scheme))


def band_rank(risk: Risk) -> int | None:
    """Where the risk's current band sits in its scheme (1 = the lowest band); None when the
    risk is not rated."""
    if not risk.current_band or risk.scheme_version_id is None:
        return None
    names = [band.name for band in risk.scheme_version.parsed.bands]
    return names.index(risk.current_band) + 1 if risk.current_band in names else None


def bring_review_forward(
    *, risk: Risk, scheme: SchemeDefinition, rank_before: int | None, today: dt.date
) -> None:
    """A re-score into a higher band brings the next review forward to today plus the review
    period that now applies, when that is earlier than the date already set (ESPO: a risk that
    becomes Very high is reviewed within three months). It never moves the date later: only
    recording a review does that."""
    rank = band_rank(risk)
    if rank is None or (rank_before is not None and rank <= rank_before):
        return
    sooner = today + relativedelta(months=review_period_months(risk=risk, scheme=scheme))
    if risk.next_review_due is None or sooner < risk.next_review_due:
        risk.next_review_due = sooner


@transaction.atomic
def risk_create(
    *,
    register: Register,
    ref: str,
    title: str,
    positions: dict[str, Position] | None = None,
    objectives: Iterable = (),
    leads: Iterable = (),
    reviewed_on: dt.date | None = None,
    reason: str = "",
    **fields,
) -> Risk:
    """Create a risk on a register, rated under the register's scheme. Its marking is the
    organisation's default for new risks unless a ``marking`` is given (a blank one is none:
    the admin's add form opens blank). The register is held until the risk is saved: one
    deleted or archived meanwhile is refused (decision 112)."""
    registers_hold_for_risks([register])
    organisation = register.organisation
    if not fields.get("marking"):  # not given, or left blank: nobody chose one
        fields["marking"] = organisation.default_marking
    for name in ("category", "owner", "manager"):
        _check_same_organisation(organisation, name, fields.get(name))
    _refuse_retired("category", fields.get("category"))
    try:
        ref = ref_clean(ref)
    except ValidationError as exc:
        raise ValidationError({"ref": exc.messages}) from None
    if Risk.objects.filter(organisation=organisation, ref__iexact=ref).exists():
        raise ValidationError({"ref": f"{organisation.display_name} already has a risk {ref!r}"})
    response = fields.get("response", "")
    if response and response not in organisation.response_options:
        raise ValidationError(
            {"response": f"{response!r} is not one of {', '.join(organisation.response_options)}"}
        )
    risk = Risk(
        organisation=organisation, register=register, ref=ref, title=title.strip(), **fields
    )
    version = scheme_version_for_register(register)
    apply_ratings(risk, scheme_version=version, positions=positions or {})
    if risk.status == RiskStatus.CLOSED and risk.closed_at is None:
        risk.closed_at = timezone.now()
    if reviewed_on is not None:
        risk.last_reviewed = reviewed_on
        risk.next_review_due = next_review_due(
            risk=risk, scheme=version.parsed, reviewed_on=reviewed_on
        )
    risk.full_clean(exclude=["objectives", "leads"], validate_constraints=False)
    risk._change_reason = reason or "created"
    risk.save()
    if objectives:
        objectives = list(objectives)
        for objective in objectives:
            _check_same_organisation(organisation, "objectives", objective)
            _refuse_retired("objectives", objective)
        risk.objectives.set(objectives)
    if leads:
        leads = list(leads)
        for lead in leads:
            _check_same_organisation(organisation, "leads", lead)
        risk.leads.set(leads)
    notice_events.risks_changed_tell(
        organisation=organisation,
        before={},
        risks=[risk],
        actor=notice_events.acting_user(),
        breaches=False,
    )
    return risk


@transaction.atomic
def control_add(
    *, risk: Risk, description: str, position: int = 0, reason: str = "", **fields
) -> Control:
    refuse_if_risk_archived(risk)
    _check_same_organisation(risk.organisation, "owner", fields.get("owner"))
    control = Control(
        organisation_id=risk.organisation_id,
        risk=risk,
        description=description.strip(),
        position=position,
        **fields,
    )
    control.full_clean()
    if reason:
        control._change_reason = reason
    control.save()
    return control


@transaction.atomic
def action_add(
    *, risk: Risk, description: str, position: int = 0, reason: str = "", **fields
) -> Action:
    refuse_if_risk_archived(risk)
    _check_same_organisation(risk.organisation, "owner", fields.get("owner"))
    action = Action(
        organisation_id=risk.organisation_id,
        risk=risk,
        description=description.strip(),
        position=position,
        **fields,
    )
    action.full_clean()
    if reason:
        action._change_reason = reason
    action.save()
    notice_events.actions_changed_tell(
        organisation=risk.organisation,
        before={},
        actions=[action],
        actor=notice_events.acting_user(),
    )
    return action


# As the risk form and the importer offer them: a retired category or objective stays on the
# risks that have it and is given to no other.
RETIRED_NOT_GIVEN = (
    "{text!r} is retired: it stays on the risks that have it and is given to no other"
)


def _refuse_retired(field: str, obj, *, kept=()) -> None:
    """A retired category or objective may stay where it is (``kept``), never be given anew."""
    if obj is not None and getattr(obj, "retired_at", None) and obj.pk not in kept:
        raise ValidationError({field: RETIRED_NOT_GIVEN.format(text=getattr(obj, "name", obj))})


def _check_same_organisation(organisation, field: str, obj) -> None:
    """Nothing crosses organisations: a user must be a member, a row must belong."""
    if obj is None:
        return
    if hasattr(obj, "organisation_id"):
        if obj.organisation_id != organisation.id:
            raise ValidationError({field: f"{obj} belongs to another organisation"})
    elif not obj.memberships.filter(organisation=organisation).exists():
        raise ValidationError({field: f"{obj} is not a member of {organisation.display_name}"})


# --- changes to an existing risk ---------------------------------------------------------------

# The fields of a risk that its forms change and ``risk_update`` takes, in the order forms show
# them: the one list the edit page's form (``RiskForm.SERVICE_FIELDS``), the Django admin's
# (``RISK_EDITABLE``) and the service's check below are made from. The positions (each a
# likelihood and an impact, rated by the engine) and the lists (objectives, working leads) are
# passed to the services on their own.
RISK_EDITABLE_FIELDS = (
    "title",
    "description",
    "consequence",
    "category",
    "owner",
    "manager",
    "horizon",
    "kind",
    "emerging",
    "response",
    "proximity",
    "progress",
    "marking",
    "review_months",
    "next_review_due",
    "source_note",
)
EDITABLE_FIELDS = frozenset(RISK_EDITABLE_FIELDS)


class RiskConflict(Exception):
    """Someone else saved the risk after the editor loaded it. ``risk`` is the risk as it is now;
    what changed since the editor's version is ``history.changes_since_version``, which the
    conflict pages show."""

    def __init__(self, risk: Risk):
        self.risk = risk
        super().__init__(f"{risk.ref} was changed by someone else while you were editing it")


# A risk's foreign keys as risk_update leaves them: the locked row's own, the register's current
# scheme version, or a category, owner or manager checked above (same organisation, a member).
# Model.full_clean would look each one up again (six queries an edit); the database's foreign key
# constraints still hold.
KEYS_CHECKED = (
    "organisation",
    "register",
    "origin_register",
    "category",
    "owner",
    "manager",
    "scheme_version",
)


@transaction.atomic
def risk_update(
    *,
    risk: Risk,
    expected_version: int,
    fields: dict | None = None,
    positions: dict[str, Position] | None = None,
    objectives: Iterable | None = None,
    leads: Iterable | None = None,
    reason: str = "",
    rescore_scheme: bool = True,
    merge_stale: bool = False,
    choices: Mapping[str, str] | None = None,
    choices_at: int | None = None,
    user=None,
) -> Risk:
    """Change a risk. ``expected_version`` is the version the editor loaded: if someone saved in
    between, nothing is written and RiskConflict says what they changed (optimistic locking).

    With ``merge_stale`` (an edit form, which sends every field it shows) a save from an older
    version is merged instead: only what this person changed since ``expected_version`` is
    written, on top of the others' changes; a field both changed to different values raises
    RiskEditConflict until ``choices`` (made when shown the values of version ``choices_at``)
    say whose value to keep (``services.risk_edits``).

    Positions are re-rated under the register's current scheme version. Unknown fields are refused.

    ``user`` is the person editing, where there is one: on a register that requires sign-off, a
    change of current rating by someone who may not sign it off is not applied but recorded as
    awaiting sign-off (returned as ``sign_off_submission`` on the risk); their other changes
    are saved as usual.
    """
    fields = dict(fields or {})
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"these fields cannot be changed here: {', '.join(sorted(unknown))}")
    # The risk's row alone: FOR UPDATE without OF would lock the joined register and
    # organisation rows too, holding every other edit in the organisation behind this one.
    locked = (
        Risk.objects.select_for_update(of=("self",))
        .select_related("register", "organisation")
        .get(pk=risk.pk)
    )
    refuse_if_archived(locked.register)
    # The register's organisation is the risk's, read with it: not read again for the scheme.
    locked.register.organisation = locked.organisation
    before = notice_events.snapshot([locked])
    as_read = caching.field_values(locked)
    if locked.version != expected_version:
        if not merge_stale:
            raise RiskConflict(locked)
        edit = merge_stale_edit(
            locked,
            expected_version=expected_version,
            fields=fields,
            positions=positions,
            objectives=objectives,
            leads=leads,
            choices=choices,
            choices_at=choices_at,
        )
        if not (
            edit.fields or edit.positions or edit.objectives is not None or edit.leads is not None
        ):
            return locked  # everything this person changed is already saved: no empty record
        fields, positions = edit.fields, edit.positions or None
        objectives, leads = edit.objectives, edit.leads
    organisation = locked.organisation
    for name in ("category", "owner", "manager"):
        if name in fields:
            _check_same_organisation(organisation, name, fields[name])
    if "category" in fields:
        _refuse_retired("category", fields["category"], kept={locked.category_id})
    response = fields.get("response")
    if response and response not in organisation.response_options:
        raise ValidationError(
            {"response": f"{response!r} is not one of {', '.join(organisation.response_options)}"}
        )
    for name, value in fields.items():
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    submitted_current = None
    if positions and "current" in positions and needs_sign_off(register=locked.register, user=user):
        scheme = scheme_version_for_register(locked.register).parsed
        wanted = rated_positions(scheme, {"current": positions["current"]})
        stored = locked.current_likelihood, locked.current_impact
        if wanted["current"] != (None if stored == (None, None) else list(stored)):
            submitted_current = wanted
        positions = {name: value for name, value in positions.items() if name != "current"}
    if positions is not None or rescore_scheme:
        rank_before = band_rank(locked)
        version = scheme_version_for_register(locked.register)
        apply_ratings(locked, scheme_version=version, positions=positions or {})
        bring_review_forward(
            risk=locked,
            scheme=version.parsed,
            rank_before=rank_before,
            today=organisation_today(organisation),
        )
    locked.version += 1
    locked.full_clean(exclude=["objectives", "leads", *KEYS_CHECKED], validate_constraints=False)
    locked._change_reason = reason or "edited"
    caching.saving_changes(locked, as_read)  # an edit of its progress alone keeps the dashboard
    locked.save()
    notice_events.risks_changed_tell(
        organisation=organisation,
        before=before,
        risks=[locked],
        actor=notice_events.acting_user(),
    )
    if objectives is not None:
        objectives = list(objectives)
        kept = set(locked.objectives.values_list("pk", flat=True))
        for objective in objectives:
            _check_same_organisation(organisation, "objectives", objective)
            _refuse_retired("objectives", objective, kept=kept)
        locked.objectives.set(objectives)
    if leads is not None:
        leads = list(leads)
        for lead in leads:
            _check_same_organisation(organisation, "leads", lead)
        locked.leads.set(leads)
    if submitted_current is not None:
        locked.sign_off_submission = review_submit(
            risk=locked,
            user=user,
            scheme=scheme,
            positions=submitted_current,
            note="" if reason in ("", "edited") else reason,
            reviewed_on=organisation_today(organisation),
            kind=KIND_RATING,
        )
    return locked


@transaction.atomic
def risk_close(*, risk: Risk, expected_version: int, reason: str) -> Risk:
    """Close a risk with a reason (MOPAC closed risk 1 as fully mitigated)."""
    if not reason.strip():
        raise ValidationError({"closed_reason": "say why the risk is closed"})
    locked = Risk.objects.select_for_update().get(pk=risk.pk)
    refuse_if_risk_archived(locked)
    if locked.version != expected_version:
        raise RiskConflict(locked)
    if locked.status == RiskStatus.CLOSED:
        raise ValidationError(f"{locked.ref} is already closed")
    if locked.escalations.filter(status="pending").exists():
        raise ValidationError(
            f"{locked.ref} has an escalation waiting for a decision: withdraw it, or have it "
            "decided, before closing the risk"
        )
    locked.status, locked.closed_reason = RiskStatus.CLOSED, reason.strip()
    locked.closed_at = timezone.now()
    locked.version += 1
    locked._change_reason = f"closed: {reason.strip()}"
    locked.save()
    return locked


@transaction.atomic
def risk_reopen(*, risk: Risk, expected_version: int, reason: str = "") -> Risk:
    locked = Risk.objects.select_for_update().get(pk=risk.pk)
    refuse_if_risk_archived(locked)
    if locked.version != expected_version:
        raise RiskConflict(locked)
    if locked.status != RiskStatus.CLOSED:
        raise ValidationError(f"{locked.ref} is not closed")
    locked.status, locked.closed_reason, locked.closed_at = RiskStatus.OPEN, "", None
    locked.version += 1
    locked._change_reason = f"reopened: {reason.strip()}" if reason.strip() else "reopened"
    locked.save()
    return locked
