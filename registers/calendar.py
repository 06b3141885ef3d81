"""The organisation's calendar: its timezone, its today, its quarter ends and committee dates, how
long "due soon" is, and the earliest day a register can be shown as it stood.

One module, so that the register page, the dashboard, the reminders, the exports and the packs
agree on what "today" and "the end of last quarter" are. Everything is read in the organisation's
timezone (Europe/London unless it says otherwise). A period ends at the last instant of its
month, local time, so "as at 31 March" includes all of 31 March in London whether it is GMT or
BST.

An organisation reports at its quarter ends (``quarter_end_months``, by default March, June,
September and December) and to its committee at the end of its committee months
(``committee_months``: Aberdeen's Court and Audit Committee twice a year, May and November).

It lives in ``registers`` because the register page needs it and ``registers`` never imports
``reporting``; ``reporting.periods`` builds its report periods on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone

from .models import Organisation

# A review due within this many days is "due soon" (register filter, dashboard, My work, review
# health and the committee pack all count the same risks).
DUE_SOON_DAYS = 30

DEFAULT_QUARTER_END_MONTHS = (3, 6, 9, 12)
STANDARD_QUARTERS = list(DEFAULT_QUARTER_END_MONTHS)
FINANCIAL_YEAR_START = 4  # UK public bodies: 1 April


# --- timezone and today ------------------------------------------------------------------------


def organisation_zone(organisation: Organisation) -> ZoneInfo:
    """The organisation's timezone; the default (``RISKREG_DEFAULT_TIMEZONE``) when it names
    none or one that does not exist."""
    fallback = getattr(settings, "RISKREG_DEFAULT_TIMEZONE", "Europe/London")
    try:
        return ZoneInfo(organisation.timezone or fallback)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


def organisation_today(organisation: Organisation) -> dt.date:
    """Today where the organisation is: review and due dates are read in its timezone."""
    return timezone.localdate(timezone=organisation_zone(organisation))


def reminder_horizon(*, organisation: Organisation, today: dt.date) -> dt.date:
    """The last day a review or action counts as due for an owner's reminder e-mail and their
    quick update page: today plus the organisation's reminder notice period (overdue ones are
    due too). The e-mail and the page it links to list the same risks."""
    return today + dt.timedelta(days=organisation.reminder_notice_days)


def local_date(*, organisation: Organisation, moment: dt.datetime) -> dt.date:
    """The day ``moment`` falls on where the organisation is."""
    return moment.astimezone(organisation_zone(organisation)).date()


def end_of_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=zone)


def day_end(*, organisation: Organisation, day: dt.date) -> dt.datetime:
    """The end of ``day`` in the organisation's timezone ("as it stood on 31 March")."""
    return end_of_day(day, organisation_zone(organisation))


# The earliest day a page, an export or a pack is shown "as it stood". History starts when the
# register does, so an earlier day shows nothing anyway; and days near year 1 cannot be moved
# between timezones (OverflowError), so they are refused, said so, rather than a traceback.
EARLIEST_AS_OF = dt.date(1900, 1, 1)
AS_OF_TOO_EARLY = "the date is before 1900: give a date from 1 January 1900 on"


def as_of_day_check(day: dt.date) -> dt.date:
    """``day`` if a register can be shown as it stood then; else ValueError(AS_OF_TOO_EARLY)."""
    if day < EARLIEST_AS_OF:
        raise ValueError(AS_OF_TOO_EARLY)
    return day


# --- months ------------------------------------------------------------------------------------


def calendar_months(months, default=DEFAULT_QUARTER_END_MONTHS) -> list[int]:
    """Month numbers as stored on the organisation (JSON), cleaned; ``default`` when none."""
    cleaned = set()
    for month in months or ():
        try:
            number = int(month)
        except (TypeError, ValueError):
            continue
        if 1 <= number <= 12:
            cleaned.add(number)
    return sorted(cleaned) or list(default)


