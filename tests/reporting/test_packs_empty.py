"""A Reports page with no packs says who builds them and when the next one is due (the daily
beat task's calendar, reporting.packs.schedule)."""

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import escape

from registers import selectors
from registers.models import Organisation, Role
from reporting.packs.schedule import (
    NEXT_PACK_AUTOMATIC,
    NEXT_PACK_AUTOMATIC_FOR_YOU,
    NEXT_PACK_ON_REQUEST,
    NEXT_PACK_ON_REQUEST_FOR_YOU,
    PACKS_BUILT_BY,
    PACKS_BUILT_BY_HERE,
    PACKS_YOU_BUILD,
    PACKS_YOU_BUILD_HERE,
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


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_notes_to_a_coordinator_say_what_they_do(aberdeen_like):
    today = dt.date(2026, 12, 6)
    here = packs_schedule_notes(organisation=aberdeen_like, today=today, requester=True, here=True)
    assert here == [
        PACKS_YOU_BUILD_HERE.format(organisation="Aberdeen-like"),
        NEXT_PACK_ON_REQUEST_FOR_YOU.format(kind="quarterly", as_of="31 December 2026"),
        NEXT_PACK_ON_REQUEST_FOR_YOU.format(kind="committee", as_of="31 May 2027"),
    ]
    elsewhere = packs_schedule_notes(organisation=aberdeen_like, today=today, requester=True)
    assert elsewhere[0] == PACKS_YOU_BUILD.format(organisation="Aberdeen-like")


@pytest.mark.parametrize(
    ("role", "who"),
    [
        (Role.PANEL, PACKS_BUILT_BY_HERE),
        (Role.VIEWER, PACKS_BUILT_BY_HERE),
        (Role.OWNER, PACKS_BUILT_BY_HERE),
        # Told what they do, on the page where they do it (decision 125), not that "risk
        # coordinators ... request packs on its Reports page".
        (Role.COORDINATOR, PACKS_YOU_BUILD_HERE),
        (Role.ADMIN, PACKS_YOU_BUILD_HERE),
    ],
)
@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_reports_page_without_packs_says_who_and_when(client, aberdeen_like, role, who):
    client.force_login(MembershipFactory(organisation=aberdeen_like, role=role).user)
    page = client.get(reverse("packs", args=[aberdeen_like.slug])).content.decode()
    assert "No packs yet" in page
    assert escape(who.format(organisation="Aberdeen-like")) in page
    assert "its Reports page" not in page
    upcoming = next_scheduled_packs(
        organisation=aberdeen_like, today=selectors.organisation_today(aberdeen_like)
    )
    assert f"as at {day(upcoming[0].as_of)}" in page
    assert day(upcoming[0].built_on) in page
    automatic = NEXT_PACK_AUTOMATIC_FOR_YOU if who == PACKS_YOU_BUILD_HERE else NEXT_PACK_AUTOMATIC
    assert (
        escape(
            automatic.format(
                kind=upcoming[0].kind,
                as_of=day(upcoming[0].as_of),
                built_on=day(upcoming[0].built_on),
            )
        )
        in page
    )
    if who == PACKS_YOU_BUILD_HERE:
        assert "Risk coordinators" not in page and "for a coordinator" not in page


@pytest.mark.parametrize(
    ("role", "who"),
    [
        (Role.PANEL, PACKS_BUILT_BY),
        (Role.VIEWER, PACKS_BUILT_BY),
        (Role.COORDINATOR, PACKS_YOU_BUILD),
    ],
)
@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_your_reports_without_packs_says_who_and_when(client, aberdeen_like, role, who):
    client.force_login(MembershipFactory(organisation=aberdeen_like, role=role).user)
    page = client.get(reverse("my_packs")).content.decode()
    assert "No packs are ready yet" in page
    assert escape(who.format(organisation="Aberdeen-like")) in page
    upcoming = next_scheduled_packs(
        organisation=aberdeen_like, today=selectors.organisation_today(aberdeen_like)
    )
    assert day(upcoming[0].built_on) in page
