"""Report periods come from the organisation's calendar, in its timezone (issue 4: "Report periods
come from the organisation's calendar (quarter ends; the bi-annual committee dates)")."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from registers import calendar
from reporting import periods

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC
Q3_2026 = dt.date(2026, 9, 30)


def org(quarters=(3, 6, 9, 12), committee=(3, 9), zone="Europe/London"):
    return SimpleNamespace(
        timezone=zone, quarter_end_months=list(quarters), committee_months=list(committee)
    )


def end_of(day: dt.date, zone=LONDON) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=zone)


def test_last_three_quarter_ends_oldest_first():
    moment = dt.datetime(2026, 11, 22, 1, 39, tzinfo=UTC)
    ends = calendar.quarter_ends(organisation=org(), moment=moment, count=3)
    assert ends == [end_of(dt.date(2026, 3, 31)), end_of(dt.date(2026, 6, 30)), end_of(Q3_2026)]


def test_a_quarter_end_is_the_last_instant_of_the_day_in_london():
    """31 March ends at midnight London time (BST begins on the last Sunday in March)."""
    (end,) = calendar.quarter_ends(
        organisation=org(), moment=dt.datetime(2026, 4, 2, tzinfo=UTC), count=1
    )
    assert end == end_of(dt.date(2026, 3, 31))
    assert end.astimezone(UTC) == dt.datetime(2026, 3, 31, 22, 59, 59, 999999, tzinfo=UTC)
    # 23:30 UTC on 31 March is already 1 April in London: March has ended there.
    assert calendar.previous_quarter_end(
        organisation=org(), moment=dt.datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    ) == end_of(dt.date(2026, 3, 31))
    assert calendar.previous_quarter_end(
        organisation=org(), moment=dt.datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
    ) == end_of(dt.date(2025, 12, 31))


def test_inclusive_takes_a_quarter_end_that_is_the_moment_itself():
    """ "As at 31 December 2021" is the end of that day: its quarter is the last column."""
    moment = end_of(dt.date(2021, 12, 31))
    strict = calendar.quarter_ends(organisation=org(), moment=moment, count=3)
    inclusive = calendar.quarter_ends(organisation=org(), moment=moment, count=3, inclusive=True)
    assert [e.date() for e in strict] == [
        dt.date(2021, 3, 31),
        dt.date(2021, 6, 30),
        dt.date(2021, 9, 30),
    ]
    assert [e.date() for e in inclusive] == [
        dt.date(2021, 6, 30),
        dt.date(2021, 9, 30),
        dt.date(2021, 12, 31),
    ]


def test_own_quarter_months_and_timezone():
    moment = dt.datetime(2026, 3, 10, tzinfo=UTC)
    assert calendar.previous_quarter_end(
        organisation=org(quarters=(1, 4, 7, 10)), moment=moment
    ) == end_of(dt.date(2026, 1, 31))
    auckland = ZoneInfo("Pacific/Auckland")
    end = calendar.previous_quarter_end(
        organisation=org(zone="Pacific/Auckland"), moment=dt.datetime(2026, 4, 1, 0, tzinfo=UTC)
    )
    assert end == end_of(dt.date(2026, 3, 31), auckland)
    # No months stored: the standard quarters.
    assert calendar.previous_quarter_end(organisation=org(quarters=()), moment=moment) == end_of(
        dt.date(2025, 12, 31)
    )


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Aberdeen: Court and Audit Committee in May and November (our reading of 3.6 and 4.5).
        (dt.datetime(2026, 11, 22, tzinfo=UTC), dt.date(2026, 5, 31)),
        (dt.datetime(2026, 12, 1, 12, tzinfo=UTC), dt.date(2026, 11, 30)),
        (dt.datetime(2026, 3, 1, tzinfo=UTC), dt.date(2025, 11, 30)),
    ],
)
def test_last_committee_date(moment, expected):
    aberdeen = org(committee=(5, 11))
    assert calendar.last_committee_date(organisation=aberdeen, moment=moment) == end_of(expected)
    report = periods.last_report_date(organisation=aberdeen, moment=moment)
    assert (report.kind, report.local_date) == (periods.COMMITTEE, expected)
    assert report.label == f"the committee report of {expected.day} {expected:%B %Y}"


def test_last_report_is_the_quarter_end_without_committee_months():
    moment = dt.datetime(2026, 11, 22, tzinfo=UTC)
    assert calendar.last_committee_date(organisation=org(committee=()), moment=moment) is None
    report = periods.last_report_date(organisation=org(committee=()), moment=moment)
    assert (report.kind, report.local_date) == (periods.QUARTER, Q3_2026)
    assert report.label == "the quarter end of 30 September 2026"


def test_committee_dates_oldest_first():
    dates = calendar.committee_dates(
        organisation=org(committee=(3, 10)), moment=dt.datetime(2026, 11, 22, tzinfo=UTC), count=3
    )
    assert [d.date() for d in dates] == [
        dt.date(2025, 10, 31),
        dt.date(2026, 3, 31),
        dt.date(2026, 10, 31),
    ]


@pytest.mark.parametrize(
    ("day", "months", "label"),
    [
        (dt.date(2021, 6, 30), (3, 6, 9, 12), "Q1 2021/22"),  # WMP's Q1
        (dt.date(2021, 12, 31), (3, 6, 9, 12), "Q3 2021/22"),
        (dt.date(2022, 3, 31), (3, 6, 9, 12), "Q4 2021/22"),
        (dt.date(2026, 1, 31), (1, 4, 7, 10), "Quarter to 31 Jan 2026"),
    ],
)
def test_quarter_labels_follow_the_uk_financial_year(day, months, label):
    assert calendar.quarter_label(organisation=org(quarters=months), end=end_of(day)) == label


def test_day_end_and_local_date():
    aberdeen = org()
    end = calendar.day_end(organisation=aberdeen, day=dt.date(2026, 7, 1))
    assert end == end_of(dt.date(2026, 7, 1))
    assert calendar.local_date(organisation=aberdeen, moment=end.astimezone(UTC)) == dt.date(
        2026, 7, 1
    )


@pytest.mark.parametrize("zone", ["", "Not/AZone", "../etc/passwd"])
def test_a_missing_or_unknown_timezone_reads_as_the_default(zone, settings):
    """One zone for every reader: the dashboard's "today" once fell back to the server's zone
    where the register page fell back to the default; both read the calendar's now."""
    settings.RISKREG_DEFAULT_TIMEZONE = "Pacific/Auckland"
    organisation = org(zone=zone)
    assert calendar.organisation_zone(organisation) == ZoneInfo("Pacific/Auckland")
    moment = dt.datetime(2026, 6, 30, 13, tzinfo=UTC)  # 1 July in Auckland
    assert calendar.local_date(organisation=organisation, moment=moment) == dt.date(2026, 7, 1)
