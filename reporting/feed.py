"""The reporting feed (issue 19): flat rows for BI tools (Power BI's web connector, Excel's Get
Data > From Web), as CSV or JSON, read through ``/api/v1/feed/``.

Two tables, joined by ``risk_id``:

- **risks**: every risk of the organisation as it stands now, one row each, with its current
  and target position in numbers and in the scheme's notation, appetite, people and dates
  (``RISK_COLUMNS``);
- **history**: one row per risk per quarter end of the organisation's report calendar, for the
  last N quarter ends (``HISTORY_COLUMNS``): each risk as it stood at the end (simple-history's
  "as of": the record written at or before the end and not replaced by then), judged against
  the appetite statements standing then. A risk appears from the first quarter end it was on a
  register and open (or escalated) and stops at the first one it stood closed, deleted or on an
  archived register: the same risks ``registers.selectors.exposure`` counts, so the feed adds up
  to the dashboard's exposure chart.

Both are generators behind a fixed number of queries (whatever the number of risks or of
history records): the view streams them. The member's ``OrganisationAccess`` withholds the
OFFICIAL-SENSITIVE text (description, consequence) of risks they are not cleared for, as the
pages and the API do; the history table holds no text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from types import SimpleNamespace

from django.db import connection
from django.db.models.functions import Length
from django.utils import timezone

from appetite.models import AppetiteStatement
from appetite.rules import AppetiteState
from appetite.selectors import AppetiteLookup, appetite_lookup
from registers.calendar import local_date, previous_quarter_end, quarter_ends, quarter_label
from registers.models import Organisation, Register, Risk, RiskStatus
from registers.models.risks import review_due
from registers.selectors import risk_snapshots, trend_between
from registers.withholding import WITHHELD
from scoring.engine import RatingError, rate
from scoring.models import SchemeVersion

from .spreadsheets.exporting import csv_line, safe_text

# What each column holds: the README's table is this, and the feed's header row its names.
RISK_COLUMNS: tuple[tuple[str, str], ...] = (
    ("risk_id", "The risk's id (stable; the history table's key to this one)"),
    ("ref", "The organisation's reference, e.g. CRR18"),
    ("title", "Title"),
    ("register", "The register's slug"),
    ("register_name", "The register's name"),
    ("category", "Category name, blank when none"),
    ("owner", "Risk owner (accountable): name, or e-mail when no name is set"),
    ("owner_email", "Risk owner's e-mail address"),
    ("manager", "Risk manager (responsible): name, or e-mail"),
    ("manager_email", "Risk manager's e-mail address"),
    ("status", "open, escalated or closed"),
    ("current_likelihood", "Current likelihood: the level's value (1..N)"),
    ("current_impact", "Current impact: the level's value"),
    ("current_score", "Current score (a matrix scheme: the band's position)"),
    ("current_band", "Current band name, e.g. High"),
    ("current_display", "Current rating as users see it: '12 (Medium)' or 'M v H'"),
    ("target_likelihood", "Target likelihood"),
    ("target_impact", "Target impact"),
    ("target_score", "Target score"),
    ("target_band", "Target band name"),
    ("target_display", "Target rating as users see it"),
    ("tolerance", "Tolerance threshold of the risk's category (or the default statement)"),
    ("warning", "Warning threshold (amber before red), blank when none"),
    ("appetite", "within, warning, breach, or not_set (no threshold, not rated, or closed)"),
    ("breach", "true when the current score is above tolerance (open risks only)"),
    ("next_review_due", "Next review due (YYYY-MM-DD)"),
    ("last_reviewed", "Last reviewed (YYYY-MM-DD)"),
    ("trend", "Since the last quarter end: up, down, level, new, closed, not rated"),
    ("marking", "OFFICIAL or OFFICIAL-SENSITIVE"),
    ("withheld", "true when your membership is not cleared for this risk's detail"),
    ("description", "Cause and event (withheld text when 'withheld' is true)"),
    ("consequence", "Consequence (withheld text when 'withheld' is true)"),
)
HISTORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("quarter", "The quarter as the organisation names it, e.g. Q3 2026/27"),
    ("quarter_end", "The quarter's last day (YYYY-MM-DD), in the organisation's timezone"),
    ("risk_id", "The risk's id (the risks table's risk_id)"),
    ("ref", "The reference the risk had at the quarter end"),
    ("register", "The slug of the register it was on then"),
    ("status", "open or escalated (closed risks have no row)"),
    ("current_likelihood", "Current likelihood at the quarter end"),
    ("current_impact", "Current impact at the quarter end"),
    ("current_score", "Current score at the quarter end"),
    ("current_band", "Current band at the quarter end"),
    ("current_display", "Current rating as users saw it then"),
    ("tolerance", "Tolerance threshold standing at the quarter end"),
    ("appetite", "within, warning, breach or not_set, against the thresholds then"),
    ("breach", "true when the score was above the tolerance then"),
)
RISK_HEADER = tuple(name for name, _ in RISK_COLUMNS)
HISTORY_HEADER = tuple(name for name, _ in HISTORY_COLUMNS)

QUARTERS = 8
MAX_QUARTERS = 40  # ten years of quarter ends
QUARTERS_MESSAGE = f"Give quarters as a whole number from 1 to {MAX_QUARTERS}."


def parse_quarters(text: str | None) -> int:
    """``?quarters=``: the default when absent; ValueError(QUARTERS_MESSAGE) when not 1..40."""
    if text is None or text == "":
        return QUARTERS
    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_QUARTERS:
        raise ValueError(QUARTERS_MESSAGE)
    return int(text)


class _Ratings:
    """Ratings through the scoring engine, each (version, likelihood, impact) rated once: the
    versions are read in one query, so a row costs no query and little Python."""

    def __init__(self, version_ids):
        """``version_ids``: ids, or a query of them (then one query in all)."""
        if not hasattr(version_ids, "query"):
            version_ids = {pk for pk in version_ids if pk is not None}
        self._schemes = {
            v.pk: v.parsed for v in SchemeVersion.objects.filter(pk__in=version_ids).order_by()
        }
        self._memo: dict[tuple, tuple] = {}

    def __call__(self, version_id, likelihood, impact) -> tuple[str, str]:
        """(band, display); blanks when not rated or under an unknown version."""
        key = (version_id, likelihood, impact)
        found = self._memo.get(key)
        if found is None:
            found = ("", "")
            scheme = self._schemes.get(version_id)
            if likelihood is not None and impact is not None and scheme is not None:
                try:
                    rating = rate(scheme, likelihood, impact)
                    found = (rating.band.name, rating.display)
                except RatingError:
                    pass
            self._memo[key] = found
        return found


def _person(user) -> tuple[str, str]:
    if user is None:
        return "", ""
    return user.full_name or user.email, user.email


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def risk_feed(*, access) -> Iterator[dict]:
    """The organisation's risks now, one dict per risk (keys ``RISK_HEADER``), ordered by ref.

    Three queries before the first row (appetite statements, scheme versions, each risk at the
    last quarter end for the trend), then the risks, with their register, category and people
    joined, read through a server-side cursor as the rows are sent."""
    organisation = access.organisation
    lookup = appetite_lookup(organisation=organisation)
    lookup.threshold(None)  # evaluate the statements now, not on the first row
    risks = Risk.objects.filter(organisation=organisation)
    ratings = _Ratings(risks.order_by().values("scheme_version_id"))
    now = timezone.now()
    since = previous_quarter_end(organisation=organisation, moment=now)
    before = risk_snapshots(moment=since, organisation=organisation)
    rows = (
        risks.select_related("register", "category", "owner", "manager")
        .order_by(Length("ref"), "ref")
        .iterator(chunk_size=2000)
    )
    return _risk_rows(rows, access=access, lookup=lookup, ratings=ratings, before=before)


def _risk_rows(rows, *, access, lookup: AppetiteLookup, ratings, before) -> Iterator[dict]:
    for risk in rows:
        closed = risk.status == RiskStatus.CLOSED
        threshold = lookup.threshold(risk.category_id)
        state = (
            AppetiteState.NOT_SET
            if closed
            else lookup.state(category_id=risk.category_id, score=risk.current_score)
        )
        current_band, current_display = ratings(
            risk.scheme_version_id, risk.current_likelihood, risk.current_impact
        )
        target_band, target_display = ratings(
            risk.scheme_version_id, risk.target_likelihood, risk.target_impact
        )
        owner, owner_email = _person(risk.owner)
        manager, manager_email = _person(risk.manager)
        withheld = not access.can_see_sensitive(risk)
        yield {
            "risk_id": risk.id,
            "ref": risk.ref,
            "title": risk.title,
            "register": risk.register.slug,
            "register_name": risk.register.name,
            "category": risk.category.name if risk.category_id else "",
            "owner": owner,
            "owner_email": owner_email,
            "manager": manager,
            "manager_email": manager_email,
            "status": risk.status,
            "current_likelihood": risk.current_likelihood,
            "current_impact": risk.current_impact,
            "current_score": risk.current_score,
            # The stored band (the engine's, at the rating's save) wins over a re-rating.
            "current_band": risk.current_band or current_band,
            "current_display": current_display,
            "target_likelihood": risk.target_likelihood,
            "target_impact": risk.target_impact,
            "target_score": risk.target_score,
            "target_band": target_band,
            "target_display": target_display,
            "tolerance": threshold.tolerance if threshold else None,
            "warning": threshold.warning if threshold else None,
            "appetite": str(state),
            "breach": state == AppetiteState.BREACH,
            "next_review_due": _day(review_due(risk)),
            "last_reviewed": _day(risk.last_reviewed),
            "trend": trend_between(before.get(risk.id), risk).value,
            "marking": risk.marking,
            "withheld": withheld,
            "description": WITHHELD if withheld else risk.description,
            "consequence": WITHHELD if withheld else risk.consequence,
        }


# --- history: one row per risk per quarter end -----------------------------------------------


def _history_sql(count: int) -> str:
    cast = "CAST(%s AS timestamp with time zone)" if connection.vendor == "postgresql" else "%s"
    ends = ", ".join(f"({index}, {cast})" for index in range(count))
    risks = Risk.history.model._meta.db_table
    registers = Register._meta.db_table
    # As registers.selectors.exposure: a record stands from its date until the risk's next
    # record (LEAD; two at one instant, the later wins). Table names from the models and
    # placeholders only: no value is written into the text.
    return f"""
