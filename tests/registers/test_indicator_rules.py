"""An indicator's status from its thresholds, and when it is stale (registers.selectors.indicators)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from registers.models import IndicatorDirection, IndicatorFrequency
from registers.selectors.indicators import IndicatorStatus, next_reading_due, reading_status, stale

WORSE, BETTER = IndicatorDirection.HIGHER_IS_WORSE, IndicatorDirection.HIGHER_IS_BETTER


@pytest.mark.parametrize(
    ("direction", "value", "expected"),
    [
        (WORSE, D("4.9"), IndicatorStatus.GREEN),
        (WORSE, D("5"), IndicatorStatus.AMBER),
        (WORSE, D("9.999"), IndicatorStatus.AMBER),
        (WORSE, D("10"), IndicatorStatus.RED),
        (WORSE, None, IndicatorStatus.NO_READING),
        (BETTER, D("95"), IndicatorStatus.GREEN),
        (BETTER, D("90"), IndicatorStatus.AMBER),
        (BETTER, D("80"), IndicatorStatus.RED),
        (BETTER, D("79"), IndicatorStatus.RED),
    ],
)
def test_status_follows_the_thresholds_in_the_indicators_direction(direction, value, expected):
    thresholds = (D("5"), D("10")) if direction == WORSE else (D("90"), D("80"))
    amber_from, red_from = thresholds
    assert (
        reading_status(direction=direction, amber_from=amber_from, red_from=red_from, value=value)
        == expected
    )


def test_a_monthly_indicator_is_stale_a_week_after_its_next_reading_was_due():
    read = dt.date(2026, 10, 1)
    due = next_reading_due(frequency=IndicatorFrequency.MONTHLY, last_taken_on=read, since=read)
    assert due == dt.date(2026, 11, 1)
    args = {"frequency": IndicatorFrequency.MONTHLY, "last_taken_on": read, "since": read}
    assert not stale(**args, today=dt.date(2026, 11, 8))
    assert stale(**args, today=dt.date(2026, 11, 9))


def test_an_indicator_never_read_is_stale_counted_from_when_it_was_set_up():
    args = {"frequency": IndicatorFrequency.WEEKLY, "last_taken_on": None}
    assert not stale(**args, since=dt.date(2026, 12, 1), today=dt.date(2026, 12, 15))
    assert stale(**args, since=dt.date(2026, 12, 1), today=dt.date(2026, 12, 16))
