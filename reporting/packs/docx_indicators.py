"""Key risk indicators in the Word edition of a pack (issue 18): the same tables as the PDF's
(reporting/pdf/partials/risk_indicators.html and indicators_red.html)."""

from __future__ import annotations


def _status(kri) -> list:
    runs = [(kri.status.label, {})]
    if kri.stale:
        runs.append((f"Stale: reading due {kri.next_due:%-d %b}", {"newline": True, "bold": True}))
    return runs


def _reading(kri) -> list:
    if kri.taken_on is None:
        return [("—", {})]
    return [(kri.value, {}), (f"{kri.taken_on:%-d %b %Y}", {"newline": True, "size": 8})]


def risk_indicators(w, risk) -> None:
    """A Risk Action Plan's indicators, as at the pack's day."""
    indicators = getattr(risk, "indicators", [])
    if not indicators:
        return
    label = " (illustrative)" if indicators[0].illustrative else ""
    w.heading(f"Key risk indicators{label}", 3)
    table = w.table("", ["Indicator", "Latest reading", "Status", "Owner"], [72, 38, 36, 32])
    for kri in indicators:
        name = [(kri.name, {})]
        if kri.thresholds:
            name.append((kri.thresholds, {"newline": True, "size": 8, "grey": True}))
        w.row(table, [name, _reading(kri), _status(kri), kri.owner or "—"])


def red_indicators(w) -> None:
    """The pack's indicators at red or stale."""
    data = w.data
    w.heading("Indicators at red", 2)
    flagged = getattr(data, "red_indicators", [])
    if not flagged:
        w.para("No key risk indicator of these risks is at red or overdue for a reading.")
        return
    table = w.table(
        f"Key risk indicators at red or overdue for a reading, as at {data.as_of:%-d %B %Y}",
        ["Risk", "Indicator", "Latest reading", "Status", "Owner"],
        [18, 66, 32, 32, 30],
    )
    for risk, kri in flagged:
        name = kri.name + (" (illustrative)" if kri.illustrative else "")
        w.row(table, [risk.ref, name, _reading(kri), _status(kri), kri.owner or "—"])
