"""Three-way merge of one row's fields: a save from a form opened at an older version keeps what
everyone else saved since, and applies only what this person changed.

Pure: values in, values out. Callers compare like with like (ids rather than objects, text with
its line endings made the same) before asking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Whose value to keep for a field both people changed (the value of the choice a form posts).
KEEP_THEIRS, KEEP_MINE = "theirs", "yours"


@dataclass(frozen=True)
class FieldConflict:
    """Both people changed ``name``, to different values."""

    name: str
    base: Any  # when this person opened the form (None when that version is not known)
    mine: Any
    theirs: Any  # saved now


_UNKNOWN = object()  # a base nobody's value equals: every difference becomes a conflict


def three_way_merge(
    base: Mapping[str, Any] | None,
    mine: Mapping[str, Any],
    theirs: Mapping[str, Any],
    fields: Iterable[str],
) -> tuple[dict[str, Any], list[FieldConflict]]:
    """Merge ``mine`` (the values of the form as saved) into ``theirs`` (the row as stored now),
    relative to ``base`` (the row as it was when the form was opened).

    For each name in ``fields``: a field only I changed takes my value, a field only they changed
    keeps theirs, a field we both changed to the same value is that value. A field we both changed
    to different values is a conflict: ``merged`` keeps theirs for it, so writing ``merged`` never
    overwrites anyone. A field missing from ``mine`` counts as untouched by me. ``base=None``
    means the opened version is unknown: then any difference between mine and theirs is a
    conflict, because there is no telling who changed what.
    """
    merged: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    for name in fields:
        stored = theirs[name]
        if name not in mine:
            merged[name] = stored
            continue
        opened = base[name] if base is not None else _UNKNOWN
        typed = mine[name]
        if typed in (stored, opened):
            merged[name] = stored  # the same change, or no change of mine
        elif stored == opened:
            merged[name] = typed  # only I changed it
        else:
            merged[name] = stored
            conflicts.append(
                FieldConflict(
                    name=name,
                    base=None if opened is _UNKNOWN else opened,
                    mine=typed,
                    theirs=stored,
                )
            )
    return merged, conflicts


def choices_that_count(
    choices: Mapping[str, str] | None, *, shown_at: int | None, version: int
) -> dict[str, str]:
    """The person's theirs/yours choices, but only if they were made against the values stored
    now (``shown_at`` is the version the conflict was shown at): if anyone saved again since,
    the person sees the conflict again with the new values."""
    if shown_at != version:
        return {}
    return {
        name: choice
        for name, choice in (choices or {}).items()
        if choice in (KEEP_THEIRS, KEEP_MINE)
    }
