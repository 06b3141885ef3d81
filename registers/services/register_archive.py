"""Archiving a register, and the one rule every write to a risk obeys: nothing changes on an
archived register.

An archived register is read-only: no risk is created, edited, reviewed, closed or reopened on
it, imported into it, escalated into or out of it, and its controls, actions and links are not
changed. It leaves the dashboard, My work, the reminders and the registers' default lists; its
pages stay readable (with an "Archived on" banner), its history stays, and packs as at a day
before it was archived still include it (``archived_at`` against the pack's moment).

Two rules keep the tree whole: a register with a register below it that is not archived cannot
be archived (archive those first), and a register under an archived one cannot be brought back
before it. A register with an escalation waiting for a decision, into it or out of it, cannot be
archived either: the request would be stuck.

``refuse_if_archived`` is what the risk services (``registers.services.risks``, ``reviews``,
``treatments``, ``escalation``, ``links``) and the importer call; ``OrganisationAccess`` refuses
the same writes before they reach a service (``registers.permissions``). A write that puts risks
on a register (created, imported, moved, escalated there) asks ``registers_hold_for_risks``
instead: the same rule on the row as it is now, held until the write commits (decision 112).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import Escalation, EscalationStatus, Register, Risk
from ..selectors.exposure import forget_exposure
from .organisations import (
    PARENT_ARCHIVED_CHOICE,  # noqa: F401  (see below)
    register_row_lock,
    register_tree_lock,
    registers_key_share,
)

# The rule's words, raised by every service that would change a risk on an archived register.
REGISTER_ARCHIVED = (
    "{register} is archived: its risks cannot be added, changed, reviewed, imported or moved "
    "(an admin can bring it back from the registers settings page)"
)
ARCHIVE_REASON_REQUIRED = "say why the register is archived"
UNARCHIVE_REASON_REQUIRED = "say why the register is brought back"
REASON_MAX = 500
REASON_TOO_LONG = f"keep the reason under {REASON_MAX} characters"
ALREADY_ARCHIVED = "{register} is already archived"
NOT_ARCHIVED = "{register} is not archived"
CHILDREN_NOT_ARCHIVED = (
    "{register} has registers below it that are not archived ({children}): archive them first"
)
PARENT_ARCHIVED = "{register} sits under {parent}, which is archived: bring {parent} back first"
ESCALATIONS_PENDING = (
    "{register} has {count} escalation request{s} waiting for a decision: accept, decline or "
    "withdraw {them} first"
)
# The tree's other rule, a register in use never under an archived one, is asked by
# register_create (every new register) and register_change: its words (PARENT_ARCHIVED_CHOICE)
# are in services.organisations, beside register_create, and named here too.

# History reasons (a text column: kept whole).
ARCHIVED_REASON = "archived: {reason}"
UNARCHIVED_REASON = "brought back from the archive: {reason}"


def archived_message(register: Register) -> str:
    return REGISTER_ARCHIVED.format(register=register.name)


def refuse_if_archived(register: Register) -> None:
    """Raise the rule's ValidationError when ``register`` is archived."""
    if register.archived_at is not None:
        raise ValidationError(archived_message(register))


def registers_hold_for_risks(registers: Iterable[Register]) -> None:
    """``refuse_if_archived`` for each register a write puts risks on (created, imported,
    moved or escalated there), asked of the rows as they are now and held ``FOR KEY SHARE``
    until the write commits (``organisations.registers_key_share``, decision 112): one deleted
    meanwhile is refused by name, one archived meanwhile with the rule's words, where the write
    failed at commit on the foreign key (a 500) or was saved on the archived register. One
    query, however many registers."""
    registers = list(registers)
    archived = registers_key_share(registers)
    for register in registers:
        if archived[register.pk] is not None:
            raise ValidationError(archived_message(register))


def refuse_if_risk_archived(risk: Risk) -> None:
    """As ``refuse_if_archived`` for the register ``risk`` is on: no query when the risk came
    with its register (the importer's, the services' locked rows), one otherwise."""
    if Risk.register.is_cached(risk):
        refuse_if_archived(risk.register)
        return
    archived = Register.objects.filter(pk=risk.register_id, archived_at__isnull=False).first()
    if archived is not None:
        raise ValidationError(archived_message(archived))


def _reason(text: str, required: str) -> str:
    reason = " ".join((text or "").split())
    if not reason:
        raise ValidationError({"reason": required})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": REASON_TOO_LONG})
    return reason


def archive_blockers(register: Register) -> list[str]:
    """Why ``register`` cannot be archived now (empty: it can)."""
    problems = []
    children = list(
        Register.objects.filter(parent_id=register.pk, archived_at__isnull=True)
        .order_by("name")
        .values_list("name", flat=True)
    )
    if children:
        problems.append(
            CHILDREN_NOT_ARCHIVED.format(register=register.name, children=", ".join(children))
        )
    pending = Escalation.objects.filter(status=EscalationStatus.PENDING).filter(
        organisation_id=register.organisation_id
    )
    count = (
        pending.filter(from_register_id=register.pk).count()
        + pending.filter(to_register_id=register.pk).exclude(from_register_id=register.pk).count()
    )
    if count:
        problems.append(
            ESCALATIONS_PENDING.format(
                register=register.name,
                count=count,
                s="" if count == 1 else "s",
                them="it" if count == 1 else "them",
            )
        )
    return problems


@transaction.atomic
def register_archive(*, register: Register, reason: str, by) -> Register:
    """Archive ``register``: read-only from now on. One history row with who and why."""
    reason = _reason(reason, ARCHIVE_REASON_REQUIRED)
    # The tree's lock first: no register is made or moved under this one, or brought back
    # below it, while its children are checked (decision 103).
    register_tree_lock(register.organisation_id)
    locked = register_row_lock(register, Register.objects.select_for_update())
    if locked.archived_at is not None:
        raise ValidationError(ALREADY_ARCHIVED.format(register=locked.name))
    problems = archive_blockers(locked)
    if problems:
        raise ValidationError(problems)
    locked.archived_at = timezone.now()
    locked.full_clean(validate_unique=False, validate_constraints=False)
    locked._change_reason = ARCHIVED_REASON.format(reason=reason)
    locked._history_user = by
    locked.save()
    register.archived_at = locked.archived_at
    return locked


@transaction.atomic
def register_unarchive(*, register: Register, reason: str, by) -> Register:
    """Bring ``register`` back into use. One history row with who and why."""
    reason = _reason(reason, UNARCHIVE_REASON_REQUIRED)
    # The tree's lock first: its parent is not archived while it is checked (decision 103).
    register_tree_lock(register.organisation_id)
    locked = register_row_lock(
        register, Register.objects.select_for_update(of=("self",)).select_related("parent")
    )
    if locked.archived_at is None:
        raise ValidationError(NOT_ARCHIVED.format(register=locked.name))
    if locked.parent is not None and locked.parent.archived_at is not None:
        raise ValidationError(
            PARENT_ARCHIVED.format(register=locked.name, parent=locked.parent.name)
        )
    locked.archived_at = None
    locked.full_clean(validate_unique=False, validate_constraints=False)
    locked._change_reason = UNARCHIVED_REASON.format(reason=reason)
    locked._history_user = by
    locked.save()
    register.archived_at = None
    # Its risks count again at the quarter ends since it was archived.
    forget_exposure(locked.organisation_id)
    return locked
