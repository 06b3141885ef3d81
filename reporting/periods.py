"""Report periods: "the last report" an organisation made, on its calendar (``registers.calendar``:
its quarter ends and committee dates, in its timezone).

"The last report" is the last committee date when the organisation has committee months (Aberdeen
3.6: movement since the last report to the Audit Committee), otherwise the last quarter end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import formats

from registers.calendar import (
    day_end,
    last_committee_date,
    local_date,
    previous_quarter_end,
)
from registers.models import Organisation

QUARTER = "quarter"
COMMITTEE = "committee"
__all__ = [
    "COMMITTEE",
    "QUARTER",
    "ReportDate",
    # The calendar's, for the lifecycle views (``periods.day_end``, ``periods.local_date``),
    # which other work is changing at the same time; new code imports ``registers.calendar``.
    "day_end",
    "last_quarter_report",
    "last_report_date",
    "local_date",
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
    return ReportDate(
        moment=moment, kind=kind, local_date=local_date(organisation=organisation, moment=moment)
    )


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