WITH ends (q, at_end) AS (VALUES {ends}),
records AS (
  SELECT h.id, h.ref, h.history_date, h.history_type, h.status, h.register_id, h.category_id,
         h.current_likelihood, h.current_impact, h.current_score, h.current_band,
         h.scheme_version_id,
         LEAD(h.history_date) OVER (PARTITION BY h.id ORDER BY h.history_date, h.history_id)
           AS until
  FROM {risks} h WHERE h.organisation_id = %s AND h.history_date <= %s
)
SELECT e.q, r.id, r.ref, r.register_id, r.status, r.category_id, r.current_likelihood,
       r.current_impact, r.current_score, r.current_band, r.scheme_version_id
FROM ends e
JOIN records r ON r.history_date <= e.at_end AND (r.until IS NULL OR r.until > e.at_end)
JOIN {registers} g ON g.id = r.register_id
WHERE r.history_type <> '-' AND r.status <> %s
  AND (g.archived_at IS NULL OR g.archived_at > e.at_end)
ORDER BY e.q, LENGTH(r.ref), r.ref, r.id
"""  # noqa: S608


def _lookups_at(organisation: Organisation, ends: list[dt.datetime]) -> list[AppetiteLookup]:
    """The appetite statements standing at each end, from their history: one query."""
    records = (
        AppetiteStatement.history.filter(
            organisation_id=organisation.id, history_date__lte=ends[-1]
        )
        .order_by("history_date", "history_id")
        .values_list("id", "history_type", "history_date", "category_id", "tolerance", "warning")
    )
    records = list(records)
    lookups, standing, index = [], {}, 0
    for end in ends:
        while index < len(records) and records[index][2] <= end:
            pk, kind, _, category_id, tolerance, warning = records[index]
            if kind == "-":
                standing.pop(pk, None)
            else:
                standing[pk] = SimpleNamespace(
                    category_id=category_id, tolerance=tolerance, warning=warning
                )
            index += 1
        lookups.append(AppetiteLookup(list(standing.values())))
    return lookups


def history_feed(
    *, access, quarters: int = QUARTERS, moment: dt.datetime | None = None
) -> Iterator[dict]:
    """One dict per risk per quarter end (keys ``HISTORY_HEADER``), oldest quarter first, by
    ref within it: the last ``quarters`` quarter ends at or before ``moment`` (now).

    Four queries whatever the size: registers, appetite history, the risks' history standing at
    each end (one windowed query), and the scheme versions of the ratings found."""
    organisation = access.organisation
    moment = moment or timezone.now()
    ends = quarter_ends(organisation=organisation, moment=moment, count=quarters, inclusive=True)
    slugs = dict(
        Register.objects.filter(organisation=organisation).order_by().values_list("id", "slug")
    )
    lookups = _lookups_at(organisation, ends)
    adapt = connection.ops.adapt_datetimefield_value
    params = [*(adapt(end) for end in ends), organisation.id, adapt(ends[-1])]
    params.append(RiskStatus.CLOSED.value)
    with connection.cursor() as cursor:
        cursor.execute(_history_sql(len(ends)), params)
        records = cursor.fetchall()
    ratings = _Ratings({record[10] for record in records})
    labels = [quarter_label(organisation=organisation, end=end) for end in ends]
    days = [local_date(organisation=organisation, moment=end).isoformat() for end in ends]
    return _history_rows(
        records, labels=labels, days=days, slugs=slugs, lookups=lookups, ratings=ratings
    )


def _history_rows(records, *, labels, days, slugs, lookups, ratings) -> Iterator[dict]:
    for (
        q,
        pk,
        ref,
        register_id,
        status,
        category_id,
        likelihood,
        impact,
        score,
        band,
        version,
    ) in records:
        lookup = lookups[q]
        threshold = lookup.threshold(category_id)
        state = lookup.state(category_id=category_id, score=score)
        rated_band, display = ratings(version, likelihood, impact)
        yield {
            "quarter": labels[q],
            "quarter_end": days[q],
            "risk_id": pk,
            "ref": ref,
            "register": slugs.get(register_id, ""),
            "status": status,
            "current_likelihood": likelihood,
            "current_impact": impact,
            "current_score": score,
            "current_band": band or rated_band,
            "current_display": display,
            "tolerance": threshold.tolerance if threshold else None,
            "appetite": str(state),
            "breach": state == AppetiteState.BREACH,
        }


# --- writers ---------------------------------------------------------------------------------

BATCH = 500  # rows a chunk of the streamed response


def _csv_value(value) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return safe_text(value)
    return value


def csv_chunks(rows: Iterator[dict], header: tuple[str, ...]) -> Iterator[str]:
    """UTF-8 CSV quoted as the register export is (``csv_line``: every cell but the bare ones),
    header first, with a byte-order mark so Excel reads accents right; text a spreadsheet would
    run as a formula is prefixed with an apostrophe, as the register export does. Yielded a
    batch of rows at a time."""
    lines = ["\ufeff", csv_line(header)]
    for count, row in enumerate(rows, start=1):
        lines.append(csv_line([_csv_value(row[name]) for name in header]))
        if count % BATCH == 0:
            yield "".join(lines)
            lines = []
    yield "".join(lines)


def json_chunks(rows: Iterator[dict]) -> Iterator[str]:
    """A plain JSON array of objects, one per row, every object with every column (null where
    empty): what Power Query's Json.Document turns into a table in one step."""
    parts = ["["]
    for count, row in enumerate(rows):
        parts.append(("," if count else "") + "\n" + json.dumps(row, ensure_ascii=False))
        if len(parts) >= BATCH:
            yield "".join(parts)
            parts = []
    parts.append("\n]\n")
    yield "".join(parts)
