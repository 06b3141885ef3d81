"""The organisation's exposure at its last quarter ends: open risks by band of their current
rating, and risks in breach of appetite, at each of the last eight quarter ends
(``registers.calendar``), for the dashboard and the committee pack.

One grouped query whatever the number of risks: each history record of a risk is valid from its
date until the risk's next record (a window, ``LEAD``), so a record stands at a quarter end when
it began at or before it and was not replaced by then; the records standing at each quarter end
are counted by band, and judged against the appetite statements standing then (the same
validity window over their history), the rule ``appetite.rules.appetite_state`` applies: a
breach is a score above the tolerance of the risk's category, or of the organisation's general
statement. A closed or deleted risk, or one on a register archived by then, is not counted.
The SQL is plain (a VALUES list of the quarter ends, window functions): PostgreSQL in
production and tests, SQLite for the demo.

Cached (decision 57): every end is a past instant and history is append-only, so the figures at
an end never change once it has passed. Each end's figures are kept in Django's cache (Redis in
production) for ``CACHE_SECONDS``, keyed by organisation, the organisation's cache version and
the end's instant (so a change of quarter-end months or timezone asks for other keys), and for a
pack's figures the registers it covers (their ids by a digest, decision 124); only the
ends missing from the cache are counted, in one query. Whatever rewrites the past (history
written or re-dated into the past, a register un-archived: it counts again at ends after it was
archived) calls ``forget_exposure``, which moves the organisation to a new version once the
transaction commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from appetite.models import AppetiteStatement

from .. import caching
from ..calendar import quarter_ends, quarter_label
from ..models import Organisation, Register, Risk, RiskStatus

QUARTERS = 8

# A past quarter end's figures change only through ``forget_exposure``; the time limit bounds
# the cost of a past-rewriting path that forgot to call it.
CACHE_SECONDS = 30 * 24 * 3600
_VERSION_KEY = "exposure:version:{organisation_id}"
_END_KEY = "exposure:{organisation_id}:{version}:{end}"


def _version(organisation_id: int) -> str:
    """The organisation's cache version for this reader (``caching.reader_token``): a fresh
    random one when none is held (first use, evicted, ``caching.forget_everything`` since), so
    figures kept under an older version are never read again."""
    return caching.reader_token(_VERSION_KEY.format(organisation_id=organisation_id))


def forget_exposure(organisation_id: int) -> None:
    """Drop the organisation's cached exposure: for this transaction now (it reads its own
    change), for everyone once it commits (meanwhile another request, not seeing the change
    yet, may cache figures under the version the commit replaces); nothing on a rollback."""
    caching.tokens_changed([_VERSION_KEY.format(organisation_id=organisation_id)])
    # The dashboard's overview holds the charts drawn from these figures (decision 67).
    caching.organisation_changed(organisation_id)


@dataclass(frozen=True)
class Exposure:
    """Per quarter end (oldest first): open risks per band name ("" not rated) and in breach."""

    ends: tuple[dt.datetime, ...]
    labels: tuple[str, ...]
    by_band: dict[str, tuple[int, ...]]
    breaches: tuple[int, ...]
    judged: tuple[int, ...]  # open risks a tolerance applied to (rated or not)

    @property
    def any_threshold(self) -> bool:
        """Whether any risk had a tolerance at any of the quarter ends: with none, "0 in
        breach" would say more than is known."""
        return any(self.judged)

    @property
    def totals(self) -> tuple[int, ...]:
        return tuple(
            sum(counts[i] for counts in self.by_band.values()) for i in range(len(self.ends))
        )


