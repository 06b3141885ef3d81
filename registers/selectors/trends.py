"""Trends from history: how a risk's current rating moved between two moments (up, down, level,
new, closed), never typed in. The register page's arrows and quarter columns, the packs, the
movement report and the export all use this rule (``trend_between``) and these history reads
(``risk_snapshots``, one query per moment); the quarter ends come from ``registers.calendar``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from scoring.engine import Rating, RatingError, rate

from ..calendar import quarter_ends
from ..models import Organisation, Risk, RiskStatus

SNAPSHOT_FIELDS = (
    "id",
    "register_id",
    "status",
    "current_score",
    "current_likelihood",
    "current_impact",
    "scheme_version_id",
)


def risk_snapshots(
    *,
    moment: dt.datetime,
    risk_ids: Iterable[int] | None = None,
    organisation: Organisation | None = None,
    fields: Iterable[str] = SNAPSHOT_FIELDS,
) -> dict[int, dict]:
    """Each risk as it stood at ``moment`` (a dict of ``fields``), for the given risks or every
    risk of the organisation; risks that did not exist then are absent. One query."""
    records = Risk.history.filter(history_date__lte=moment)
    if risk_ids is not None:
        ids = list(risk_ids)
        if not ids:
            return {}
        records = records.filter(id__in=ids)
    if organisation is not None:
        records = records.filter(organisation_id=organisation.id)
    fields = tuple(dict.fromkeys(("id", *fields)))
    rows = (
        records.latest_of_each()
        .exclude(history_type="-")
        .order_by("history_date", "history_id")  # two records at one instant: the later wins
        .values(*fields)
    )
    return {row["id"]: row for row in rows}


class Trend(StrEnum):
    UP = "up"
    DOWN = "down"
    LEVEL = "level"
    NEW = "new"
    CLOSED = "closed"
    NOT_ON_REGISTER = "n/a"
    NOT_RATED = "not rated"  # no current rating now: nothing to compare, so no arrow

    @property
    def arrow(self) -> str:
        return {"up": "↑", "down": "↓", "level": "→"}.get(self.value, "")

    @property
    def word(self) -> str:
        """As the register shows it: "up", "down", "level", "New", "Closed", "N/A", "Not rated"."""
        return {"new": "New", "closed": "Closed", "n/a": "N/A", "not rated": "Not rated"}.get(
            self.value, self.value
        )


def _position(state) -> tuple[int, int] | None:
    """Score first, then likelihood x impact: a matrix scheme's score is the band's position, so
    a move within a band (M v H to H v H) still shows."""
    score = _get(state, "current_score")
    if score is None:
        return None
    likelihood, impact = _get(state, "current_likelihood"), _get(state, "current_impact")
    return score, (likelihood or 0) * (impact or 0)


def _get(state, name: str):
    return state[name] if isinstance(state, Mapping) else getattr(state, name)


def trend_between(before, after, *, register_ids: Iterable[int] | None = None) -> Trend:
    """The trend of a risk from ``before`` to ``after`` (each its state then: a snapshot dict or
    an object with ``status``, ``current_score``, ``current_likelihood``, ``current_impact`` and
    ``register_id``; None when the risk did not exist). With ``register_ids``, a risk on another
    register counts as absent (WMP: "N/A" = not on the register that quarter).

    up / down / level: the current rating rose, fell or held; new: not on the register before
    (rated now or not), or first rated since; closed: closed now; n/a: not on the register now;
    not rated: on the register then and now but not rated now (MOPAC's risks whose scores are in
    an unpublished appendix): an arrow would claim a comparison that was never made."""
    ids = set(register_ids) if register_ids is not None else None
    if after is None or (ids is not None and _get(after, "register_id") not in ids):
        return Trend.NOT_ON_REGISTER
    if _get(after, "status") == RiskStatus.CLOSED:
        return Trend.CLOSED
    if before is None or (ids is not None and _get(before, "register_id") not in ids):
        return Trend.NEW
    then, now = _position(before), _position(after)
    if now is None:
        return Trend.NOT_RATED
    if then is None:
        return Trend.NEW
    if now == then:
        return Trend.LEVEL
    return Trend.UP if now > then else Trend.DOWN


@dataclass(frozen=True)
class TrendCell:
    """A trend over one period, with the rating at its start where the scheme allows it."""

    trend: Trend
    start: dt.datetime
    end: dt.datetime
    before: Rating | None = None


@dataclass(frozen=True)
class RowTrends:
    arrow: TrendCell  # since the last quarter end (the Met's arrow)
    quarters: tuple[TrendCell, ...] = ()  # one per quarter column (WMP's Q1, Q2, Q3)


@dataclass(frozen=True)
class RegisterTrends:
    since: dt.datetime  # the quarter end the arrows compare with
    quarter_ends: tuple[dt.datetime, ...]  # the columns' quarter ends, oldest first
    rows: dict[int, RowTrends]

    def __getitem__(self, risk_id: int) -> RowTrends:
        return self.rows[risk_id]


def register_trends(
    risks,
    *,
    organisation: Organisation,
    moment: dt.datetime,
    register_ids: Iterable[int] | None = None,
    quarters: int = 0,
) -> RegisterTrends:
    """Trends of the risks shown (objects as they stand at ``moment``, current or historical):
    the arrow since the last quarter end before ``moment``, and with ``quarters`` one trend per
    quarter for the last ``quarters`` quarter ends at or before ``moment``.

    One history query per quarter end, whatever the number of risks or of history records."""
    risks = list(risks)
    ids = [risk.id for risk in risks]
    register_ids = list(register_ids) if register_ids is not None else None
    ends = quarter_ends(
        organisation=organisation, moment=moment, count=quarters + 1, inclusive=True
    )
    since = quarter_ends(organisation=organisation, moment=moment)[0]
    wanted = set(ends[-(quarters + 1) :] if quarters else ()) | {since}
    snapshots = {end: risk_snapshots(moment=end, risk_ids=ids) for end in sorted(wanted)}
    columns = tuple(ends[-quarters:]) if quarters else ()
    rows: dict[int, RowTrends] = {}
    for risk in risks:
        before = snapshots[since].get(risk.id)
        arrow = TrendCell(
            trend=trend_between(before, risk, register_ids=register_ids),
            start=since,
            end=moment,
            before=_rating_then(risk, before),
        )
        cells = []
        for start, end in zip(ends[-(quarters + 1) :], columns, strict=False):
            then, now = snapshots[start].get(risk.id), snapshots[end].get(risk.id)
            cells.append(
                TrendCell(
                    trend=trend_between(then, now, register_ids=register_ids),
                    start=start,
                    end=end,
                    before=_rating_then(risk, then),
                )
            )
        rows[risk.id] = RowTrends(arrow=arrow, quarters=tuple(cells))
    return RegisterTrends(since=since, quarter_ends=columns, rows=rows)


def _rating_then(risk, snapshot: dict | None) -> Rating | None:
    """The rating a snapshot held, when it was made under the risk's present scheme version (the
    version is already loaded with the row: no query)."""
    if not snapshot or snapshot.get("current_likelihood") is None:
        return None
    if risk.scheme_version_id is None or snapshot["scheme_version_id"] != risk.scheme_version_id:
        return None
    try:
        return rate(
            risk.scheme_version.parsed, snapshot["current_likelihood"], snapshot["current_impact"]
        )
    except RatingError:
        return None
