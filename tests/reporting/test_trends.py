"""Trends between report dates come from history, on the organisation's own quarter calendar."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from registers.calendar import previous_quarter_end
from registers.models import Risk
from registers.services.risks import risk_close, risk_update
from reporting.trends import trends_for
from tests.factories import RiskFactory, corporate_register_of

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (dt.datetime(2026, 5, 10, 12, tzinfo=UTC), [3, 6, 9, 12], dt.date(2026, 3, 31)),
        (dt.datetime(2026, 2, 1, tzinfo=UTC), [3, 6, 9, 12], dt.date(2025, 12, 31)),
        # 23:30 UTC on 31 March is already 1 April in London (BST): March has ended there.
        (dt.datetime(2026, 3, 31, 23, 30, tzinfo=UTC), [3, 6, 9, 12], dt.date(2026, 3, 31)),
        (dt.datetime(2026, 3, 31, 22, 30, tzinfo=UTC), [3, 6, 9, 12], dt.date(2025, 12, 31)),
        (dt.datetime(2026, 3, 10, tzinfo=UTC), [1, 4, 7, 10], dt.date(2026, 1, 31)),
        (dt.datetime(2026, 3, 10, tzinfo=UTC), [], dt.date(2025, 12, 31)),
    ],
)
def test_previous_quarter_end_in_the_organisations_calendar(moment, months, expected):
    organisation = type("Org", (), {"timezone": "Europe/London", "quarter_end_months": months})
    assert previous_quarter_end(organisation=organisation, moment=moment) == end_of(expected)


@pytest.mark.django_db
def test_trend_up_down_level_new_closed_from_history(organisation):
    register = corporate_register_of(organisation)
    now = timezone.now()
    before = previous_quarter_end(organisation=organisation, moment=now) - dt.timedelta(days=5)
    rising = RiskFactory(register=register, ref="UP", positions={"current": (2, 2)})
    falling = RiskFactory(register=register, ref="DOWN", positions={"current": (4, 4)})
    steady = RiskFactory(register=register, ref="LEVEL", positions={"current": (3, 3)})
    closing = RiskFactory(register=register, ref="CLOSED", positions={"current": (3, 3)})
    Risk.history.update(history_date=before)  # all four existed at the quarter end
    RiskFactory(register=register, ref="NEW", positions={"current": (1, 1)})
    risk_update(risk=rising, expected_version=1, positions={"current": (4, 4)})
    risk_update(risk=falling, expected_version=1, positions={"current": (1, 2)})
    risk_close(risk=closing, expected_version=1, reason="mitigated")
    risks = Risk.objects.filter(register=register)
    trends = {
        Risk.objects.get(pk=pk).ref: trend
        for pk, trend in trends_for(risks, organisation=organisation, moment=now).items()
    }
    assert trends == {
        "UP": "up",
        "DOWN": "down",
        "LEVEL": "level",
        "CLOSED": "closed",
        "NEW": "new",
    }
    assert steady.id in {risk.id for risk in risks}
