"""Key risk indicators read (issue 18): an indicator's status from its latest reading and its
thresholds, and whether that reading is overdue for its frequency ("stale").

The rules are plain functions (``reading_status``, ``stale``) so pages, the register column, the
dashboard, reminders and packs judge alike; ``with_latest_reading`` brings each indicator's
latest reading in the same query (one subquery pair, whatever the number of indicators)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.db.models import OuterRef, QuerySet, Subquery

from ..calendar import local_date
from ..models import (
    Indicator,
    IndicatorDirection,
    IndicatorFrequency,
    IndicatorReading,
    Organisation,
)

# How long after a reading the next one is due, by frequency (days); a reading older than its
# frequency plus ``STALE_GRACE_DAYS`` makes the indicator stale.
FREQUENCY_DAYS = {
    IndicatorFrequency.WEEKLY: 7,
    IndicatorFrequency.MONTHLY: 31,
    IndicatorFrequency.QUARTERLY: 92,
    IndicatorFrequency.HALF_YEARLY: 183,
    IndicatorFrequency.YEARLY: 366,
}
# A week's grace: a monthly figure read on the 3rd of one month and the 5th of the next is not
# late.
STALE_GRACE_DAYS = 7


class IndicatorStatus(StrEnum):
    NO_READING = "no_reading"
    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def label(self) -> str:
        return {
            "no_reading": "No reading yet",
            "green": "Green",
            "amber": "Amber",
            "red": "Red",
        }[self.value]


def reading_status(
    *, direction: str, amber_from: Decimal, red_from: Decimal, value: Decimal | None
) -> IndicatorStatus:
    """Red at or beyond ``red_from``, amber at or beyond ``amber_from``, green otherwise ("beyond"
    is above where higher is worse, below where higher is better)."""
    if value is None:
        return IndicatorStatus.NO_READING
    if direction == IndicatorDirection.HIGHER_IS_BETTER:
        if value <= red_from:
            return IndicatorStatus.RED
        if value <= amber_from:
            return IndicatorStatus.AMBER
        return IndicatorStatus.GREEN
    if value >= red_from:
        return IndicatorStatus.RED
    if value >= amber_from:
        return IndicatorStatus.AMBER
    return IndicatorStatus.GREEN


def next_reading_due(*, frequency: str, last_taken_on: dt.date | None, since: dt.date) -> dt.date:
    """When the next reading is due: a frequency after the last one (or after ``since``, the
    day the indicator was set up, when there is none)."""
    return (last_taken_on or since) + dt.timedelta(days=FREQUENCY_DAYS[frequency])


def stale(*, frequency: str, last_taken_on: dt.date | None, since: dt.date, today: dt.date) -> bool:
    """Overdue for a reading: its next reading was due more than ``STALE_GRACE_DAYS`` ago."""
    due = next_reading_due(frequency=frequency, last_taken_on=last_taken_on, since=since)
    return today > due + dt.timedelta(days=STALE_GRACE_DAYS)


def indicator_start_day(indicator: Indicator, *, organisation: Organisation) -> dt.date:
    """The day ``indicator`` was set up where its organisation is (``since`` of its standing:
    with no reading yet, the first is due a frequency after it). Every other date of the
    organisation is its own (``calendar``), so this one is too, not the server's: set up at 9 am
    in Auckland, it started that day, not the evening before as London reads it. No query: the
    organisation is the one its caller holds."""
    return local_date(organisation=organisation, moment=indicator.created_at)


@dataclass(frozen=True)
class IndicatorStanding:
    status: IndicatorStatus
    stale: bool
    value: Decimal | None
    taken_on: dt.date | None
    next_due: dt.date


def indicator_standing(
    indicator: Indicator, *, today: dt.date, since: dt.date
) -> IndicatorStanding:
    """Status and staleness of an indicator annotated by ``with_latest_reading``."""
    value = indicator.latest_value
    taken_on = indicator.latest_taken_on
    return IndicatorStanding(
        status=reading_status(
            direction=indicator.direction,
            amber_from=indicator.amber_from,
            red_from=indicator.red_from,
            value=value,
        ),
        stale=stale(
            frequency=indicator.frequency, last_taken_on=taken_on, since=since, today=today
        ),
        value=value,
        taken_on=taken_on,
        next_due=next_reading_due(
            frequency=indicator.frequency, last_taken_on=taken_on, since=since
        ),
    )


def with_latest_reading(
    indicators: QuerySet[Indicator], *, as_of: dt.date | None = None
) -> QuerySet[Indicator]:
    """``latest_value`` and ``latest_taken_on``: the latest reading (on or before ``as_of``,
    for a pack as at a day), None where there is none."""
    readings = IndicatorReading.objects.filter(indicator=OuterRef("pk"))
    if as_of is not None:
        readings = readings.filter(taken_on__lte=as_of)
    latest = readings.order_by("-taken_on", "-id")
    return indicators.annotate(
        latest_value=Subquery(latest.values("value")[:1]),
        latest_taken_on=Subquery(latest.values("taken_on")[:1]),
    )
