"""The Word edition's charts (issue 18): Word gets each chart's numbers as a small table under
its title and description, not a picture; the same ``charts.Chart.table`` the PDF and the pages
print, so a clerk's paste says what the PDF shows."""

from __future__ import annotations

TEXT_WIDTH_MM = 170.0


def chart_table(w, chart, *, heading: str = "", level: int = 3) -> None:
    """``chart`` as a heading (optional), its title and description, and its numbers."""
    if heading:
        w.heading(heading, level)
    w.para(f"{chart.title}. {chart.description}", small=True)
    headers = list(chart.table.headers)
    first = 40.0 if len(headers) > 2 else 60.0
    rest = (TEXT_WIDTH_MM - first) / max(len(headers) - 1, 1)
    table = w.table(chart.table.caption, headers, [first, *([rest] * (len(headers) - 1))])
    for row in chart.table.rows:
        w.row(table, list(row))


def exposure_tables(w, data, *, level: int = 2) -> None:
    """The committee pack's exposure over eight quarters, as tables, after the words saying
    which registers it counts (as the PDF's)."""
    if not data.exposure_charts:
        if getattr(data, "exposure_left_out", ""):  # too few quarter ends with records (143)
            w.heading("Exposure over eight quarters", level)
            w.para(data.exposure_left_out)
        return
    w.heading("Exposure over eight quarters", level)
    lead_in = " ".join(part for part in (data.exposure_lead_in, data.exposure_note) if part)
    if lead_in:
        w.para(lead_in)
    for chart in data.exposure_charts:
        chart_table(w, chart)
