"""Risk rows for lists: the rating of each position and the appetite state, with no query per row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Expression,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Length

from appetite.models import AppetiteStatement
from appetite.rules import AppetiteState
from appetite.selectors import AppetiteLookup, appetite_lookup
from scoring.engine import Rating, rate

from ..models import (
    Organisation,
    Register,
    Risk,
    RiskStatus,
)

CLOSED_LAST = Case(
    When(status=RiskStatus.CLOSED, then=Value(1)), default=Value(0), output_field=IntegerField()
)


@dataclass(frozen=True)
class RiskRow:
    risk: Risk
    current: Rating | None
    target: Rating | None
    inherent: Rating | None
    appetite: AppetiteState
    # In breach and accepted (issue 17): the day the acceptance runs to, else None.
    accepted_until: dt.date | None = None


def position_rating(risk: Risk, position: str) -> Rating | None:
    """``risk``'s rating at ``position`` ("inherent", "current", "target") under the scheme
    version it was rated under, as every page draws it ("20 (Open)": ``Rating.label``, the
    ``rating.html`` partial); None when not rated. No query once ``scheme_version`` is read."""
    likelihood = getattr(risk, f"{position}_likelihood")
    if likelihood is None or risk.scheme_version is None:
        return None
    return rate(risk.scheme_version.parsed, likelihood, getattr(risk, f"{position}_impact"))


def risk_row(risk: Risk, lookup: AppetiteLookup) -> RiskRow:
    return RiskRow(
        risk=risk,
        current=position_rating(risk, "current"),
        target=position_rating(risk, "target"),
        inherent=position_rating(risk, "inherent"),
        appetite=lookup.state(category_id=risk.category_id, score=risk.current_score)
        if risk.status != RiskStatus.CLOSED
        else AppetiteState.NOT_SET,
    )


def risk_rows(risks, *, organisation: Organisation) -> list[RiskRow]:
    lookup = appetite_lookup(organisation=organisation)
    return [risk_row(risk, lookup) for risk in risks]


def register_risks(*, register: Register) -> QuerySet[Risk]:
    return (
        Risk.objects.filter(register=register)
        .select_related("owner", "category", "scheme_version")
        # Closed last, highest current score first, then refs in natural order (2 before 10).
        .order_by(CLOSED_LAST, F("current_score").desc(nulls_last=True), Length("ref"), "ref")
    )


def _risk_count(**condition) -> Coalesce:
    counted = (
        Risk.objects.filter(register=OuterRef("pk"), **condition)
        .order_by()
        .values("register")
        .annotate(n=Count("register"))  # columns of the index only: no table read
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def registers_with_counts(
    *, organisation: Organisation, archived: bool = False
) -> QuerySet[Register]:
    """Registers with their open and closed risks counted: a count per register on the
    (register, status) index, where joining and grouping 10,000 risks by every register column
    took ten times as long. Registers in use only, unless ``archived`` (the settings list)."""
    registers = Register.objects.filter(organisation=organisation)
    if not archived:
        registers = registers.filter(archived_at__isnull=True)
    return (
        registers.select_related("parent")
        .annotate(
            open_risks=_risk_count(status__in=[RiskStatus.OPEN, RiskStatus.ESCALATED]),
            closed_risks=_risk_count(status=RiskStatus.CLOSED),
        )
        .order_by("parent_id", "name")
    )


def register_tree(registers) -> list[tuple[Register, int]]:
    """Registers in hierarchy order with their depth (corporate first, children indented)."""
    by_parent: dict[int | None, list[Register]] = {}
    for register in registers:
        by_parent.setdefault(register.parent_id, []).append(register)
    ordered: list[tuple[Register, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for register in sorted(by_parent.get(parent_id, []), key=lambda r: r.name):
            ordered.append((register, depth))
            walk(register.id, depth + 1)

    walk(None, 0)
    return ordered


# --- appetite in the database ------------------------------------------------------------------

OPEN_STATUSES = (RiskStatus.OPEN, RiskStatus.ESCALATED)
APPETITE_RANKS = {
    0: AppetiteState.NOT_SET,
    1: AppetiteState.WITHIN,
    2: AppetiteState.WARNING,
    3: AppetiteState.BREACH,
}
_RANK_OF = {state: rank for rank, state in APPETITE_RANKS.items()}


class ThresholdByCategory(Expression):
    """An appetite threshold chosen by the risk's category, as one compact SQL
    ``CASE category_id WHEN 1 THEN 10 ... ELSE <default> END``.

    The same SQL a ``Case`` of ``When``s gives, but built as one node: a Case of a dozen Whens
    took milliseconds to resolve and compile on every use, and the dashboard uses the appetite
    annotations in seven queries (and the rank inlines each threshold twice), which cost more
    Python time than the queries took in PostgreSQL at 10,000 risks."""

    def __init__(self, category, thresholds: tuple[tuple[int, int | None], ...], default):
        super().__init__(output_field=IntegerField())
        self.category = category
        self.thresholds = tuple(thresholds)
        self.default = default

    def get_source_expressions(self):
        return [self.category]

    def set_source_expressions(self, exprs):
        (self.category,) = exprs

    def as_sql(self, compiler, connection):
        # CAST keeps a NULL typed: PostgreSQL would otherwise type an all-NULL CASE as text and
        # refuse to compare it with the smallint score (and SQLite reads CAST too).
        if not self.thresholds:
            return "CAST(%s AS integer)", [self.default]
        column, params = compiler.compile(self.category)
        whens = " ".join("WHEN %s THEN CAST(%s AS integer)" for _ in self.thresholds)
        values = [value for pair in self.thresholds for value in pair]
        sql = f"CASE {column} {whens} ELSE CAST(%s AS integer) END"
        return sql, [*params, *values, self.default]


class AppetiteRank(Expression):
    """0 no threshold (or closed, or not rated), 1 within, 2 at warning, 3 breach: the rule of
    appetite.rules in SQL, over two ``ThresholdByCategory`` expressions."""

    def __init__(self, status, score, tolerance, warning):
        super().__init__(output_field=IntegerField())
        self.status, self.score, self.tolerance, self.warning = status, score, tolerance, warning

    def get_source_expressions(self):
        return [self.status, self.score, self.tolerance, self.warning]

    def set_source_expressions(self, exprs):
        self.status, self.score, self.tolerance, self.warning = exprs

    def as_sql(self, compiler, connection):
        status, status_params = compiler.compile(self.status)
        score, score_params = compiler.compile(self.score)
        tolerance, tolerance_params = compiler.compile(self.tolerance)
        warning, warning_params = compiler.compile(self.warning)
        sql = (
            f"CASE WHEN {status} = %s THEN 0"
            f" WHEN {score} IS NULL OR {tolerance} IS NULL THEN 0"
            f" WHEN {score} > {tolerance} THEN 3"
            f" WHEN {warning} IS NOT NULL AND {score} > {warning} THEN 2"
            " ELSE 1 END"
        )
        params = [
            *status_params,
            RiskStatus.CLOSED.value,
            *score_params,
            *tolerance_params,
            *score_params,
            *tolerance_params,
            *warning_params,
            *score_params,
            *warning_params,
        ]
        return sql, params


def appetite_annotations(statements) -> dict:
    """``appetite_tolerance``, ``appetite_warning`` and ``appetite_rank`` from statements given as
    (category_id, tolerance, warning): a category's statement, else the default (category None)."""
    statements = list(statements)
    default = next((s for s in statements if s[0] is None), (None, None, None))
    by_category = [s for s in statements if s[0] is not None]

    def threshold(index: int) -> ThresholdByCategory:
        return ThresholdByCategory(
            F("category_id"), tuple((s[0], s[index]) for s in by_category), default[index]
        )

    return {
        "appetite_tolerance": threshold(1),
        "appetite_warning": threshold(2),
        "appetite_rank": AppetiteRank(F("status"), F("current_score"), threshold(1), threshold(2)),
    }


