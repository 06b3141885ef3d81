"""Escalation and de-escalation of risks between registers (MOPAC 1.6, Aberdeen 3.6).

A coordinator or owner asks to move a risk up to its register's parent (escalation) or down to a
child register (de-escalation) with a reason. While the request is pending the risk stays where it
is, with status "escalated"; the receiving register's coordinators accept it (the risk moves,
remembers the register it came from and gets the owner they choose) or decline it with a reason;
the requester may withdraw it. Every step writes the risk's history (who, when, what changed)
with a change reason naming the step and the escalation's id, so the readable history
(``registers.history``) can show the full reason from the ``Escalation`` row:

- ``escalation requested (#<id>): <reason>`` (``de-escalation requested (#<id>): ...``)
- ``escalated (#<id>): <reason>`` (``de-escalated (#<id>): ...``)
- ``escalation declined (#<id>): <note>`` (``de-escalation declined ...``)
- ``escalation withdrawn (#<id>)`` (``: <note>`` when one is given)

Reports of movement should read the ``Escalation`` rows (status, ``decided_at``) and the risk's
register changes in history, not parse these reasons.

Permissions are the views' business (``OrganisationAccess.can_escalate`` and friends); these
functions enforce the domain rules: where a risk may go, one pending request per risk, a decision
only on a request that is still pending and on the risk as the decider saw it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from ..models import (
    Escalation,
    EscalationDirection,
    EscalationStatus,
    Membership,
    Register,
    Risk,
    RiskStatus,
)
from ..permissions import RISK_OWNER_ROLES
from . import notice_events
from .register_archive import refuse_if_archived, registers_hold_for_risks
from .risks import POSITIONS, apply_ratings, next_review_due, scheme_version_for_register

REASON_MAX = 2000


def change_reason(step: str, escalation: Escalation, text: str = "") -> str:
    """``<step> (#<id>): <text>``, the text whole (history reasons are a text column)."""
    return f"{step} (#{escalation.pk})" + (f": {' '.join(text.split())}" if text else "")


def _noun(direction: str) -> str:
    return "de-escalation" if direction == EscalationDirection.DOWN else "escalation"


def _person(user) -> str:
    if user is None:
        return "someone"
    return getattr(user, "display_name", None) or user.get_full_name() or user.email


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "j F Y") if moment else ""


def _lock_risk(risk: Risk) -> Risk:
    return (
        Risk.objects.select_for_update(of=("self",))
        .select_related("register", "register__parent", "organisation", "scheme_version")
        .get(pk=risk.pk)
    )


def _lock_escalation(escalation: Escalation) -> Escalation:
    return (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("from_register", "to_register", "requested_by", "decided_by")
        .get(pk=escalation.pk)
    )


def _clean_text(value: str, *, field: str, required: str = "") -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: required})
    if len(text) > REASON_MAX:
        raise ValidationError({field: f"keep it under {REASON_MAX} characters"})
    return text


def pending_escalation(risk: Risk) -> Escalation | None:
    """The risk's pending request, if it has one."""
    return (
        Escalation.objects.filter(risk_id=risk.pk, status=EscalationStatus.PENDING)
        .select_related("from_register", "to_register", "requested_by")
        .first()
    )


def _refuse_if_pending(risk: Risk) -> None:
    pending = pending_escalation(risk)
    if pending is not None:
        raise ValidationError(
            f"{risk.ref} already has a pending {_noun(pending.direction)} to "
            f"{pending.to_register.name}, requested by {_person(pending.requested_by)} on "
            f"{_when(pending.requested_at)}: it must be accepted, declined or withdrawn before "
            "another request"
        )


def _destination(risk: Risk, direction: str, to_register: Register | None) -> Register:
    here = risk.register
    if direction == EscalationDirection.UP:
        parent = here.parent
        if parent is None:
            raise ValidationError(
                f"{here.name} has no parent register, so {risk.ref} cannot be escalated from it"
            )
        if to_register is not None and to_register.pk != parent.pk:
            raise ValidationError(
                {
                    "to_register": f"a risk on {here.name} escalates only to its parent "
                    f"register, {parent.name}"
                }
            )
        return parent
    if direction != EscalationDirection.DOWN:
        raise ValidationError({"direction": "choose escalation (up) or de-escalation (down)"})
    if to_register is None:
        raise ValidationError({"to_register": "choose the register to de-escalate the risk to"})
    if to_register.organisation_id != risk.organisation_id or to_register.parent_id != here.pk:
        raise ValidationError(
            {
                "to_register": f"{to_register.name} is not a register under {here.name}: a risk "
                "de-escalates only to a child register of its own"
            }
        )
    return to_register


