"""Controls and mitigating actions on a risk: update, remove, complete, promote to a control."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import Action, ActionStatus, Control
from .risks import _check_same_organisation, control_add

CONTROL_FIELDS = frozenset({"description", "owner", "effectiveness", "assurance", "position"})
ACTION_FIELDS = frozenset(
    {
        "description",
        "owner",
        "due_date",
        "status",
        "priority",
        "difficulty",
        "progress_note",
        "position",
    }
)
ACTION_OWNER_FIELDS = frozenset({"status", "progress_note"})  # what an action owner may change


@transaction.atomic
def control_update(*, control: Control, reason: str = "", **fields) -> Control:
    unknown = set(fields) - CONTROL_FIELDS
    if unknown:
        raise ValidationError(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
    if "owner" in fields:
        _check_same_organisation(control.risk.organisation, "owner", fields["owner"])
    for name, value in fields.items():
        setattr(control, name, value.strip() if isinstance(value, str) else value)
    control.full_clean()
    control._change_reason = reason or "edited"
    control.save()
    return control


@transaction.atomic
def control_remove(*, control: Control, reason: str = "") -> None:
    control._change_reason = reason or "removed"
    control.delete()


@transaction.atomic
def action_update(*, action: Action, reason: str = "", **fields) -> Action:
    unknown = set(fields) - ACTION_FIELDS
    if unknown:
        raise ValidationError(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
    if "owner" in fields:
        _check_same_organisation(action.risk.organisation, "owner", fields["owner"])
    was_completed = action.status == ActionStatus.COMPLETED
    for name, value in fields.items():
        setattr(action, name, value.strip() if isinstance(value, str) else value)
    if action.status == ActionStatus.COMPLETED and not was_completed:
        action.completed_at = timezone.now()
    elif action.status != ActionStatus.COMPLETED:
        action.completed_at = None
    action.full_clean()
    action._change_reason = reason or "edited"
    action.save()
    return action


@transaction.atomic
def action_remove(*, action: Action, reason: str = "") -> None:
    action._change_reason = reason or "removed"
    action.delete()


@transaction.atomic
def action_to_control(*, action: Action, effectiveness: str = "not_assessed") -> Control:
    """A completed action becomes a control (Aberdeen 4.5: move it under Current Controls)."""
    if action.status != ActionStatus.COMPLETED:
        raise ValidationError("only a completed action can become a control")
    control = control_add(
        risk=action.risk,
        description=action.description,
        owner=action.owner,
        effectiveness=effectiveness,
        assurance=f"Completed action{f': {action.progress_note}' if action.progress_note else ''}",
    )
    action_remove(action=action, reason=f"became control {control.pk}")
    return control
