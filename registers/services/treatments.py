"""Controls and mitigating actions on a risk: update, remove, complete, promote to a control.

Edits carry the version the person opened. A save from an older version is merged three ways
(``registers.merging``): what they changed is applied on top of what others saved since; a field
both changed to different values is refused until they choose whose value to keep.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from ..merging import KEEP_MINE, FieldConflict, choices_that_count, three_way_merge
from ..models import Action, ActionStatus, Control
from . import notice_events
from .register_archive import refuse_if_risk_archived
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

VERSION_UNKNOWN = (
    "this form came from a version of the {noun} that does not exist: open the {noun} again"
)
CHOOSE_A_VALUE = "Choose whose {field} to keep: theirs or yours"


class TreatmentConflict(Exception):
    """Someone saved the control or action after the person opened it and changed some of the
    same fields to other values. Nothing was written.

    ``conflicts`` are those fields (opened, mine, theirs); ``merged`` the form's values to show
    again: theirs where only they changed a field, mine everywhere else; ``chosen`` the choices
    already made against these values; ``unchosen`` the conflicts the person was already shown,
    at this version, and chose nothing for."""

    def __init__(
        self,
        *,
        current: models.Model,
        conflicts: list[FieldConflict],
        merged: dict,
        chosen: dict[str, str],
        by: list[str],
        unchosen: list[str],
        base_known: bool = True,
    ):
        self.current = current
        self.conflicts = conflicts
        self.merged = merged
        self.chosen = chosen
        self.by = by
        self.unchosen = unchosen
        self.base_known = base_known  # False: no history record of the opened version
        noun = current._meta.verbose_name
        super().__init__(f"the {noun} was changed by someone else while you were editing it")


def _stored(obj, model: type[models.Model], name: str):
    """A field's value as stored (a relation by its id), from a row or a history record."""
    return getattr(obj, model._meta.get_field(name).attname)


def _comparable(value):
    """Values as a merge compares them: the same text typed in a browser (CRLF) or stored by an
    import (LF) is the same text; a person is their id."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return value


def _clean(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def merged_fields(
    model: type[models.Model],
    locked: models.Model,
    *,
    expected_version: int | None,
    fields: dict,
    choices: Mapping[str, str] | None,
    choices_at: int | None,
    together: Iterable[tuple[str, ...]] = (),
) -> dict:
    """The fields to write: those of ``fields`` that differ from the row when the form is
    current, else only those this person changed since ``expected_version`` (and the conflicts
    they chose their value for).
    ``together``: groups of fields that hold only as a whole (an indicator's direction and
    thresholds): when both people changed something of a group, each of its fields where their
    values differ is a conflict, so a merge never joins one person's amber to the other's red.
    Raises TreatmentConflict when a field both people changed has no choice yet."""
    noun = model._meta.verbose_name
    if expected_version is None or expected_version == locked.version:
        # Only real changes: an untouched text sent back with a browser's line endings is not
        # rewritten, so history shows what the person changed and nothing else.
        return {
            name: value
            for name, value in fields.items()
            if _comparable(value) != _comparable(_stored(locked, model, name))
        }
    if not 1 <= expected_version < locked.version:
        raise ValidationError(VERSION_UNKNOWN.format(noun=noun))
    names = list(fields)
    records = list(
        model.history.filter(id=locked.pk, version__gte=expected_version)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    opened = [record for record in records if record.version == expected_version]
    # No record of the opened version (a row from before versions were kept in history): there
    # is no telling who changed what, so every difference is for the person to decide.
    base = {n: _comparable(_stored(opened[-1], model, n)) for n in names} if opened else None
    theirs = {n: _comparable(_stored(locked, model, n)) for n in names}
    mine = {n: _comparable(value) for n, value in fields.items()}
    merged, conflicts = three_way_merge(base, mine, theirs, names)
    if base is not None:  # without it every difference is a conflict already
        conflicts = _conflicts_together(base, mine, theirs, merged, conflicts, together, names)
    chosen = choices_that_count(choices, shown_at=choices_at, version=locked.version)
    unchosen = [c.name for c in conflicts if c.name not in chosen]
    if unchosen:
        conflicting = {c.name for c in conflicts}
        shown = {n: mine[n] if n in conflicting else merged[n] for n in names}
        raise TreatmentConflict(
            current=locked,
            conflicts=conflicts,
            merged={n: _shown_value(locked, model, n, shown[n], fields[n]) for n in names},
            chosen=chosen,
            by=_changed_by(records, expected_version),
            unchosen=unchosen if choices_at == locked.version else [],
            base_known=base is not None,
        )
    changes = {n: fields[n] for n in names if merged[n] != theirs[n]}
    changes |= {c.name: fields[c.name] for c in conflicts if chosen[c.name] == KEEP_MINE}
    return changes


def _conflicts_together(base, mine, theirs, merged, conflicts, together, names) -> list:
    """``conflicts`` with each group of ``together`` that both people changed a part of made
    a conflict of every field of it where their values differ (``merged`` keeps theirs for
    those), in the fields' order."""
    have = {conflict.name for conflict in conflicts}
    for group in together:
        group = [name for name in group if name in mine]
        changed_mine = any(mine[name] != base[name] for name in group)
        changed_theirs = any(theirs[name] != base[name] for name in group)
        if not (changed_mine and changed_theirs):
            continue
        for name in group:
            if name not in have and mine[name] != theirs[name]:
                merged[name] = theirs[name]
                conflicts.append(
                    FieldConflict(name=name, base=base[name], mine=mine[name], theirs=theirs[name])
                )
                have.add(name)
    return sorted(conflicts, key=lambda conflict: names.index(conflict.name))


