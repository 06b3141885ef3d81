"""A risk saved from a form opened at an older version: only what this person changed is applied,
on top of what others saved since (``registers.merging``), so a second save never puts back a
colleague's values the person never touched. A field both changed to different values is refused
until the person chooses whose value to keep.

Fields are compared as stored (a person or category by id, text with its line endings made the
same); each rating position (likelihood and impact) is one unit, and so is each many-to-many
field (the set of objectives, of working leads), because half a position or half a list is not
what anyone chose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from ..merging import KEEP_MINE, FieldConflict, choices_that_count, three_way_merge
from ..models import Risk

POSITIONS = ("inherent", "current", "target")
M2M_FIELDS = {"objectives": "objective_id", "leads": "user_id"}

RISK_VERSION_UNKNOWN = (
    "This form came from a version of the risk that does not exist: open the edit page again"
)


@dataclass
class RiskEdit:
    """What to write: only the fields, positions and lists that should change."""

    fields: dict = field(default_factory=dict)
    positions: dict = field(default_factory=dict)
    objectives: list | None = None
    leads: list | None = None


class RiskEditConflict(Exception):
    """Someone saved the risk after the person opened it and changed some of the same fields to
    other values. Nothing was written.

    ``conflicts`` are those fields (opened, mine, theirs; positions as (likelihood, impact),
    lists as sets of ids); ``merged`` holds, per field, the value to show again: mine where I
    changed it, theirs where only they did; ``chosen`` the choices already made against these
    values; ``unchosen`` the conflicts the person was already shown, at this version, and chose
    nothing for."""

    def __init__(
        self,
        *,
        risk: Risk,
        conflicts: list[FieldConflict],
        merged: dict,
        chosen: dict[str, str],
        unchosen: list[str],
        base_known: bool,
    ):
        self.risk = risk
        self.conflicts = conflicts
        self.merged = merged
        self.chosen = chosen
        self.unchosen = unchosen
        self.base_known = base_known
        super().__init__(f"{risk.ref} was changed by someone else while you were editing it")


def comparable(value):
    """A value as the merge compares it."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    if isinstance(value, list | tuple | set | frozenset) and not _is_position(value):
        return frozenset(comparable(item) for item in value)
    return value


def _is_position(value) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and not isinstance(value[0], models.Model)


def _position(record, name: str):
    likelihood = getattr(record, f"{name}_likelihood")
    impact = getattr(record, f"{name}_impact")
    return None if likelihood is None and impact is None else (likelihood, impact)


def _typed_position(position):
    if position is None or all(part in (None, "") for part in position):
        return None
    likelihood, impact = position
    return (likelihood, impact)


def _stored(record, name: str):
    if name in POSITIONS:
        return _position(record, name)
    return getattr(record, Risk._meta.get_field(name).attname)


def _m2m_at(record_id: int) -> dict[str, frozenset]:
    """The ids each many-to-many field held at one history record of the risk."""
    held = {}
    for name, column in M2M_FIELDS.items():
        model = HistoricalRecords.m2m_models[Risk._meta.get_field(name)]
        held[name] = frozenset(
            model.objects.filter(history_id=record_id).values_list(column, flat=True)
        )
    return held


def merge_stale_edit(
    locked: Risk,
    *,
    expected_version: int,
    fields: Mapping,
    positions: Mapping | None,
    objectives: Iterable | None,
    leads: Iterable | None,
    choices: Mapping[str, str] | None,
    choices_at: int | None,
) -> RiskEdit:
    """What to write when the form was opened at ``expected_version`` and ``locked`` (the row,
    locked) has moved on. Raises RiskEditConflict when a field both changed has no choice yet."""
    if not 1 <= expected_version < locked.version:
        raise ValidationError(RISK_VERSION_UNKNOWN)
    typed: dict = dict(fields)
    for name, position in (positions or {}).items():
        typed[name] = _typed_position(position)
    if objectives is not None:
        typed["objectives"] = list(objectives)
    if leads is not None:
        typed["leads"] = list(leads)
    names = list(typed)
    # The opened version's last record: the row's own save comes first, then one record per
    # many-to-many field it set.
    opened = (
        Risk.history.filter(id=locked.pk, version=expected_version)
        .order_by("-history_date", "-history_id")
        .first()
    )
    theirs = {n: comparable(_stored(locked, n)) for n in names if n not in M2M_FIELDS}
    for name in M2M_FIELDS:
        if name in typed:
            theirs[name] = frozenset(getattr(locked, name).values_list("pk", flat=True).order_by())
    base = None
    if opened is not None:
        base = {n: comparable(_stored(opened, n)) for n in names if n not in M2M_FIELDS}
        if any(name in typed for name in M2M_FIELDS):
            base |= _m2m_at(opened.history_id)
    mine = {n: comparable(value) for n, value in typed.items()}
    merged, conflicts = three_way_merge(base, mine, theirs, names)
    chosen = choices_that_count(choices, shown_at=choices_at, version=locked.version)
    conflicting = {c.name for c in conflicts}
    unchosen = [name for name in conflicting if name not in chosen]
    if unchosen:
        raise RiskEditConflict(
            risk=locked,
            conflicts=conflicts,
            merged={n: typed[n] if n in conflicting else merged[n] for n in names},
            chosen={n: c for n, c in chosen.items() if n in conflicting},
            unchosen=[c.name for c in conflicts if c.name in unchosen]
            if choices_at == locked.version
            else [],
            base_known=base is not None,
        )
    keep = {n for n in names if merged[n] != theirs[n]}
    keep |= {n for n in conflicting if chosen[n] == KEEP_MINE}
    edit = RiskEdit()
    for name in keep:
        if name in POSITIONS:
            edit.positions[name] = typed[name]
        elif name == "objectives":
            edit.objectives = typed[name]
        elif name == "leads":
            edit.leads = typed[name]
        else:
            edit.fields[name] = typed[name]
    return edit
