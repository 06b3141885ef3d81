"""The charts pages and packs share, from the series the selectors read: a risk's current, target
and tolerance over time; an indicator's readings against its thresholds; the organisation's
open risks by band and risks in breach per quarter. Drawing is ``charts``'; the words and the
tables behind each chart are here, once, so the page, the PDF and the Word edition agree.
"""

from __future__ import annotations

from charts import Axis, Band, Chart, Series, Stack, Table, bar_chart, line_chart, stacked_bars
from scoring.definition import SchemeDefinition

from .selectors.exposure import Exposure
from .selectors.risk_series import Reading, RiskSeries

CURRENT_COLOUR, TARGET_COLOUR, TOLERANCE_COLOUR = "#0b0c0c", "#1d70b8", "#d4351c"
BREACH_COLOUR = "#d4351c"


def short_quarter(label: str) -> str:
    """On an axis: "Q3 24/25" for "Q3 2024/25" (the table keeps the long form)."""
    return label.replace(" 20", " ", 1) if label.startswith("Q") else label


def _score(value: int | None, absent: str) -> str:
    if absent:
        return absent
    return "Not rated" if value is None else str(value)


def top_score(scheme: SchemeDefinition | None, seen: list[int]) -> int:
    highest = max(seen, default=0)
    if scheme is not None:
        maxima = [band.max for band in scheme.bands if band.max is not None]
        if maxima:
            highest = max(highest, *maxima)
        elif scheme.method == "matrix":
            highest = max(highest, len(scheme.bands))
        else:
            top = max(level.value for level in scheme.likelihood) * max(
                level.value for level in scheme.impact
            )
            highest = max(highest, top)
    return max(highest, 1)


def risk_chart(
    series: RiskSeries,
    *,
    ref: str,
    title: str = "",
    scheme: SchemeDefinition | None = None,
    height: int = 300,
) -> Chart:
    """The risk's current and target scores and its tolerance as steps over eight quarters."""
    title = title or f"{ref}: current and target scores and tolerance over eight quarters"
    seen = [
        value
        for standing in (s for _x, s in series.changes)
        for value in (standing.current, standing.target, standing.tolerance)
        if value is not None
    ]
    high = top_score(scheme, seen)
    bands = []
    if scheme is not None and all(band.min is not None for band in scheme.bands):
        bands = [
            Band(band.min - 0.5, band.max + 0.5, band.colour, band.name) for band in scheme.bands
        ]
    now = series.at[-1]
    if now.absent:
        summary = f"{now.absent.lower()} at {series.labels[-1].lower()}"
    else:
        summary = (
            f"at {series.labels[-1].lower()}: current score {_score(now.current, '').lower()}, "
            f"target {_score(now.target, '').lower()}, tolerance "
            f"{now.tolerance if now.tolerance is not None else 'none set'}"
        )
    first = series.at[0]
    start = _score(first.current, first.absent)
    description = (
        f"Step lines from {series.labels[0]} to {series.labels[-1]}. Current score at "
        f"{series.labels[0]}: {start}; {summary}. A current line above the tolerance line is "
        "a breach of appetite."
    )
    rows = tuple(
        (
            label,
            _score(standing.current, standing.absent),
            _score(standing.target, standing.absent),
            standing.absent
            or (str(standing.tolerance) if standing.tolerance is not None else "None"),
        )
        for label, standing in zip(series.labels, series.at, strict=True)
    )
    return line_chart(
        title=title,
        description=description,
        labels=[short_quarter(label) for label in series.labels],
        series=[
            Series("Current score", series.points("current"), CURRENT_COLOUR, "", "circle"),
            Series("Target score", series.points("target"), TARGET_COLOUR, "6 4", "square"),
            Series(
                "Tolerance", series.points("tolerance"), TOLERANCE_COLOUR, "2 3", "none", width=2
            ),
        ],
        y_axis=Axis("Score", 0, high),
        bands=bands,
        table=Table(
            caption=f"{ref}: scores at each quarter end",
            headers=("Quarter", "Current score", "Target score", "Tolerance"),
            rows=rows,
        ),
        key=f"risk-{ref}",
        height=height,
    )


