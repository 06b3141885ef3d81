"""A Reports page with no packs says who builds them and when the next one is due (the daily
beat task's calendar, reporting.packs.schedule)."""

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils.formats import date_format

from registers import selectors
from registers.models import Organisation, Role
from reporting.packs.schedule import (
    NEXT_PACK_AUTOMATIC,
    NEXT_PACK_ON_REQUEST,
    PACKS_BUILT_BY,
    next_scheduled_packs,
    packs_schedule_notes,
)
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def day(value: dt.date) -> str:
    return date_format(value, "j F Y")


@pytest.fixture
def aberdeen_like():
    return OrganisationFactory(
        name="Aberdeen-like", quarter_end_months=[3, 6, 9, 12], committee_months=[5, 11]
    )


def test_next_packs_from_the_calendar(aberdeen_like):
    upcoming = next_scheduled_packs(organisation=aberdeen_like, today=dt.date(2026, 12, 6))
    assert [(p.kind, p.as_of, p.built_on) for p in upcoming] == [
        ("quarterly", dt.date(2026, 12, 31), dt.date(2027, 1, 1)),
        ("committee", dt.date(2027, 5, 31), dt.date(2027, 6, 1)),
    ]


def test_a_pack_built_today_is_still_the_next_one(aberdeen_like):
    upcoming = next_scheduled_packs(organisation=aberdeen_like, today=dt.date(2027, 1, 1))
    assert (upcoming[0].as_of, upcoming[0].built_on) == (dt.date(2026, 12, 31), dt.date(2027, 1, 1))


def test_no_committee_months_no_committee_pack():
    organisation = Organisation(quarter_end_months=[3, 6, 9, 12], committee_months=[])
    upcoming = next_scheduled_packs(organisation=organisation, today=dt.date(2026, 12, 31))
    assert [(p.kind, p.as_of) for p in upcoming] == [("quarterly", dt.date(2026, 12, 31))]


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_notes_with_beat(aberdeen_like):
    notes = packs_schedule_notes(organisation=aberdeen_like, today=dt.date(2026, 12, 6))
    assert notes == [
        PACKS_BUILT_BY.format(organisation="Aberdeen-like"),
        NEXT_PACK_AUTOMATIC.format(
            kind="quarterly", as_of="31 December 2026", built_on="1 January 2027"
        ),
        NEXT_PACK_AUTOMATIC.format(kind="committee", as_of="31 May 2027", built_on="1 June 2027"),
    ]


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_notes_without_a_worker_do_not_promise_a_build(aberdeen_like):
    notes = packs_schedule_notes(organisation=aberdeen_like, today=dt.date(2026, 12, 6))
    assert notes[1:] == [
        NEXT_PACK_ON_REQUEST.format(kind="quarterly", as_of="31 December 2026"),
        NEXT_PACK_ON_REQUEST.format(kind="committee", as_of="31 May 2027"),
    ]


@pytest.mark.parametrize("role", [Role.PANEL, Role.COORDINATOR])
@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_reports_page_without_packs_says_who_and_when(client, aberdeen_like, role):
    client.force_login(MembershipFactory(organisation=aberdeen_like, role=role).user)
    page = client.get(reverse("packs", args=[aberdeen_like.slug])).content.decode()
    assert "No packs yet" in page
    assert PACKS_BUILT_BY.format(organisation="Aberdeen-like") in page
    upcoming = next_scheduled_packs(
        organisation=aberdeen_like, today=selectors.organisation_today(aberdeen_like)
    )
    assert f"as at {day(upcoming[0].as_of)}" in page
    assert day(upcoming[0].built_on) in page


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_your_reports_without_packs_says_who_and_when(client, aberdeen_like):
    client.force_login(MembershipFactory(organisation=aberdeen_like, role=Role.PANEL).user)
    page = client.get(reverse("my_packs")).content.decode()
    assert "No packs are ready yet" in page
    assert PACKS_BUILT_BY.format(organisation="Aberdeen-like") in page
    upcoming = next_scheduled_packs(
        organisation=aberdeen_like, today=selectors.organisation_today(aberdeen_like)
    )
    assert day(upcoming[0].built_on) in page
