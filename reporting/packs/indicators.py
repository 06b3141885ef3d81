"""Key risk indicators in packs (issue 18): on each Risk Action Plan page, the risk's indicators
with their status as at the pack's day; and the pack's list of indicators at red (or stale) on
the risks it covers. One query for every indicator of the pack, readings on or before its day."""

from __future__ import annotations

from dataclasses import dataclass

from registers.selectors.indicator_lists import current_indicators
from registers.selectors.indicators import IndicatorStatus, indicator_standing, indicator_start_day
from registers.withholding import WITHHELD_SHORT


@dataclass(frozen=True)
class PackIndicator:
    name: str
    unit: str
    thresholds: str
    status: IndicatorStatus
    stale: bool
    value: str  # the latest reading with its unit, "" when none
    taken_on: object
    next_due: object
    owner: str
    illustrative: bool

    @property
    def flagged(self) -> bool:
        return self.status == IndicatorStatus.RED or self.stale


def _number(value) -> str:
    return format(value.normalize(), "f") if value is not None else ""


def _thresholds(indicator) -> str:
    unit = f" {indicator.unit}" if indicator.unit else ""
    return (
        f"{indicator.get_direction_display()}: amber from {_number(indicator.amber_from)}{unit}, "
        f"red from {_number(indicator.red_from)}{unit}"
    )


def add_indicators(data) -> None:
    """``risk.indicators`` for every risk of the pack and ``data.red_indicators`` (pairs of a
    PackRisk and a PackIndicator at red or stale, by risk). A risk whose detail the edition
    withholds shows its indicators' status under a withheld name."""
    by_id = {risk.record.id: risk for risk in data.risks}
    for risk in data.risks:
        risk.indicators = []
    data.red_indicators = []
    if not by_id:
        return
    rows = (
        current_indicators(as_of=data.as_of)
        .filter(risk_id__in=list(by_id))
        .select_related("owner")
        .order_by("risk_id", "position", "id")
    )
    for indicator in rows:
        risk = by_id[indicator.risk_id]
        standing = indicator_standing(
            indicator,
            today=data.as_of,
            since=indicator_start_day(indicator, organisation=data.organisation),
        )
        owner = indicator.owner
        risk.indicators.append(
            PackIndicator(
                name=WITHHELD_SHORT if risk.withheld else indicator.name,
                unit=indicator.unit,
                thresholds="" if risk.withheld else _thresholds(indicator),
                status=standing.status,
                stale=standing.stale,
                value=""
                if risk.withheld or standing.value is None
                else f"{_number(standing.value)} {indicator.unit}".strip(),
                taken_on=standing.taken_on,
                next_due=standing.next_due,
                owner=(owner.get_full_name() or owner.email) if owner else "",
                illustrative=indicator.illustrative,
            )
        )
    for risk in data.risks:
        data.red_indicators += [(risk, kri) for kri in risk.indicators if kri.flagged]