def indicator_chart(
    *, name: str, unit: str, amber_from: float, red_from: float, readings: list[Reading], key: str
) -> Chart:
    """An indicator's readings as a line, its amber and red thresholds across."""
    labels = tuple(f"{reading.taken_on:%-d %b %y}" for reading in readings) or ("No readings",)
    values = [reading.value for reading in readings]
    high = max([*values, amber_from, red_from, 0]) * 1.1 or 1
    low = min([*values, amber_from, red_from, 0])
    unit_text = f" ({unit})" if unit else ""
    latest = f"latest {values[-1]:g}{unit_text}" if values else "no readings yet"
    return line_chart(
        title=f"{name}: readings against thresholds",
        description=(
            f"{len(values)} readings, {latest}; amber from {amber_from:g}, red from {red_from:g}."
        ),
        labels=labels,
        series=[
            Series(
                f"Reading{unit_text}",
                tuple(enumerate(values)),
                CURRENT_COLOUR,
                "",
                "circle",
                step=False,
            )
        ],
        thresholds=[
            Series(
                f"Amber from {amber_from:g}", ((0, amber_from),), "#f47738", "6 4", "none", width=2
            ),
            Series(f"Red from {red_from:g}", ((0, red_from),), "#d4351c", "2 3", "none", width=2),
        ],
        y_axis=Axis(unit or "Value", low, high),
        table=Table(
            caption=f"{name}: readings",
            headers=("Taken on", f"Reading{unit_text}"),
            rows=tuple((f"{r.taken_on:%-d %b %Y}", f"{r.value:g}") for r in readings),
        ),
        key=key,
    )


NO_THRESHOLDS = (
    "No appetite threshold applied to these risks at these quarter ends, so none is counted as "
    "in breach."
)


def exposure_charts(
    exposure: Exposure, *, scheme: SchemeDefinition | None, key: str = "exposure"
) -> tuple[Chart, ...]:
    """Open risks by band per quarter end (stacked, lowest band at the bottom) and, where any
    tolerance applied, risks in breach per quarter end (``NO_THRESHOLDS`` says why not)."""
    counts = dict(exposure.by_band)
    stacks = []
    if scheme is not None:
        for band in scheme.bands:
            stacks.append(
                Stack(band.name, band.colour, counts.pop(band.name, (0,) * len(exposure.ends)))
            )
    not_rated = counts.pop("", None)
    stacks += [Stack(name, "#b1b4b6", values) for name, values in sorted(counts.items())]
    if not_rated is not None:
        stacks.append(Stack("Not rated", "#ffffff", not_rated))
    first, last = exposure.labels[0], exposure.labels[-1]
    totals = exposure.totals
    bands_chart = stacked_bars(
        title=f"Open risks by band, {first} to {last}",
        description=(
            f"Open risks at each quarter end, stacked by the band of their current rating: "
            f"{totals[0]} at the end of {first}, {totals[-1]} at the end of {last}."
        ),
        labels=[short_quarter(label) for label in exposure.labels],
        stacks=stacks,
        table=Table(
            caption="Open risks by band at each quarter end",
            headers=("Quarter", *(s.name for s in reversed(stacks)), "Total"),
            rows=tuple(
                (label, *(str(s.values[i]) for s in reversed(stacks)), str(totals[i]))
                for i, label in enumerate(exposure.labels)
            ),
        ),
        key=f"{key}-bands",
    )
    if not exposure.any_threshold:
        return (bands_chart,)
    breaches = exposure.breaches
    breach_chart = bar_chart(
        title=f"Risks in breach of appetite, {first} to {last}",
        description=(
            f"Open risks scoring above their tolerance at each quarter end: {breaches[0]} at the "
            f"end of {first}, {breaches[-1]} at the end of {last}."
        ),
        labels=[short_quarter(label) for label in exposure.labels],
        values=breaches,
        name="Risks in breach",
        bar_colour=BREACH_COLOUR,
        table=Table(
            caption="Risks in breach of appetite at each quarter end",
            headers=("Quarter", "Risks in breach", "Open risks with a tolerance", "Open risks"),
            rows=tuple(
                (label, str(breaches[i]), str(exposure.judged[i]), str(totals[i]))
                for i, label in enumerate(exposure.labels)
            ),
        ),
        key=f"{key}-breaches",
    )
    return bands_chart, breach_chart
