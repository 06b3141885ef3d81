"""Packs on the organisation's calendar: quarterly after each quarter end, committee after each
committee month, both editions, once, with a week's catch-up if beat was down."""

import datetime as dt

import pytest

from reporting.models import Pack, PackKind
from reporting.packs.schedule import packs_due, request_scheduled_packs
from reporting.packs.tasks import request_scheduled_packs_task
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def aberdeen_like():
    # Quarter ends Mar/Jun/Sep/Dec; committees in May and November (Aberdeen's reading).
    return OrganisationFactory(quarter_end_months=[3, 6, 9, 12], committee_months=[5, 11])


def test_quarterly_due_the_day_after_a_quarter_end(aberdeen_like):
    assert packs_due(organisation=aberdeen_like, today=dt.date(2026, 10, 1)) == [
        (PackKind.QUARTERLY, dt.date(2026, 9, 30))
    ]


def test_committee_due_after_the_committee_month(aberdeen_like):
    assert packs_due(organisation=aberdeen_like, today=dt.date(2026, 12, 1)) == [
        (PackKind.COMMITTEE, dt.date(2026, 11, 30))
    ]


def test_catch_up_for_a_week_then_nothing(aberdeen_like):
    assert packs_due(organisation=aberdeen_like, today=dt.date(2026, 10, 7)) != []
    assert packs_due(organisation=aberdeen_like, today=dt.date(2026, 10, 8)) == []
    assert packs_due(organisation=aberdeen_like, today=dt.date(2026, 8, 15)) == []


def test_year_boundary(aberdeen_like):
    assert packs_due(organisation=aberdeen_like, today=dt.date(2027, 1, 2)) == [
        (PackKind.QUARTERLY, dt.date(2026, 12, 31))
    ]


def test_requests_both_editions_once(aberdeen_like):
    first = request_scheduled_packs(today=dt.date(2026, 10, 1))
    mine = [pack for pack in first if pack.organisation == aberdeen_like]
    assert sorted(pack.edition for pack in mine) == ["full", "public"]
    assert all(pack.scheduled and pack.as_of == dt.date(2026, 9, 30) for pack in mine)
    again = request_scheduled_packs(today=dt.date(2026, 10, 2))
    assert [pack for pack in again if pack.organisation == aberdeen_like] == []
    assert Pack.objects.filter(organisation=aberdeen_like).count() == 2


def test_the_beat_task_runs_the_same_code(aberdeen_like):
    assert request_scheduled_packs_task("2026-10-01") >= 2
    assert request_scheduled_packs_task("2026-10-01") == 0