def last_day_of_month(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def month_end(year: int, month: int, zone: ZoneInfo) -> dt.datetime:
    """The last instant of a month, local time (the same instant as the end of its last day)."""
    return end_of_day(last_day_of_month(year, month), zone)


def month_ends(
    *, months: Iterable[int], zone: ZoneInfo, moment: dt.datetime, count: int, inclusive: bool
) -> list[dt.datetime]:
    """The last ``count`` ends of the given months before ``moment`` (at or before it when
    ``inclusive``), oldest first."""
    wanted = set(months)
    local = moment.astimezone(zone)
    year, month = local.year, local.month
    found: list[dt.datetime] = []
    for _ in range(12 * (count + 2)):
        if month in wanted:
            end = month_end(year, month, zone)
            if end < moment or (inclusive and end == moment):
                found.append(end)
                if len(found) == count:
                    break
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(found))


def last_month_end_before(months: Iterable[int], day: dt.date) -> dt.date | None:
    """The last day of the latest of ``months`` that ended before ``day``; None without months."""
    months = list(months)
    ends = [last_day_of_month(year, month) for year in (day.year, day.year - 1) for month in months]
    past = [end for end in ends if end < day]
    return max(past) if past else None


def next_month_end_from(months: Iterable[int], day: dt.date) -> dt.date | None:
    """The last day of the first of ``months`` that ends on or after ``day``; None without
    months."""
    months = list(months)
    ends = [last_day_of_month(year, month) for year in (day.year, day.year + 1) for month in months]
    return min((end for end in ends if end >= day), default=None)


# --- quarters and committees -------------------------------------------------------------------


def quarter_ends(
    *, organisation: Organisation, moment: dt.datetime, count: int = 1, inclusive: bool = False
) -> list[dt.datetime]:
    """The last ``count`` quarter ends of the organisation's calendar (its quarter-end months,
    in its timezone) before ``moment``, or at it when ``inclusive``; oldest first."""
    return month_ends(
        months=calendar_months(organisation.quarter_end_months),
        zone=organisation_zone(organisation),
        moment=moment,
        count=count,
        inclusive=inclusive,
    )


def previous_quarter_end(*, organisation: Organisation, moment: dt.datetime) -> dt.datetime:
    """The end of the latest quarter of the organisation's calendar that ended before
    ``moment``."""
    return quarter_ends(organisation=organisation, moment=moment)[0]


def committee_dates(
    *, organisation: Organisation, moment: dt.datetime, count: int = 1
) -> list[dt.datetime]:
    """The ends of the last ``count`` committee months before ``moment``, oldest first; empty
    when the organisation has no committee months."""
    months = calendar_months(organisation.committee_months, default=())
    if not months:
        return []
    return month_ends(
        months=months,
        zone=organisation_zone(organisation),
        moment=moment,
        count=count,
        inclusive=False,
    )


def last_committee_date(*, organisation: Organisation, moment: dt.datetime) -> dt.datetime | None:
    dates = committee_dates(organisation=organisation, moment=moment)
    return dates[-1] if dates else None


def quarter_label(*, organisation: Organisation, end: dt.datetime) -> str:
    """A quarter as a UK public body names it: "Q1 2021/22" for the quarter to 30 June 2021 (the
    financial year starts on 1 April) when the organisation reports on the standard quarter ends;
    otherwise "Quarter to 31 Jan 2026"."""
    local = end.astimezone(organisation_zone(organisation))
    if calendar_months(organisation.quarter_end_months) != STANDARD_QUARTERS:
        return f"Quarter to {local.day} {local:%b %Y}"
    number = (local.month - FINANCIAL_YEAR_START) % 12 // 3 + 1
    start_year = local.year if local.month >= FINANCIAL_YEAR_START else local.year - 1
    return f"Q{number} {start_year}/{(start_year + 1) % 100:02d}"


def last_report_date(*, organisation: Organisation, moment: dt.datetime) -> dt.datetime:
    """The end of the organisation's last reporting period before ``moment``: the later of its
    previous quarter end and its last committee date ("changed since the last report")."""
    ends = [previous_quarter_end(organisation=organisation, moment=moment)]
    committee = last_committee_date(organisation=organisation, moment=moment)
    if committee is not None:
        ends.append(committee)
    return max(ends)
