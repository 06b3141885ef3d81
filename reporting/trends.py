"""Trend of a risk's current rating between two report dates, derived from history, never typed in.

The trend of a risk at a moment compares its current rating then with its rating at the end of the
organisation's previous quarter (its own quarter-end months, in its own timezone):

- ``up`` / ``down`` / ``level``: the rating rose, fell or held (score first; within a matrix
  scheme's band, likelihood x impact);
- ``new``: the risk did not exist (or had no current rating) at the quarter end;
- ``closed``: the risk is closed;
- ``not rated``: it has no current rating now, so there is nothing to compare (no arrow).

The rule itself (``trend_between``) and the history reads (``risk_snapshots``, one query per
moment) live in ``registers.selectors`` so the register page can use them; this module is the
reporting side's entry point (exports, packs, movement).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from registers.models import Organisation, Risk, RiskStatus
from registers.selectors import (
    RegisterTrends,
    Trend,
    month_end,
    organisation_zone,
    register_trends,
    risk_snapshots,
    trend_between,
)

from . import periods

__all__ = [
    "CLOSED",
    "DOWN",
    "LEVEL",
    "NEW",
    "NOT_RATED",
    "UP",
    "RegisterTrends",
    "Trend",
    "organisation_timezone",
    "previous_quarter_end",
    "register_trends",
    "risk_snapshots",
    "scores_at",
    "trend",
    "trend_between",
    "trends_for",
]

UP, DOWN, LEVEL, NEW, CLOSED = "up", "down", "level", "new", "closed"
NOT_RATED = Trend.NOT_RATED.value
DEFAULT_QUARTER_END_MONTHS = (3, 6, 9, 12)


def organisation_timezone(organisation: Organisation) -> ZoneInfo:
    return organisation_zone(organisation)


def _month_end(year: int, month: int, tz: ZoneInfo) -> dt.datetime:
    """The last instant of a month, local time."""
    return month_end(year, month, tz)


def previous_quarter_end(*, organisation: Organisation, moment: dt.datetime) -> dt.datetime:
    """The end of the latest quarter of the organisation's calendar that ended before ``moment``."""
    return periods.previous_quarter_end(organisation=organisation, moment=moment)


def scores_at(*, risk_ids: Iterable[int], moment: dt.datetime) -> dict[int, int | None]:
    """Each risk's current score at ``moment`` (risks that did not exist then are absent).
    One query, whatever the number of risks."""
    ids = list(risk_ids)
    if not ids:
        return {}
    records = (
        Risk.history.filter(id__in=ids, history_date__lte=moment)
        .latest_of_each()
        .exclude(history_type="-")
        .values_list("id", "current_score")
    )
    return dict(records)


def trend(*, status: str, score: int | None, then: dict[int, int | None], risk_id: int) -> str:
    if status == RiskStatus.CLOSED:
        return CLOSED
    if risk_id not in then:
        return NEW
    before = then[risk_id]
    if score is None:  # nothing to compare: no arrow (trend_between's rule)
        return NOT_RATED
    if before is None:  # first rated since the quarter end
        return NEW
    if score > before:
        return UP
    if score < before:
        return DOWN
    return LEVEL


def trends_for(
    risks: Iterable, *, organisation: Organisation, moment: dt.datetime
) -> dict[int, str]:
    """Trend of each risk (current or historical objects, as they stood at ``moment``) since the
    previous quarter end: one history query, whatever the number of risks."""
    risks = list(risks)
    cutoff = previous_quarter_end(organisation=organisation, moment=moment)
    then = risk_snapshots(moment=cutoff, risk_ids=[risk.id for risk in risks])
    return {risk.id: trend_between(then.get(risk.id), risk).value for risk in risks}