def with_appetite(
    risks: QuerySet[Risk], *, organisation: Organisation, statements=None
) -> QuerySet[Risk]:
    """Annotate ``appetite_tolerance``, ``appetite_warning`` and ``appetite_rank`` (0 no threshold,
    1 within, 2 at warning, 3 breach: the same rule as appetite.rules, so lists can filter and sort
    by appetite in the database).

    The thresholds are CASE expressions over the category, built from the organisation's few
    statements (one small query): a category's statement, else the organisation's default. That is
    what a per-row Subquery on AppetiteStatement would give, without running correlated subqueries
    on every row of a 10,000-risk register (the rank refers to each threshold more than once).
    ``statements`` (from ``appetite_statements``), when a page has read them already, save it.
    """
    if statements is None:
        statements = appetite_statements(organisation=organisation)
    return risks.annotate(**appetite_annotations(statements))


def appetite_statements(*, organisation: Organisation) -> tuple[tuple, ...]:
    """The organisation's appetite statements as (category_id, tolerance, warning): one query."""
    return tuple(
        AppetiteStatement.objects.filter(organisation=organisation).values_list(
            "category_id", "tolerance", "warning"
        )
    )


def in_order(risks: QuerySet, ids: list) -> list:
    """The rows of ``risks`` with these ids, in the order of ``ids`` (one query)."""
    fetched = {risk.pk: risk for risk in risks.filter(pk__in=ids).order_by()} if ids else {}
    return [fetched[pk] for pk in ids if pk in fetched]


def first_in_order(risks: QuerySet, limit: int) -> list:
    """The first ``limit`` rows of a sorted list, sorted by id alone and then fetched whole: on
    thousands of rows, sorting whole rows with their joins costs far more than sorting ids."""
    return in_order(risks, list(risks.values_list("pk", flat=True)[:limit]))


def annotated_rows(risks) -> list[RiskRow]:
    """Rows for risks annotated by ``with_appetite``: no appetite query of their own."""
    return [
        RiskRow(
            risk=risk,
            current=position_rating(risk, "current"),
            target=position_rating(risk, "target"),
            inherent=position_rating(risk, "inherent"),
            appetite=APPETITE_RANKS[risk.appetite_rank],
            # ``selectors.acceptance.with_acceptance`` annotates it, where a list shows it.
            accepted_until=getattr(risk, "accepted_until", None)
            if risk.appetite_rank == _RANK_OF[AppetiteState.BREACH]
            else None,
        )
        for risk in risks
    ]


# --- the register page: filter, search, sort ---------------------------------------------------
