from __future__ import annotations

from dataclasses import dataclass

from .models import AppetiteStatement
from .rules import AppetiteState, appetite_state


@dataclass(frozen=True)
class Threshold:
    tolerance: int
    warning: int | None


class AppetiteLookup:
    """An organisation's thresholds by category, fetched in one query, so a list of any length
    judges every risk without further queries."""

    def __init__(self, statements):
        self._by_category: dict[int | None, Threshold] = {
            statement.category_id: Threshold(statement.tolerance, statement.warning)
            for statement in statements
        }

    def threshold(self, category_id: int | None) -> Threshold | None:
        return self._by_category.get(category_id) or self._by_category.get(None)

    def state(self, *, category_id: int | None, score: int | None) -> AppetiteState:
        threshold = self.threshold(category_id)
        if threshold is None:
            return AppetiteState.NOT_SET
        return appetite_state(score=score, tolerance=threshold.tolerance, warning=threshold.warning)


def appetite_lookup(*, organisation) -> AppetiteLookup:
    return AppetiteLookup(AppetiteStatement.objects.filter(organisation=organisation))


def appetite_statements(*, organisation):
    return AppetiteStatement.objects.filter(organisation=organisation).select_related(
        "category", "level"
    )