def _scales_fit(risk: Risk, to_register: Register):
    """The scheme version the risk would be rated under on ``to_register``; ValidationError when
    that register's scheme has scales the risk's levels cannot be carried across to."""
    return scales_fit(risk, to_register, target=scheme_version_for_register(to_register))


def scales_fit(risk: Risk, to_register: Register, *, target):
    """As ``_scales_fit`` with the receiving register's scheme version ``target`` already known
    (a bulk move reads it once for every risk)."""
    current = risk.scheme_version
    rated = [p for p in POSITIONS if getattr(risk, f"{p}_likelihood") is not None]
    if current is None or not rated or current.scheme_id == target.scheme_id:
        return target
    here, there = current.parsed, target.parsed
    if len(here.likelihood) == len(there.likelihood) and len(here.impact) == len(there.impact):
        return target
    raise ValidationError(
        f"{risk.ref} is rated on {here.name} ({len(here.likelihood)} likelihood by "
        f"{len(here.impact)} impact levels) but {to_register.name} uses {there.name} "
        f"({len(there.likelihood)} by {len(there.impact)}): the scales do not fit, so its "
        "ratings cannot be carried across. Ask an organisation admin to give both registers the "
        "same scheme, or raise a new risk on the receiving register."
    )


def _check_fresh(risk: Risk, escalation: Escalation, expected_version: int | None) -> None:
    if risk.register_id != escalation.from_register_id:
        raise ValidationError(
            f"{risk.ref} is no longer on {escalation.from_register.name}: this request is out of "
            "date"
        )
    if expected_version is not None and risk.version != expected_version:
        raise ValidationError(
            f"{risk.ref} was changed after you opened this page: look at it again before you decide"
        )


def _check_pending(escalation: Escalation) -> None:
    if escalation.status == EscalationStatus.PENDING:
        return
    by = _person(escalation.decided_by) if escalation.decided_by_id else ""
    when = _when(escalation.decided_at)
    done = escalation.get_status_display().lower()
    detail = " ".join(part for part in (f"by {by}" if by else "", f"on {when}" if when else ""))
    raise ValidationError(
        f"This {_noun(escalation.direction)} of {escalation.risk.ref} was already {done}"
        + (f" {detail}" if detail else "")
        + ": nothing was changed"
    )


def _save_risk(risk: Risk, *, user, reason: str) -> None:
    risk.version += 1
    risk._change_reason = reason
    risk._history_user = user
    risk.full_clean(exclude=["objectives", "leads"], validate_constraints=False)
    risk.save()


@transaction.atomic
def escalation_request(
    *,
    risk: Risk,
    user,
    reason: str,
    direction: str = EscalationDirection.UP,
    to_register: Register | None = None,
    expected_version: int | None = None,
) -> Escalation:
    """Ask to move ``risk`` up to its register's parent, or down to one of its child registers.

    The risk stays where it is, with status "escalated", until the request is decided."""
    reason = _clean_text(reason, field="reason", required="say why the risk should move")
    locked = _lock_risk(risk)
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(
            f"{locked.ref} was changed after you opened this page: look at it again first"
        )
    if locked.status == RiskStatus.CLOSED:
        raise ValidationError(f"{locked.ref} is closed: reopen it before moving it")
    _refuse_if_pending(locked)
    refuse_if_archived(locked.register)
    destination = _destination(locked, direction, to_register)
    # Held until the request is saved: one deleted or archived meanwhile is refused (decision
    # 112). The request then names it, which keeps it (``register_delete``): accepting needs
    # no hold.
    registers_hold_for_risks([destination])
    _scales_fit(locked, destination)
    escalation = Escalation(
        organisation_id=locked.organisation_id,
        risk=locked,
        direction=direction,
        from_register=locked.register,
        to_register=destination,
        reason=reason,
        requested_by=user,
    )
    escalation._history_user = user
    escalation.full_clean(validate_constraints=False)
    escalation.save()
    locked.status = RiskStatus.ESCALATED
    _save_risk(
        locked, user=user, reason=change_reason(f"{_noun(direction)} requested", escalation, reason)
    )
    notice_events.escalation_requested_tell(escalation, actor=user)
    return escalation


def _new_owner(organisation_id: int, new_owner):
    if new_owner is None:
        raise ValidationError({"new_owner": "choose who will own the risk"})
    membership = Membership.objects.filter(
        organisation_id=organisation_id, user_id=new_owner.pk
    ).first()
    if membership is None:
        raise ValidationError(
            {"new_owner": f"{_person(new_owner)} is not a member of this organisation"}
        )
    if membership.role not in RISK_OWNER_ROLES:
        raise ValidationError(
            {
                "new_owner": f"{_person(new_owner)} only reads the registers (their role is "
                f"{membership.get_role_display().lower()}): choose someone who can own risks"
            }
        )
    return new_owner


