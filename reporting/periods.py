"""Report periods from the organisation's calendar, in the organisation's timezone.

An organisation reports at its quarter ends (``quarter_end_months``, by default March, June,
September and December) and to its committee at the end of its committee months
(``committee_months``: Aberdeen's Court and Audit Committee twice a year, May and November). A
period ends at the last instant of its month, local time, so "as at 31 March" includes all of
31 March in London whether it is GMT or BST.

"The last report" is the last committee date when the organisation has committee months (Aberdeen
3.6: movement since the last report to the Audit Committee), otherwise the last quarter end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import formats

from registers.models import Organisation
from registers.selectors import (
    calendar_months,
    end_of_day,
    month_ends,
    organisation_zone,
    quarter_ends,
    quarter_label,
)

QUARTER = "quarter"
COMMITTEE = "committee"
__all__ = [
    "COMMITTEE",
    "QUARTER",
    "ReportDate",
    "committee_dates",
    "day_end",
    "last_committee_date",
    "last_quarter_ends",
    "last_quarter_report",
    "last_report_date",
    "local_date",
    "previous_quarter_end",
    "quarter_label",
]


@dataclass(frozen=True)
class ReportDate:
    moment: dt.datetime  # the last instant of the period, aware
    kind: str  # QUARTER or COMMITTEE
    local_date: dt.date

    @property
    def label(self) -> str:
        day = formats.date_format(self.local_date, "j F Y")
        if self.kind == COMMITTEE:
            return f"the committee report of {day}"
        return f"the quarter end of {day}"


def _report_date(moment: dt.datetime, kind: str, organisation: Organisation) -> ReportDate:
    local = moment.astimezone(organisation_zone(organisation))
    return ReportDate(moment=moment, kind=kind, local_date=local.date())


def previous_quarter_end(*, organisation: Organisation, moment: dt.datetime) -> dt.datetime:
    """The end of the latest quarter of the organisation's calendar that ended before
    ``moment``."""
    return quarter_ends(organisation=organisation, moment=moment)[0]


def last_quarter_ends(
    *, organisation: Organisation, moment: dt.datetime, count: int = 3, inclusive: bool = False
) -> list[dt.datetime]:
    """The last ``count`` quarter ends before ``moment`` (at or before it when ``inclusive``),
    oldest first."""
    return quarter_ends(organisation=organisation, moment=moment, count=count, inclusive=inclusive)


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


def last_report_date(*, organisation: Organisation, moment: dt.datetime) -> ReportDate:
    """The last report before ``moment``: the last committee date, else the last quarter end."""
    committee = last_committee_date(organisation=organisation, moment=moment)
    if committee is not None:
        return _report_date(committee, COMMITTEE, organisation)
    return last_quarter_report(organisation=organisation, moment=moment)


def last_quarter_report(*, organisation: Organisation, moment: dt.datetime) -> ReportDate:
    return _report_date(
        previous_quarter_end(organisation=organisation, moment=moment), QUARTER, organisation
    )


def day_end(*, organisation: Organisation, day: dt.date) -> dt.datetime:
    """The end of ``day`` in the organisation's timezone ("as it stood on 31 March")."""
    return end_of_day(day, organisation_zone(organisation))


def local_date(*, organisation: Organisation, moment: dt.datetime) -> dt.date:
    return moment.astimezone(organisation_zone(organisation)).date()