def _changed_by(records, expected_version: int) -> list[str]:
    by: list[str] = []
    for record in records:
        if record.version > expected_version:
            user = record.history_user
            who = user.display_name if user is not None else "System"
            if who not in by:
                by.append(who)
    return by


def _shown_value(locked, model, name: str, comparable, typed):
    """The value to put back in the form: what was typed when it is mine, else the stored one."""
    if comparable == _comparable(typed):
        return typed
    field = model._meta.get_field(name)
    return getattr(locked, field.name) if field.is_relation else getattr(locked, field.attname)


def _locked(model: type[models.Model], row):
    """``row`` with its stored values, the row locked until the transaction ends: two saves of
    one control or action are merged one after the other instead of both reading the same stored
    row. Only this row is locked (no joins: PostgreSQL would lock the risk's row with it)."""
    locked = model.objects.select_for_update().get(pk=row.pk)
    for field in model._meta.concrete_fields:
        setattr(row, field.attname, getattr(locked, field.attname))
    refuse_if_risk_archived(row.risk)
    return row


@transaction.atomic
def control_update(
    *,
    control: Control,
    expected_version: int | None = None,
    choices: Mapping[str, str] | None = None,
    choices_at: int | None = None,
    reason: str = "",
    **fields,
) -> Control:
    """Change a control. ``expected_version`` is the version the form was opened at (None: the
    caller names only what it changes, applied to the row as it is); see TreatmentConflict."""
    unknown = set(fields) - CONTROL_FIELDS
    if unknown:
        raise ValidationError(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
    locked = _locked(Control, control)
    fields = merged_fields(
        Control,
        locked,
        expected_version=expected_version,
        fields=fields,
        choices=choices,
        choices_at=choices_at,
    )
    if "owner" in fields:
        _check_same_organisation(locked.risk.organisation, "owner", fields["owner"])
    for name, value in fields.items():
        setattr(locked, name, _clean(value))
    locked.version += 1
    locked.full_clean()
    locked._change_reason = reason or "edited"
    locked.save()
    return locked


@transaction.atomic
def control_remove(*, control: Control, reason: str = "") -> None:
    refuse_if_risk_archived(control.risk)
    control._change_reason = reason or "removed"
    control.delete()


@transaction.atomic
def action_update(
    *,
    action: Action,
    expected_version: int | None = None,
    choices: Mapping[str, str] | None = None,
    choices_at: int | None = None,
    reason: str = "",
    **fields,
) -> Action:
    """Change an action; versions and conflicts as ``control_update``."""
    unknown = set(fields) - ACTION_FIELDS
    if unknown:
        raise ValidationError(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
    locked = _locked(Action, action)
    owner_before = locked.owner_id
    fields = merged_fields(
        Action,
        locked,
        expected_version=expected_version,
        fields=fields,
        choices=choices,
        choices_at=choices_at,
    )
    if "owner" in fields:
        _check_same_organisation(locked.risk.organisation, "owner", fields["owner"])
    was_completed = locked.status == ActionStatus.COMPLETED
    for name, value in fields.items():
        setattr(locked, name, _clean(value))
    if locked.status == ActionStatus.COMPLETED and not was_completed:
        locked.completed_at = timezone.now()
    elif locked.status != ActionStatus.COMPLETED:
        locked.completed_at = None
    locked.version += 1
    locked.full_clean()
    locked._change_reason = reason or "edited"
    locked.save()
    notice_events.actions_changed_tell(
        organisation=locked.risk.organisation,
        before={locked.pk: owner_before},
        actions=[locked],
        actor=notice_events.acting_user(),
    )
    return locked


@transaction.atomic
def action_remove(*, action: Action, reason: str = "") -> None:
    refuse_if_risk_archived(action.risk)
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
