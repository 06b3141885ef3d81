"""Trend of a risk's current score between two report dates, derived from history, never typed in.

The trend of a risk at a moment compares its current score then with its score at the end of the
organisation's previous quarter (its own quarter-end months, in its own timezone):

- ``up`` / ``down`` / ``level``: the score rose, fell or held;
- ``new``: the risk did not exist (or had no current score) at the quarter end;
- ``closed``: the risk is closed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings

from registers.models import Organisation, Risk, RiskStatus

UP, DOWN, LEVEL, NEW, CLOSED = "up", "down", "level", "new", "closed"
DEFAULT_QUARTER_END_MONTHS = (3, 6, 9, 12)


def organisation_timezone(organisation: Organisation) -> ZoneInfo:
    name = organisation.timezone or getattr(settings, "RISKREG_DEFAULT_TIMEZONE", "Europe/London")
    return ZoneInfo(name)


def _month_end(year: int, month: int, tz: ZoneInfo) -> dt.datetime:
    """The last instant of a month, local time."""
    first_of_next = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return first_of_next - dt.timedelta(microseconds=1)


def previous_quarter_end(*, organisation: Organisation, moment: dt.datetime) -> dt.datetime:
    """The end of the latest quarter of the organisation's calendar that ended before ``moment``."""
    tz = organisation_timezone(organisation)
    local = moment.astimezone(tz)
    months = sorted(
        {int(m) for m in (organisation.quarter_end_months or ()) if 1 <= int(m) <= 12}
    ) or list(DEFAULT_QUARTER_END_MONTHS)
    ends = [
        _month_end(year, month, tz) for year in (local.year, local.year - 1) for month in months
    ]
    return max(end for end in ends if end < moment)


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
    if before is None:  # first rated since the quarter end
        return NEW if score is not None else LEVEL
    if score is None:
        return LEVEL
    if score > before:
        return UP
    if score < before:
        return DOWN
    return LEVEL


def trends_for(
    risks: Iterable, *, organisation: Organisation, moment: dt.datetime
) -> dict[int, str]:
    """Trend of each risk (objects with ``id``, ``status``, ``current_score`` as at ``moment``)."""
    risks = list(risks)
    cutoff = previous_quarter_end(organisation=organisation, moment=moment)
    then = scores_at(risk_ids=[risk.id for risk in risks], moment=cutoff)
    return {
        risk.id: trend(status=risk.status, score=risk.current_score, then=then, risk_id=risk.id)
        for risk in risks
    }