@transaction.atomic
def escalation_accept(
    *,
    escalation: Escalation,
    user,
    new_owner,
    note: str = "",
    expected_version: int | None = None,
) -> Risk:
    """The receiving register takes the risk: it moves there, remembers where it came from, gets
    ``new_owner`` and is open again; its ratings are re-rated under the receiving register's
    scheme (refused when the scales do not fit)."""
    note = _clean_text(note, field="note")
    locked_escalation = _lock_escalation(escalation)
    locked = _lock_risk(locked_escalation.risk)
    locked_escalation.risk = locked
    _check_pending(locked_escalation)
    _check_fresh(locked, locked_escalation, expected_version)
    if locked.status == RiskStatus.CLOSED:
        raise ValidationError(
            f"{locked.ref} was closed after the request was made: decline the request instead"
        )
    owner = _new_owner(locked.organisation_id, new_owner)
    source, destination = locked_escalation.from_register, locked_escalation.to_register
    refuse_if_archived(source)
    refuse_if_archived(destination)
    scheme_version = _scales_fit(locked, destination)
    before = notice_events.snapshot([locked])
    locked.register = destination
    try:
        apply_ratings(locked, scheme_version=scheme_version, positions={})
    except ValidationError as exc:
        raise ValidationError(
            f"{locked.ref} cannot be rated on {destination.name}'s scheme: "
            + "; ".join(exc.messages)
        ) from None
    locked.origin_register = source
    locked.owner = owner
    locked.status = RiskStatus.OPEN
    if locked.last_reviewed is not None:
        # The receiving register's review period now applies.
        locked.next_review_due = next_review_due(
            risk=locked, scheme=scheme_version.parsed, reviewed_on=locked.last_reviewed
        )
    moved = (
        "de-escalated" if locked_escalation.direction == EscalationDirection.DOWN else "escalated"
    )
    _save_risk(
        locked, user=user, reason=change_reason(moved, locked_escalation, locked_escalation.reason)
    )
    locked_escalation.new_owner = owner
    _decide(locked_escalation, user=user, status=EscalationStatus.ACCEPTED, note=note)
    notice_events.risks_changed_tell(
        organisation=locked.organisation, before=before, risks=[locked], actor=user
    )
    notice_events.escalation_decided_tell(locked_escalation, actor=user)
    return locked


@transaction.atomic
def escalation_decline(
    *,
    escalation: Escalation,
    user,
    note: str,
    expected_version: int | None = None,
) -> Escalation:
    """The receiving register declines, with a reason: the risk stays where it is, open."""
    note = _clean_text(note, field="note", required="say why the request is declined")
    locked_escalation = _lock_escalation(escalation)
    locked = _lock_risk(locked_escalation.risk)
    locked_escalation.risk = locked
    _check_pending(locked_escalation)
    _check_fresh(locked, locked_escalation, expected_version)
    _reopen_after_request(
        locked,
        user=user,
        reason=change_reason(
            f"{_noun(locked_escalation.direction)} declined", locked_escalation, note
        ),
    )
    declined = _decide(locked_escalation, user=user, status=EscalationStatus.DECLINED, note=note)
    notice_events.escalation_decided_tell(declined, actor=user)
    return declined


@transaction.atomic
def escalation_withdraw(*, escalation: Escalation, user, note: str = "") -> Escalation:
    """The requester (or the sending register) withdraws a pending request."""
    note = _clean_text(note, field="note")
    locked_escalation = _lock_escalation(escalation)
    locked = _lock_risk(locked_escalation.risk)
    locked_escalation.risk = locked
    _check_pending(locked_escalation)
    reason = change_reason(
        f"{_noun(locked_escalation.direction)} withdrawn", locked_escalation, note
    )
    _reopen_after_request(locked, user=user, reason=reason)
    withdrawn = _decide(locked_escalation, user=user, status=EscalationStatus.WITHDRAWN, note=note)
    notice_events.escalation_withdrawn_tell(withdrawn, actor=user)
    return withdrawn


def _reopen_after_request(risk: Risk, *, user, reason: str) -> None:
    if risk.status == RiskStatus.ESCALATED:
        risk.status = RiskStatus.OPEN
    _save_risk(risk, user=user, reason=reason)


def _decide(escalation: Escalation, *, user, status: str, note: str) -> Escalation:
    escalation.status = status
    escalation.decided_by = user
    escalation.decided_at = timezone.now()
    escalation.decision_note = note
    escalation._history_user = user
    escalation.save()
    return escalation
