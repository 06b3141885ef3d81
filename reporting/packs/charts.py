"""The pack's charts (issue 18): each risk with a full page (its Risk Action Plan) gets its
current and target scores and tolerance over eight quarters, and the committee pack the open
risks by band and risks in breach on its registers (the risks standing on them then) at the
organisation's last eight quarter ends. The same
charts and words as the risk page and the dashboard (``registers.charting``), as at the pack's
moment: two queries for the whole pack, whatever the number of pages."""

from __future__ import annotations

from dataclasses import replace

from charts import Axis, Band, Series, line_chart
from registers.charting import (
    CURRENT_COLOUR,
    NO_THRESHOLDS,
    TARGET_COLOUR,
    TOLERANCE_COLOUR,
    exposure_charts,
    risk_chart,
    short_quarter,
    top_score,
)
from registers.selectors.exposure import QUARTERS, exposure_by_quarter
from registers.selectors.risk_series import risk_series_many
from scoring.selectors import default_scheme

COMMITTEE = "committee"
# Beside the ratings in the plan's fact box (about 70 x 20 mm): plans follow one another and keep
# whole, so a chart across the page pushed each onto a page of its own (decision 58).
RISK_CHART_WIDTH, RISK_CHART_HEIGHT = 300, 66
# Each line named with its dash in words beside its numbers: the compact chart has no legend.
LINES = (
    ("current", "Current (solid)", CURRENT_COLOUR, "", 2.0),
    ("target", "Target (dashed)", TARGET_COLOUR, "6 4", 2.0),
    ("tolerance", "Tolerance (dotted)", TOLERANCE_COLOUR, "2 3", 1.6),
)


# What the exposure counts, above its charts in both editions: the pack's registers, by name.
EXPOSURE_LEAD_IN = (
    "Open risks on the {registers} at each quarter end, as they stood then, by the band of their "
    "current rating, and those above the tolerance that applied then."
)


def add_charts(data) -> None:
    """Sets ``chart`` on each risk of ``data.details`` and, for the committee pack,
    ``data.exposure_charts`` of the pack's registers, ``data.exposure_lead_in`` naming them
    (and ``data.exposure_note`` when no tolerance applied)."""
    label = f"{data.as_of:%-d %b %Y}"
    series = risk_series_many(
        organisation=data.organisation,
        risk_ids=[risk.record.id for risk in data.details],
        moment=data.moment,
        moment_label=label,
    )
    for risk in data.details:
        record = risk.record
        scheme = record.scheme_version.parsed if record.scheme_version_id else None
        risk.chart, risk.chart_lines = plan_chart(series[record.id], ref=record.ref, scheme=scheme)
    if data.kind == COMMITTEE:
        exposure = exposure_by_quarter(
            organisation=data.organisation, moment=data.moment, register_ids=data.register_ids
        )
        exposure = _since_records_begin(data, exposure)
        if exposure is None:
            return
        scheme = default_scheme(organisation=data.organisation)  # the dashboard's bands
        version = scheme.current_version if scheme else None
        data.exposure_charts = exposure_charts(
            exposure, scheme=version.parsed if version else None, key="pack-exposure"
        )
        data.exposure_note = "" if exposure.any_threshold else NO_THRESHOLDS
        data.exposure_lead_in = EXPOSURE_LEAD_IN.format(registers=data.register_names)
        if data.records_begin_at is not None and len(exposure.ends) < QUARTERS:
            data.exposure_lead_in += " " + EXPOSURE_FROM.format(
                first=exposure.labels[0], day=f"{data.records_begin:%-d %B %Y}"
            )


# Fewer than two quarter ends with records (decision 143): a chart of one bar, or of noughts
# before anything was recorded, would say more than is known.
EXPOSURE_LEFT_OUT = (
    "Left out: records on riskreg of the {registers} begin on {day}, so fewer than two of the "
    "last eight quarter ends have records to count."
)

EXPOSURE_FROM = (
    "It starts at the end of {first}, the first quarter end with records (they begin on {day})."
)


def _since_records_begin(data, exposure):
    """The exposure from the first quarter end with records on the pack's registers
    (``data.records_begin_at``, set by ``changes.add_records_begin``): before it nothing was
    recorded, and drawing 0 there would say there were no risks. None, with
    ``data.exposure_left_out`` saying why, when fewer than two quarter ends have records."""
    first = data.records_begin_at
    keep = [index for index, end in enumerate(exposure.ends) if first is not None and end >= first]
    if len(keep) == len(exposure.ends):
        return exposure
    if len(keep) < 2:
        day = f"{data.records_begin:%-d %B %Y}" if data.records_begin else "a later day"
        data.exposure_left_out = EXPOSURE_LEFT_OUT.format(registers=data.register_names, day=day)
        return None

    def kept(values):
        return tuple(values[index] for index in keep)

    return replace(
        exposure,
        ends=kept(exposure.ends),
        labels=kept(exposure.labels),
        by_band={band: kept(counts) for band, counts in exposure.by_band.items()},
        breaches=kept(exposure.breaches),
        judged=kept(exposure.judged),
    )


def plan_chart(series, *, ref: str, scheme):
    """The risk page's chart (same title, words and table) drawn compact for a plan's fact box,
    and its numbers a line per series: (field, name, values by quarter)."""
    full = risk_chart(series, ref=ref, scheme=scheme)
    seen = [
        value
        for standing in (s for _x, s in series.changes)
        for value in (standing.current, standing.target, standing.tolerance)
        if value is not None
    ]
    bands = ()
    if scheme is not None and all(band.min is not None for band in scheme.bands):
        bands = [Band(b.min - 0.5, b.max + 0.5, b.colour, b.name) for b in scheme.bands]
    chart = line_chart(
        title=full.title,
        description=full.description,
        labels=[short_quarter(label) for label in series.labels],
        series=[
            Series(name, series.points(field), colour, dash, "none", width=width)
            for field, name, colour, dash, width in LINES
        ],
        y_axis=Axis("Score", 0, top_score(scheme, seen)),
        bands=bands,
        table=full.table,
        key=f"risk-{ref}",
        width=RISK_CHART_WIDTH,
        height=RISK_CHART_HEIGHT,
        compact=True,
    )
    lines = tuple(
        (field, name, tuple(_cell(row[column]) for row in full.table.rows))
        for column, (field, name, _colour, _dash, _width) in enumerate(LINES, start=1)
    )
    return chart, lines


def _cell(text: str) -> str:
    """A number, or a dash for a quarter with none (the key under the numbers says why)."""
    return text if text.isdigit() else "–"
