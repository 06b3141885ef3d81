"""Key risk indicators in lists (issue 18): the register's column (worst status and how many are
stale, per risk), the dashboard's "Indicators red or stale" and the owners' reminders. Each is one
query whatever the number of risks or readings; the rules are ``registers.selectors.indicators``'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ..models import Indicator, Organisation, RiskStatus
from .indicators import (
    IndicatorStatus,
    indicator_standing,
    indicator_start_day,
    with_latest_reading,
)

# Worst first: how a risk's indicators are summed up in one word.
SEVERITY = {
    IndicatorStatus.RED: 3,
    IndicatorStatus.AMBER: 2,
    IndicatorStatus.GREEN: 1,
    IndicatorStatus.NO_READING: 0,
}


@dataclass(frozen=True)
class IndicatorSummary:
    count: int
    worst: IndicatorStatus
    stale: int


def _standing(indicator: Indicator, today: dt.date, organisation: Organisation):
    return indicator_standing(
        indicator, today=today, since=indicator_start_day(indicator, organisation=organisation)
    )


def current_indicators(*, as_of: dt.date | None = None):
    """Indicators not retired (by ``as_of``, for a past day), with their latest reading."""
    indicators = Indicator.objects.all()
    if as_of is None:
        indicators = indicators.filter(retired_at__isnull=True)
    else:
        # Set up by the end of that day and not retired by then (a day's end, roughly: the
        # organisation's zone is a few hours at most from the server's).
        end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, dt.UTC)
        indicators = indicators.filter(created_at__lt=end).exclude(retired_at__lt=end)
    return with_latest_reading(indicators, as_of=as_of)


def indicator_summaries(
    risk_ids: Iterable[int],
    *,
    organisation: Organisation,
    today: dt.date,
    as_of: dt.date | None = None,
) -> dict[int, IndicatorSummary]:
    """Per risk with indicators (the organisation's risks): how many, the worst status, how many
    are stale (one query)."""
    ids = list(risk_ids)
    if not ids:
        return {}
    found: dict[int, list] = {}
    indicators = current_indicators(as_of=as_of).filter(risk_id__in=ids).order_by("risk_id", "id")
    for indicator in indicators:
        found.setdefault(indicator.risk_id, []).append(_standing(indicator, today, organisation))
    return {
        risk_id: IndicatorSummary(
            count=len(standings),
            worst=max((s.status for s in standings), key=SEVERITY.__getitem__),
            stale=sum(1 for s in standings if s.stale),
        )
        for risk_id, standings in found.items()
    }


@dataclass
class FlaggedIndicators:
    """Indicators at red or stale: the first ``limit`` (red first, then by risk) and how many
    there are in all."""

    indicators: list
    total: int


def red_or_stale(
    indicators, *, organisation: Organisation, today: dt.date, limit: int | None = None
) -> FlaggedIndicators:
    """Of ``indicators`` (a queryset from ``current_indicators``, the organisation's), those at
    red or stale, each with ``standing``; one query (their risks, registers and owners joined)."""
    flagged = []
    rows = indicators.select_related("risk", "risk__register", "owner").order_by(
        "risk__ref", "position", "id"
    )
    for indicator in rows:
        indicator.standing = _standing(indicator, today, organisation)
        if indicator.standing.status == IndicatorStatus.RED or indicator.standing.stale:
            flagged.append(indicator)
    flagged.sort(key=lambda i: (i.standing.status != IndicatorStatus.RED, not i.standing.stale))
    return FlaggedIndicators(
        indicators=flagged if limit is None else flagged[:limit], total=len(flagged)
    )


def open_risk_indicators(*, organisation, register_ids=None, as_of: dt.date | None = None):
    """The current indicators of the organisation's open risks (in ``register_ids``)."""
    indicators = (
        current_indicators(as_of=as_of)
        .filter(organisation=organisation)
        .exclude(risk__status=RiskStatus.CLOSED)
    )
    if register_ids is not None:
        indicators = indicators.filter(risk__register_id__in=list(register_ids))
    return indicators
