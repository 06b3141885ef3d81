"""Assurance on controls (issue 18): each control's evidence against the three lines of
assurance (the Orange Book's three lines model), and the rule for when that assurance has
lapsed. One place for the rule, read by the risk page (its controls list and assurance map),
the htmx rows of that list and the packs (Risk Action Plans, PDF and Word).

A piece of evidence with a "valid until" day gives assurance up to and including that day; from
the next day, the organisation's day (its timezone), it has lapsed. A line of a control is
*current* when any of its evidence has not lapsed, *lapsed* when all of it has (on the day the
last piece lapsed), *none* when it has none; a control's assurance has lapsed when any of its
lines has. Evidence with no line of assurance counts on no line."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from ..models import Risk
from ..models.evidence import AssuranceLine, Evidence
from ..prepared import prepared_list

CURRENT, LAPSED, NONE = "current", "lapsed", "none"
# The flag's words, wherever a control's assurance has lapsed (pages and packs).
ASSURANCE_LAPSED = "Assurance lapsed"
LINE_WORDS = {
    AssuranceLine.FIRST: "first",
    AssuranceLine.SECOND: "second",
    AssuranceLine.THIRD: "third",
}


def day_words(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def is_lapsed(valid_until: dt.date | None, *, today: dt.date) -> bool:
    """Evidence valid until ``today`` still holds today; valid until yesterday has lapsed."""
    return valid_until is not None and valid_until < today


def lapsed_on(valid_until: dt.date) -> dt.date:
    """The first day without the assurance: the day after "valid until"."""
    return valid_until + dt.timedelta(days=1)


@dataclass(frozen=True)
class LineState:
    line: int
    state: str  # CURRENT, LAPSED or NONE
    count: int = 0  # current pieces (CURRENT), lapsed pieces (LAPSED)
    lapsed_on: dt.date | None = None

    @property
    def words(self) -> str:
        if self.state == CURRENT:
            return f"{self.count} current"
        if self.state == LAPSED:
            return f"Lapsed on {day_words(self.lapsed_on)}"
        return "None"

    @property
    def gap(self) -> str:
        name = LINE_WORDS[self.line]
        if self.state == NONE:
            return f"No {name}-line assurance"
        if self.state == LAPSED:
            return f"{name.capitalize()}-line assurance lapsed on {day_words(self.lapsed_on)}"
        return ""


@dataclass(frozen=True)
class ControlAssurance:
    control_id: int
    lines: tuple[LineState, ...]

    @property
    def lapsed(self) -> bool:
        return any(line.state == LAPSED for line in self.lines)

    @property
    def lapsed_on(self) -> dt.date | None:
        """The earliest day one of its lines lapsed (how long it has gone without)."""
        days = [line.lapsed_on for line in self.lines if line.state == LAPSED]
        return min(days) if days else None

    @property
    def flag(self) -> str:
        """``Assurance lapsed on 4 Mar 2026``, or "" while none of its lines has lapsed."""
        day = self.lapsed_on
        return f"{ASSURANCE_LAPSED} on {day_words(day)}" if day else ""

    @property
    def gaps(self) -> list[str]:
        return [line.gap for line in self.lines if line.gap]


def assurance_from(rows: Iterable[tuple[int, int | None, dt.date | None]], control_ids, *, today):
    """Each control's assurance from its evidence's ``(control_id, line, valid_until)``: a pure
    function, so every reader judges alike whatever it read the evidence with."""
    by_line: dict[tuple[int, int], list] = defaultdict(list)
    for control_id, line, valid_until in rows:
        if control_id is not None and line in AssuranceLine.values:
            by_line[control_id, line].append(valid_until)
    result = {}
    for control_id in control_ids:
        lines = []
        for line in AssuranceLine.values:
            found = by_line.get((control_id, line), [])
            current = [day for day in found if not is_lapsed(day, today=today)]
            if current:
                lines.append(LineState(line, CURRENT, count=len(current)))
            elif found:
                lines.append(LineState(line, LAPSED, len(found), lapsed_on(max(found))))
            else:
                lines.append(LineState(line, NONE))
        result[control_id] = ControlAssurance(control_id, tuple(lines))
    return result


def control_assurance(
    *, control_ids: Iterable[int], today: dt.date, moment: dt.datetime | None = None
) -> dict[int, ControlAssurance]:
    """Each control's assurance, keyed by control id, in one query whatever their number (none
    when there are no controls). ``today`` is the organisation's day (``organisation_today``,
    or a pack's as-at day); with ``moment``, the evidence as it stood then (uploaded by then,
    not yet deleted), so a pack rebuilt later for the same day says the same."""
    ids = list(dict.fromkeys(control_ids))
    if not ids:
        return {}
    evidence = Evidence.objects.filter(control_id__in=ids, line__isnull=False)
    if moment is None:
        evidence = evidence.filter(deleted_at__isnull=True)
    else:
        evidence = evidence.filter(
            Q(deleted_at__isnull=True) | Q(deleted_at__gt=moment), uploaded_at__lte=moment
        )
    rows = evidence.values_list("control_id", "line", "valid_until")
    return assurance_from(rows, ids, today=today)


def with_assurance(
    controls, *, today: dt.date, moment: dt.datetime | None = None, evidence=None
) -> list:
    """``controls`` (Control rows, or history records, with ``id``), each given
    ``.assurance_state`` (a ControlAssurance): one query, or none from ``evidence`` (the risk's
    evidence not deleted, as ``risk_evidence`` reads it for the risk page)."""
    controls = list(controls)
    ids = [c.id for c in controls]
    if evidence is not None and moment is None:
        rows = [(e.control_id, e.line, e.valid_until) for e in evidence if e.line is not None]
        found = assurance_from(rows, ids, today=today)
    else:
        found = control_assurance(control_ids=ids, today=today, moment=moment)
    for control in controls:
        control.assurance_state = found[control.id]
    return controls


def _evidence(risk_id: int):
    return (
        Evidence.objects.filter(risk_id=risk_id, deleted_at__isnull=True)
        .select_related("uploaded_by", "review")
        .order_by("-uploaded_at", "-id")
    )


def risk_evidence(risk: Risk, *, today: dt.date) -> list[Evidence]:
    """The risk's evidence not deleted, newest first, each marked ``lapsed`` (one query)."""
    items = prepared_list("risk_evidence", _evidence, risk_id=risk.id)
    for item in items:
        item.risk = risk
        item.lapsed = is_lapsed(item.valid_until, today=today)
        item.lapsed_on = lapsed_on(item.valid_until) if item.lapsed else None
    return items