def _sql(count: int, register_count: int = 0) -> str:
    cast = "CAST(%s AS timestamp with time zone)" if connection.vendor == "postgresql" else "%s"
    ends = ", ".join(f"({index}, {cast})" for index in range(count))
    risks = Risk.history.model._meta.db_table
    statements = AppetiteStatement.history.model._meta.db_table
    registers = Register._meta.db_table
    # A pack's registers only: filtered where the records stand, not where they are read, so a
    # risk's record on another register still ends the one before it (the risk moved away).
    only = f" AND g.id IN ({', '.join(['%s'] * register_count)})" if register_count else ""
    # Table names from the models and placeholders only: no value is written into the text.
    return f"""
WITH ends (q, at_end) AS (VALUES {ends}),
records AS (
  SELECT h.id, h.history_date, h.history_type, h.status, h.current_band, h.current_score,
         h.category_id, h.register_id,
         LEAD(h.history_date) OVER (PARTITION BY h.id ORDER BY h.history_date, h.history_id)
           AS until
  FROM {risks} h WHERE h.organisation_id = %s AND h.history_date <= %s
),
standing AS (
  SELECT e.q, r.current_band AS band, r.category_id, r.current_score AS score, COUNT(*) AS n
  FROM ends e
  JOIN records r ON r.history_date <= e.at_end AND (r.until IS NULL OR r.until > e.at_end)
  JOIN {registers} g ON g.id = r.register_id
  WHERE r.history_type <> '-' AND r.status <> %s
    AND (g.archived_at IS NULL OR g.archived_at > e.at_end){only}
  GROUP BY e.q, r.current_band, r.category_id, r.current_score
),
statements AS (
  SELECT s.history_date, s.history_type, s.category_id, s.tolerance,
         LEAD(s.history_date) OVER (PARTITION BY s.id ORDER BY s.history_date, s.history_id)
           AS until
  FROM {statements} s WHERE s.organisation_id = %s AND s.history_date <= %s
),
thresholds AS (
  SELECT e.q, s.category_id, MIN(s.tolerance) AS tolerance
  FROM ends e
  JOIN statements s ON s.history_date <= e.at_end AND (s.until IS NULL OR s.until > e.at_end)
  WHERE s.history_type <> '-'
  GROUP BY e.q, s.category_id
)
SELECT st.q, st.band, SUM(st.n),
       SUM(CASE WHEN st.score > COALESCE(tc.tolerance, td.tolerance) THEN st.n ELSE 0 END),
       SUM(CASE WHEN COALESCE(tc.tolerance, td.tolerance) IS NULL THEN 0 ELSE st.n END)
FROM standing st
LEFT JOIN thresholds tc ON tc.q = st.q AND tc.category_id = st.category_id
LEFT JOIN thresholds td ON td.q = st.q AND td.category_id IS NULL
GROUP BY st.q, st.band
ORDER BY st.q, st.band
"""  # noqa: S608


def _count(
    organisation: Organisation, ends: list[dt.datetime], register_ids: tuple[int, ...] = ()
) -> list[tuple]:
    """Per end: ({band: open risks}, in breach, judged), on ``register_ids`` only when given.
    One query."""
    adapt = connection.ops.adapt_datetimefield_value
    last = adapt(ends[-1])
    params = [*(adapt(end) for end in ends), organisation.id, last, RiskStatus.CLOSED.value]
    params += [*register_ids, organisation.id, last]
    with connection.cursor() as cursor:
        cursor.execute(_sql(len(ends), len(register_ids)), params)
        rows = cursor.fetchall()
    figures = [({}, 0, 0) for _ in ends]
    for index, band, count, breach, with_threshold in rows:
        bands, breaches, judged = figures[index]
        bands[band or ""] = int(count)
        figures[index] = (bands, breaches + int(breach or 0), judged + int(with_threshold or 0))
    return figures


def exposure_by_quarter(
    *,
    organisation: Organisation,
    moment: dt.datetime,
    quarters: int = QUARTERS,
    register_ids: Iterable[int] | None = None,
) -> Exposure:
    """Open risks by band and risks in breach at each of the last ``quarters`` quarter ends at
    or before ``moment`` (aware): on every register of the organisation, or on ``register_ids``
    only (a pack's registers: the risks standing on them at each end). From the cache, and one
    query for the ends it lacks."""
    ends = quarter_ends(organisation=organisation, moment=moment, count=quarters, inclusive=True)
    version = _version(organisation.id)
    only = tuple(sorted(set(register_ids))) if register_ids is not None else ()
    # The registers named in the key by a digest: a key stays short however many there are.
    digest = hashlib.sha256(",".join(map(str, only)).encode()).hexdigest()[:16]
    scope = "" if register_ids is None else f":registers:{digest}"
    keys = [
        _END_KEY.format(organisation_id=organisation.id, version=version, end=end.isoformat())
        + scope
        for end in ends
    ]
    held = cache.get_many(keys)
    missing = [index for index, key in enumerate(keys) if key not in held]
    if missing:
        counted = (
            _count(organisation, [ends[index] for index in missing], only)
            if register_ids is None or only
            else [({}, 0, 0) for _ in missing]  # no register: nothing stands on it
        )
        fresh = {keys[index]: figures for index, figures in zip(missing, counted, strict=True)}
        cache.set_many(fresh, timeout=CACHE_SECONDS)
        held.update(fresh)
    by_band: dict[str, list[int]] = {}
    breaches, judged = [0] * len(ends), [0] * len(ends)
    for index, key in enumerate(keys):
        bands, breaches[index], judged[index] = held[key]
        for band, count in bands.items():
            by_band.setdefault(band, [0] * len(ends))[index] = count
    return Exposure(
        ends=tuple(ends),
        labels=tuple(quarter_label(organisation=organisation, end=end) for end in ends),
        by_band={band: tuple(counts) for band, counts in sorted(by_band.items())},
        breaches=tuple(breaches),
        judged=tuple(judged),
    )
