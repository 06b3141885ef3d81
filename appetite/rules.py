"""Is a risk within appetite? One pure function, used by every list, heat map, export and pack."""

from __future__ import annotations

from enum import StrEnum


class AppetiteState(StrEnum):
    NOT_SET = "not_set"  # no threshold applies, or the risk has no current score
    WITHIN = "within"
    WARNING = "warning"
    BREACH = "breach"

    @property
    def label(self) -> str:
        return {
            "not_set": "No threshold",
            "within": "Within appetite",
            "warning": "At warning",
            "breach": "Breach",
        }[self.value]


def appetite_state(
    *, score: int | None, tolerance: int | None, warning: int | None = None
) -> AppetiteState:
    """Breach when the current score is above the tolerance threshold; warning when above the
    (lower) warning threshold; otherwise within. Thresholds are the highest acceptable score, as
    ESPO's "10 or less" and Aberdeen's Table 5 read."""
    if score is None or tolerance is None:
        return AppetiteState.NOT_SET
    if score > tolerance:
        return AppetiteState.BREACH
    if warning is not None and score > warning:
        return AppetiteState.WARNING
    return AppetiteState.WITHIN
