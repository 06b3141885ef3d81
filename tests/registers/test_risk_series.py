"""A risk's current and target scores and tolerance over eight quarters, from history (the risk
page and its Risk Action Plan page in packs)."""

import datetime as dt

import pytest
from defusedxml import ElementTree as ET
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appetite.models import AppetiteStatement
from appetite.services import appetite_statement_set
from registers.calendar import quarter_ends
from registers.charting import risk_chart
from registers.selectors.risk_series import CLOSED, NOT_YET, risk_series, risk_series_many
from tests.appetite.test_breach_duration import noon, timeline
from tests.factories import corporate_register_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def q(organisation):
    ends = quarter_ends(organisation=organisation, moment=timezone.now(), count=8)
    return [end.date() for end in ends]


@pytest.fixture
def tolerance(organisation):
    statement = appetite_statement_set(organisation=organisation, tolerance=10)
    AppetiteStatement.history.filter(id=statement.id).update(history_date=noon(dt.date(2000, 1, 1)))
    return statement


def test_a_risk_rescored_twice_steps_at_the_right_quarter_ends(organisation, q, tolerance):
    top = corporate_register_of(organisation)
    days = dt.timedelta(days=20)
    risk = timeline(
        top, "R1", [(q[0] - days, (2, 3)), (q[2] + days, (4, 4)), (q[5] + days, (3, 3))]
    )
    with CaptureQueriesContext(connection) as queries:
        series = risk_series(risk=risk, moment=timezone.now())
    assert len(queries) == 1
    assert [s.current for s in series.at] == [6, 6, 6, 16, 16, 16, 9, 9, 9]
    assert {s.tolerance for s in series.at} == {10}
    assert series.labels[-1] == "Today"
    # The steps fall between the quarter ends they happened between.
    positions = [x for x, _ in series.changes]
    assert 2 < positions[1] < 3 and 5 < positions[2] < 6


def test_a_new_risk_and_a_closed_one(organisation, q, tolerance):
    top = corporate_register_of(organisation)
    days = dt.timedelta(days=10)
    new = timeline(top, "N", [(q[5] + days, (3, 4))])
    closed = timeline(top, "C", [(q[0] - days, (3, 4)), (q[3] + days, "close")])
    series = risk_series_many(
        organisation=organisation, risk_ids=[new.id, closed.id], moment=timezone.now()
    )
    assert [s.absent for s in series[new.id].at[:6]] == [NOT_YET] * 6
    assert [s.current for s in series[new.id].at[6:]] == [12, 12, 12]
    assert [s.current for s in series[closed.id].at[:4]] == [12] * 4
    assert [s.absent for s in series[closed.id].at[4:]] == [CLOSED] * 5


def test_tolerance_follows_the_appetite_statements_of_then(organisation, q, tolerance):
    top = corporate_register_of(organisation)
    risk = timeline(top, "T", [(q[0] - dt.timedelta(days=30), (3, 4))])
    appetite_statement_set(
        organisation=organisation, tolerance=15, expected_version=tolerance.version
    )
    latest = AppetiteStatement.history.filter(id=tolerance.id).order_by("-history_id").first()
    AppetiteStatement.history.filter(history_id=latest.history_id).update(
        history_date=noon(q[4] + dt.timedelta(days=3))
    )
    series = risk_series(risk=risk, moment=timezone.now())
    assert [s.tolerance for s in series.at] == [10] * 5 + [15] * 4


def test_many_risks_take_one_query(organisation, q, tolerance):
    top = corporate_register_of(organisation)
    risks = [timeline(top, f"M{i}", [(q[0], (2, 2)), (q[3], (3, 3))]) for i in range(5)]
    with CaptureQueriesContext(connection) as queries:
        series = risk_series_many(
            organisation=organisation, risk_ids=[r.id for r in risks], moment=timezone.now()
        )
    assert len(queries) == 1
    assert len(series) == 5


def test_the_chart_holds_the_series_as_a_table(organisation, q, tolerance):
    top = corporate_register_of(organisation)
    risk = timeline(top, "R1", [(q[0] - dt.timedelta(days=5), (2, 3)), (q[2], (4, 4))])
    chart = risk_chart(
        risk_series(risk=risk, moment=timezone.now()),
        ref=risk.ref,
        scheme=risk.scheme_version.parsed,
    )
    svg = ET.fromstring(chart.svg)
    assert svg.get("role") == "img"
    assert [row[1] for row in chart.table.rows] == [
        "6",
        "6",
        "16",
        "16",
        "16",
        "16",
        "16",
        "16",
        "16",
    ]
    assert chart.table.rows[-1][0] == "Today"
    assert "R1" in svg.find("{http://www.w3.org/2000/svg}title").text


def test_an_indicators_readings_chart_against_its_thresholds_on_the_risk_page(client, organisation):
    from decimal import Decimal as D

    from django.urls import reverse

    from registers.models import Role
    from registers.selectors.risk_series import indicator_readings
    from tests.registers.test_indicators import add, person

    people = {
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "reader": person(organisation, Role.OWNER, "Rita Reader"),
    }
    risk = timeline(corporate_register_of(organisation), "K1", [(dt.date(2026, 1, 5), (3, 4))])
    indicator = add(risk, people)
    today = timezone.localdate()
    from registers.services.indicators import reading_record

    for weeks, value in ((3, "4"), (2, "7.5"), (1, "11")):
        reading_record(
            user=people["reader"],
            indicator=indicator,
            taken_on=today - dt.timedelta(weeks=weeks),
            value=D(value),
        )
    with CaptureQueriesContext(connection) as queries:
        readings = indicator_readings(indicator=indicator)
    assert len(queries) == 1
    assert [r.value for r in readings] == [4.0, 7.5, 11.0]  # oldest first
    client.force_login(people["coordinator"])
    page = client.get(reverse("risk", args=[organisation.slug, risk.ref])).content.decode()
    assert "Staff vacancy rate: readings against thresholds" in page
    assert "Amber from 5" in page and "Red from 10" in page  # the legend names the lines
    assert "Staff vacancy rate: readings</caption>" in page  # the table behind the chart
