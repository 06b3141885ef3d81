"""A risk's current score, target score and tolerance over its last eight quarters, from history
(the risk page and its Risk Action Plan page in packs); an indicator's readings against its
amber and red thresholds.

The risk's records and the appetite statements' records come back in one query (a UNION of the
two history tables), for one risk or for every risk of a pack. The tolerance is the one that
applied then: the statement of the risk's category of then, or the organisation's general
statement, as ``appetite.selectors.AppetiteLookup`` reads today's (docs/decisions.md).

Points are placed on the quarter axis: 0 is the oldest of the eight quarter ends, 8 the moment
(today, or the pack's day); a change between two quarter ends falls between them, in time.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import CharField, IntegerField, Value

from appetite.models import AppetiteStatement

from ..calendar import quarter_ends, quarter_label
from ..models import IndicatorReading, Organisation, Risk, RiskStatus

QUARTERS = 8
ON_REGISTER, NOT_YET, CLOSED = "", "Not on the register", "Closed"


@dataclass(frozen=True)
class Standing:
    """The risk at one moment: its scores and the tolerance of then, or why none."""

    current: int | None = None
    target: int | None = None
    tolerance: int | None = None
    absent: str = NOT_YET  # "" while on the register


@dataclass(frozen=True)
class RiskSeries:
    labels: tuple[str, ...]  # the quarter labels, then the moment's ("Today", "At 31 Mar 2026")
    moments: tuple[dt.datetime, ...]
    at: tuple[Standing, ...]  # the risk at each of ``moments``
    changes: tuple[tuple[float, Standing], ...]  # (position on the axis, the risk from then)

    def points(self, name: str) -> tuple[tuple[float, int | None], ...]:
        return tuple((x, getattr(standing, name)) for x, standing in self.changes)


def _position(moments: list[dt.datetime], when: dt.datetime) -> float:
    if when <= moments[0]:
        return 0.0
    index = bisect.bisect_left(moments, when)
    before, after = moments[index - 1], moments[index]
    return index - 1 + (when - before) / (after - before)


def risk_series_many(
    *,
    organisation: Organisation,
    risk_ids: Iterable[int],
    moment: dt.datetime,
    moment_label: str = "Today",
    quarters: int = QUARTERS,
    records=None,
) -> dict[int, RiskSeries]:
    """Each risk's series over the last ``quarters`` quarter ends before ``moment`` and
    ``moment`` itself. One query for any number of risks; none from ``records``
    (``selectors.risk_records.RiskRecords`` of the one risk asked about, as its page holds
    them)."""
    ids = sorted(set(risk_ids))
    if not ids:
        return {}
    ends = quarter_ends(organisation=organisation, moment=moment, count=quarters)
    moments = [*ends, moment]
    labels = (*(quarter_label(organisation=organisation, end=end) for end in ends), moment_label)
    if records is not None:
        if len(ids) != 1:
            raise ValueError("records are one risk's: ask about that risk alone")
        rows = _held_rows(records, moment)
    else:
        rows = _read_rows(organisation, ids, moment)
    return _series(rows, ids, moments, labels)


def _held_rows(records, moment: dt.datetime) -> list[tuple]:
    """The rows ``_read_rows`` reads, from records already held."""
    rows = [
        ("r", r.id, r.history_date, r.history_id, r.history_type, r.status)
        + (r.current_score, r.target_score, r.category_id)
        for r in records.risk_upto(moment)
    ]
    rows += [
        ("s", s.id, s.history_date, s.history_id, s.history_type, "", s.tolerance, None)
        + (s.category_id,)
        for s in records.statements_upto(moment)
    ]
    return sorted(rows, key=lambda r: (r[2], r[0], r[3]))


def _read_rows(organisation: Organisation, ids: list[int], moment: dt.datetime) -> list[tuple]:
    risk_rows = (
        Risk.history.filter(id__in=ids, history_date__lte=moment)
        .annotate(series_kind=Value("r", output_field=CharField()))
        .values_list(
            "series_kind",
            "id",
            "history_date",
            "history_id",
            "history_type",
            "status",
            "current_score",
            "target_score",
            "category_id",
        )
        .order_by()
    )
    statement_rows = (
        AppetiteStatement.history.filter(organisation_id=organisation.id, history_date__lte=moment)
        .annotate(
            series_kind=Value("s", output_field=CharField()),
            no_status=Value("", output_field=CharField()),
            no_target=Value(None, output_field=IntegerField()),
        )
        .values_list(
            "series_kind",
            "id",
            "history_date",
            "history_id",
            "history_type",
            "no_status",
            "tolerance",
            "no_target",
            "category_id",
        )
        .order_by()
    )
    return sorted(risk_rows.union(statement_rows, all=True), key=lambda r: (r[2], r[0], r[3]))


def _series(
    rows: list[tuple], ids: list[int], moments: list, labels: tuple
) -> dict[int, RiskSeries]:
    statements: dict[int, tuple] = {}
    by_risk: dict[int, list[tuple[dt.datetime, tuple | None]]] = defaultdict(list)
    events: list[tuple[dt.datetime, str, tuple]] = [(row[2], row[0], row) for row in rows]
    # Walk time once: every risk's record, and every statement change (which moves the
    # tolerance of every risk it applies to), in order.
    latest_risk: dict[int, tuple] = {}
    for when, kind, row in events:
        if kind == "s":
            statements[row[1]] = row
            for pk in latest_risk:
                by_risk[pk].append((when, None))
        else:
            latest_risk[row[1]] = row
            by_risk[row[1]].append((when, row))

    def tolerance_at(category_id, live) -> int | None:
        general = None
        for row in live.values():
            if row[4] == "-":
                continue
            if row[8] == category_id and category_id is not None:
                return row[6]
            if row[8] is None:
                general = row[6]
        return general

    # Statement snapshots per instant, built lazily: few statements, few changes.
    statement_times = [row[2] for row in rows if row[0] == "s"]
    statement_list = [row for row in rows if row[0] == "s"]

    def live_statements(when: dt.datetime) -> dict[int, tuple]:
        live: dict[int, tuple] = {}
        for row in statement_list[: bisect.bisect_right(statement_times, when)]:
            live[row[1]] = row
        return live

    def standing(record: tuple | None, when: dt.datetime) -> Standing:
        if record is None:
            return Standing()
        if record[4] == "-" or record[5] == RiskStatus.CLOSED:
            return Standing(absent=CLOSED)
        return Standing(
            current=record[6],
            target=record[7],
            tolerance=tolerance_at(record[8], live_statements(when)),
            absent=ON_REGISTER,
        )

    result = {}
    for pk in ids:
        timeline = by_risk.get(pk, [])
        record_times, records, current = [], [], None
        for when, row in timeline:
            if row is not None:
                current = row
            record_times.append(when)
            records.append(current)

        def at(when: dt.datetime, record_times=record_times, records=records) -> Standing:
            index = bisect.bisect_right(record_times, when)
            return standing(records[index - 1] if index else None, when)

        changes = [(0.0, at(moments[0]))]
        for when in record_times:
            if moments[0] < when <= moments[-1]:
                changes.append((_position(moments, when), at(when)))
        changes.append((float(len(moments) - 1), at(moments[-1])))
        result[pk] = RiskSeries(
            labels=labels,
            moments=tuple(moments),
            at=tuple(at(when) for when in moments),
            changes=tuple(changes),
        )
    return result


def risk_series(*, risk: Risk, moment: dt.datetime, moment_label: str = "Today") -> RiskSeries:
    """One risk's series (the risk page). One query."""
    return risk_series_many(
        organisation=risk.organisation,
        risk_ids=[risk.id],
        moment=moment,
        moment_label=moment_label,
    )[risk.id]


@dataclass(frozen=True)
class Reading:
    taken_on: dt.date
    value: float


def indicator_readings(*, indicator, limit: int = 12, as_of: dt.date | None = None):
    """The indicator's latest ``limit`` readings (on or before ``as_of``), oldest first. One
    query."""
    readings = IndicatorReading.objects.filter(indicator=indicator)
    if as_of is not None:
        readings = readings.filter(taken_on__lte=as_of)
    rows = list(readings.order_by("-taken_on", "-id").values_list("taken_on", "value")[:limit])
    return [Reading(taken_on, float(value)) for taken_on, value in reversed(rows)]
