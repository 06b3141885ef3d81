"""Reads for pages, exports and packs: ordered querysets with what they show already joined, and
presenters that rate each risk through the scoring engine without further queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Length

from appetite.rules import AppetiteState
from appetite.selectors import AppetiteLookup, appetite_lookup
from scoring.engine import Rating, rate

from .models import Organisation, Register, Risk, RiskStatus

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


def _rating(risk: Risk, position: str) -> Rating | None:
    likelihood = getattr(risk, f"{position}_likelihood")
    if likelihood is None or risk.scheme_version is None:
        return None
    return rate(risk.scheme_version.parsed, likelihood, getattr(risk, f"{position}_impact"))


def risk_row(risk: Risk, lookup: AppetiteLookup) -> RiskRow:
    return RiskRow(
        risk=risk,
        current=_rating(risk, "current"),
        target=_rating(risk, "target"),
        inherent=_rating(risk, "inherent"),
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


def registers_with_counts(*, organisation: Organisation) -> QuerySet[Register]:
    return (
        Register.objects.filter(organisation=organisation)
        .select_related("parent")
        .annotate(
            open_risks=Count("risks", filter=~Q(risks__status=RiskStatus.CLOSED)),
            closed_risks=Count("risks", filter=Q(risks__status=RiskStatus.CLOSED)),
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
