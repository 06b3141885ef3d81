"""How long a risk has stood where it stands, counted in quarter ends: "outside appetite since
March 2026, 3 quarters", and risks red at more than N consecutive quarter ends (candidates for a
deep dive, N = ``Organisation.deep_dive_quarters``).

Read from history at each quarter end of the organisation's calendar (``registers.calendar``),
going back from the latest at or before the moment: the run is the quarter ends, unbroken, at
which the risk was in that state. At each quarter end the risk is judged as it stood then: its
score and category of then against the appetite statements of then (``appetite.rules``, the
rule every pack and list uses), so the count agrees with the packs of those quarters. A closed
or not-yet-created risk breaks the run.

"Red" is the top band of the scheme version the risk was rated under at that quarter end
(MOPAC's High, the Met's Very high, WMP's Critical, ESPO's Very high, Aberdeen's High): what a
RAG reader calls red, for schemes with three bands or six (docs/decisions.md).

Three queries for any number of risks and quarters: the risks' records, the appetite
statements' records and the scheme versions.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from appetite.models import AppetiteStatement
from appetite.rules import AppetiteState
from appetite.selectors import AppetiteLookup
from scoring.engine import RatingError, rate
from scoring.models import SchemeVersion

from ..calendar import organisation_zone, quarter_ends
from ..models import Organisation, Risk, RiskStatus

# How far back a run is counted: ten years of quarter ends. A run that reaches it says "or more".
LOOKBACK_QUARTERS = 40


@dataclass(frozen=True)
class QuarterRun:
    """A run of consecutive quarter ends in one state, going back from the latest quarter end
    at or before the moment. ``since`` is the earliest quarter end of the run (None when the
    risk was not in that state at the latest one); ``latest`` is that latest quarter end."""

    quarters: int
    since: dt.date | None
    latest: dt.date | None
    open_ended: bool = False  # the run reaches back as far as we look: "or more"
    added: dt.date | None = None  # no quarters, and not on the registers at the latest one

    @property
    def since_month(self) -> str:
        """ "March 2026"."""
        return f"{self.since:%B %Y}" if self.since else ""

    @property
    def quarters_text(self) -> str:
        """ "3 quarters", "1 quarter", "40 quarters or more"."""
        text = f"{self.quarters} quarter{'s' if self.quarters != 1 else ''}"
        return f"{text} or more" if self.open_ended else text

    @property
    def breach_text(self) -> str:
        """As the pack and the risk page print it beside a breach."""
        if not self.quarters:
            if self.added is not None:
                return f"outside appetite since it was added on {self.added:%-d %B %Y}"
            if self.latest is None:
                return "outside appetite this quarter"
            # No brackets: the pack's summary puts this in its own (no "(... (...))").
            return f"newly outside appetite: it was not at the end of {self.latest:%B %Y}"
        return f"outside appetite since {self.since_month}, {self.quarters_text}"

    @property
    def breach_short(self) -> str:
        """Beside "Breach" in a narrow column: "since March 2026, 3 quarters"."""
        if not self.quarters:
            return f"since added, {self.added:%-d %b %Y}" if self.added else "since this quarter"
        return f"since {self.since_month}, {self.quarters_text}"

    @property
    def red_text(self) -> str:
        if not self.quarters:
            return ""
        return f"in the top band since {self.since_month}, {self.quarters_text}"


@dataclass
class QuarterStanding:
    """Per risk id: its breach run and its red (top band) run."""

    breach: dict[int, QuarterRun]
    red: dict[int, QuarterRun]

    def deep_dive_ids(self, quarters: int) -> frozenset[int]:
        """Risks red at more than ``quarters`` consecutive quarter ends."""
        return frozenset(pk for pk, run in self.red.items() if run.quarters > quarters)


def _latest_at(records: list, dates: list, moment: dt.datetime):
    index = bisect.bisect_right(dates, moment)
    return records[index - 1] if index else None


def _read(organisation: Organisation, ids: list[int], moment: dt.datetime):
    rows = list(
        Risk.history.filter(id__in=ids, history_date__lte=moment)
        .order_by("id", "history_date", "history_id")
        .values_list(
            "id",
            "history_date",
            "history_type",
            "status",
            "category_id",
            "current_score",
            "current_likelihood",
            "current_impact",
            "scheme_version_id",
        )
    )
    statements = list(
        AppetiteStatement.history.filter(
            organisation_id=organisation.id, history_date__lte=moment
        ).order_by("history_date", "history_id")
    )
    versions = SchemeVersion.objects.in_bulk({row[8] for row in rows if row[8] is not None})
    return rows, statements, versions


def quarter_standing(
    *,
    organisation: Organisation,
    risk_ids: Iterable[int],
    moment: dt.datetime,
    lookback: int = LOOKBACK_QUARTERS,
    records=None,
) -> QuarterStanding:
    """The breach run and the red run of each of these risks, as at ``moment`` (aware). A risk
    not in breach (or not red) at ``moment`` itself has a run of 0 quarters whatever came before:
    a run is its present state's. ``records`` (``selectors.risk_records.RiskRecords`` of the one
    risk asked about, as its page holds them): no query."""
    ids = sorted(set(risk_ids))
    standing = QuarterStanding(breach={}, red={})
    if not ids:
        return standing
    ends = quarter_ends(organisation=organisation, moment=moment, count=lookback, inclusive=True)
    ends.reverse()  # newest first
    if records is not None:
        if len(ids) != 1:
            raise ValueError("records are one risk's: ask about that risk alone")
        rows = [
            (
                record.id,
                record.history_date,
                record.history_type,
                record.status,
                record.category_id,
                record.current_score,
                record.current_likelihood,
                record.current_impact,
                record.scheme_version_id,
            )
            for record in records.risk_upto(moment)
        ]
        statements = records.statements_upto(moment)
        versions = records.versions({row[8] for row in rows if row[8] is not None})
    else:
        rows, statements, versions = _read(organisation, ids, moment)

    zone = organisation_zone(organisation)
    by_risk: dict[int, list] = defaultdict(list)
    for row in rows:
        by_risk[row[0]].append(row)
    statement_dates = [record.history_date for record in statements]

    lookups: dict[dt.datetime, AppetiteLookup] = {}

    def lookup_at(when: dt.datetime) -> AppetiteLookup:
        if when not in lookups:
            upto = statements[: bisect.bisect_right(statement_dates, when)]
            latest = {}
            for record in upto:
                latest[record.id] = record
            lookups[when] = AppetiteLookup(r for r in latest.values() if r.history_type != "-")
        return lookups[when]

    def state_at(records, dates, when) -> tuple[bool, bool]:
        """(in breach, red) of the risk at ``when``."""
        record = _latest_at(records, dates, when)
        if record is None or record[2] == "-" or record[3] == RiskStatus.CLOSED:
            return False, False
        _pk, _date, _type, _status, category_id, score, likelihood, impact, version_id = record
        breach = lookup_at(when).state(category_id=category_id, score=score) == AppetiteState.BREACH
        red = False
        version = versions.get(version_id)
        if version is not None and likelihood is not None and impact is not None:
            try:
                rating = rate(version.parsed, likelihood, impact)
            except RatingError:
                rating = None
            red = rating is not None and rating.band.position == len(version.parsed.bands)
        return breach, red

    latest = ends[0].astimezone(zone).date() if ends else None
    for pk in ids:
        records = by_risk.get(pk, [])
        dates = [record[1] for record in records]
        # Not there at the latest quarter end (or no quarter end looked at): when it was added.
        added = None
        if records and (not ends or _latest_at(records, dates, ends[0]) is None):
            added = records[0][1].astimezone(zone).date()
        breach_now, red_now = state_at(records, dates, moment)
        counts = {"breach": 0, "red": 0}
        now = {"breach": breach_now, "red": red_now}
        going = dict(now)
        first = {"breach": None, "red": None}
        for end in ends:
            if not any(going.values()):
                break
            breach, red = state_at(records, dates, end)
            for key, value in (("breach", breach), ("red", red)):
                if going[key] and value:
                    counts[key] += 1
                    first[key] = end
                else:
                    going[key] = False
        for key, target in (("breach", standing.breach), ("red", standing.red)):
            if not now[key]:
                continue
            target[pk] = QuarterRun(
                quarters=counts[key],
                since=first[key].astimezone(zone).date() if first[key] else None,
                latest=latest,
                open_ended=bool(ends) and counts[key] == len(ends),
                added=added,
            )
    return standing
