"""The drawing: a step-line chart (ratings over time, readings against thresholds), stacked bars
(open risks by band per quarter) and plain bars (risks in breach per quarter).

Every chart is an ``<svg role="img">`` labelled by its ``<title>`` and ``<desc>`` (ids of its
own), drawn with presentation attributes only (no style attribute: the content security policy
allows none beyond band colours, and WeasyPrint draws presentation attributes the same), and
never by colour alone: each line has its own dash and marker and a legend names it; each bar
carries its number. Every text is escaped here, once.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from django.utils.safestring import SafeString, mark_safe

FONT = "'Noto Sans', Arial, Helvetica, sans-serif"  # the packs' shipped font first
INK = "#0b0c0c"  # GOV.UK text colour
GRID = "#b1b4b6"
NEUTRAL = "#505a5f"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{3,8}$")

MARKERS = ("circle", "square", "diamond", "triangle", "none")


def colour(value: str | None, default: str = NEUTRAL) -> str:
    """A colour as a scheme stores it (``#d4351c``), or the neutral grey for anything else, so a
    colour is never a way into the markup."""
    return value if value and _COLOUR.match(value) else default


@dataclass(frozen=True)
class Table:
    """The chart's numbers as a table: a caption, column headings and rows of text."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    description: str
    svg: SafeString
    table: Table

    @property
    def title_id(self) -> str:
        return f"{self.key}-title"

    @property
    def desc_id(self) -> str:
        return f"{self.key}-desc"


@dataclass(frozen=True)
class Axis:
    """The value axis: from ``low`` to ``high``, named ``label``; ``ticks`` (value, text), or
    round numbers when empty."""

    label: str
    low: float
    high: float
    ticks: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class Band:
    """A coloured background from ``low`` to ``high`` with its name written on it."""

    low: float
    high: float
    colour: str
    label: str


@dataclass(frozen=True)
class Series:
    """A line: ``points`` are (x, value) with x a position on the category axis (0 is the first
    label; fractions fall between labels) and value None where there is nothing (not yet on
    the register, closed, not rated). ``step`` holds each value until the next point."""

    name: str
    points: tuple[tuple[float, float | None], ...]
    colour: str = INK
    dash: str = ""
    marker: str = "circle"
    step: bool = True
    width: float = 2.5


@dataclass(frozen=True)
class Stack:
    """One layer of stacked bars: its name, colour and a value per category."""

    name: str
    colour: str
    values: tuple[int, ...] = field(default_factory=tuple)


def _dash(line: Series) -> str:
    return f" stroke-dasharray={quoteattr(line.dash)}" if line.dash else ""


def chart_key(title: str, key: str = "") -> str:
    """An id for the chart's title and description: ``key`` cleaned, or one from the title."""
    if key:
        cleaned = re.sub(r"[^a-z0-9-]+", "-", key.lower()).strip("-")
        if cleaned:
            return f"chart-{cleaned}"
    return "chart-" + hashlib.sha1(title.encode(), usedforsecurity=False).hexdigest()[:10]


def _text(x: float, y: float, words: str, *, size: int = 12, anchor: str = "start", **attrs) -> str:
    extra = "".join(f" {name.replace('_', '-')}={quoteattr(str(v))}" for name, v in attrs.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{INK}"{extra}>{escape(words)}</text>'
    )


def nice_ticks(low: float, high: float, most: int = 6) -> tuple[tuple[float, str], ...]:
    """Round-number ticks from ``low`` to at least ``high``: 0, 5, 10... or 0, 20, 40..."""
    span = max(high - low, 1)
    raw = span / max(most - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1) if span >= 1 else step
    ticks, value = [], low
    while value <= high + step / 2 and len(ticks) <= most + 1:
        ticks.append((value, f"{value:g}"))
        value += step
    return tuple(ticks)


def _open(key: str, title: str, description: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rr-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{key}-title {key}-desc" font-family="{FONT}">',
        f'<title id="{key}-title">{escape(title)}</title>',
        f'<desc id="{key}-desc">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def _marker(kind: str, x: float, y: float, fill: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{fill}"/>'
    if kind == "diamond":
        return (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} '
            f'{x - 5:.1f},{y:.1f}" fill="{fill}"/>'
        )
    if kind == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}" '
            f'fill="{fill}"/>'
        )
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{fill}"/>'
    return ""


def _legend(entries: Sequence[str], *, x: float, y: float, width: float) -> tuple[list[str], float]:
    """Lay legend entries (already drawn at 0,0, each 150 wide) in rows; the markup and the
    height used."""
    per_row = max(int(width // 160), 1)
    parts = []
    for index, entry in enumerate(entries):
        row, column = divmod(index, per_row)
        parts.append(
            f'<g transform="translate({x + column * 160:.1f},{y + row * 18:.1f})">{entry}</g>'
        )
    rows = math.ceil(len(entries) / per_row) if entries else 0
    return parts, rows * 18


def line_chart(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    y_axis: Axis,
    table: Table,
    bands: Sequence[Band] = (),
    thresholds: Sequence[Series] = (),
    width: int = 640,
    height: int = 300,
    key: str = "",
    compact: bool = False,
) -> Chart:
    """Lines over ``labels`` (quarter ends, reading dates): ``series`` as step lines or straight
    ones, ``thresholds`` as horizontal lines across the whole chart (their first point's value),
    ``bands`` as labelled backgrounds.

    ``compact`` draws a small, cheap chart for a pack's page (WeasyPrint's time grows with each
    element): one path per line, no markers, no legend (the page names each line and its dash in
    words, beside the numbers), no gridlines, the lowest and highest ticks only, the first and
    last category labels only, band backgrounds unlabelled and blended rather than translucent."""
    if compact:
        return _compact_line_chart(
            key=chart_key(title, key),
            title=title,
            description=description,
            labels=labels,
            series=series,
            y_axis=y_axis,
            table=table,
            bands=bands,
            width=width,
            height=height,
        )
    key = chart_key(title, key)
    legend_entries = []
    for line in (*series, *thresholds):
        sample = (
            f'<line x1="0" y1="0" x2="28" y2="0" stroke="{colour(line.colour, INK)}" '
            f'stroke-width="{line.width}"'
            + _dash(line)
            + "/>"
            + _marker(line.marker, 14, 0, colour(line.colour, INK))
            + _text(34, 4, line.name, size=12)
        )
        legend_entries.append(sample)
    left, right, top = 52, 34, 14  # room for the first and last labels, centred on their ticks
    legend_rows = math.ceil(len(legend_entries) / max(int((width - left) // 160), 1))
    bottom = 34 + legend_rows * 18
    plot_w, plot_h = width - left - right, height - top - bottom
    low, high = y_axis.low, y_axis.high if y_axis.high > y_axis.low else y_axis.low + 1
    last = max(len(labels) - 1, 1)

    def x_at(position: float) -> float:
        return left + plot_w * min(max(position, 0), last) / last

    def y_at(value: float) -> float:
        value = min(max(value, low), high)
        return top + plot_h * (high - value) / (high - low)

    parts = _open(key, title, description, width, height)
    for band in bands:
        y1, y2 = y_at(band.high), y_at(band.low)
        parts.append(
            f'<rect x="{left}" y="{y1:.1f}" width="{plot_w}" height="{max(y2 - y1, 0):.1f}" '
            f'fill="{colour(band.colour)}" fill-opacity="0.18"/>'
        )
        if y2 - y1 >= 12:
            parts.append(_text(left + plot_w - 4, y1 + 12, band.label, size=10, anchor="end"))
    for value, words in y_axis.ticks or nice_ticks(low, high):
        y = y_at(value)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}" '
            'stroke-width="0.5"/>'
        )
        parts.append(_text(left - 6, y + 4, words, size=11, anchor="end"))
    parts.append(
        _text(12, top + plot_h / 2, y_axis.label, size=11, anchor="middle",
              transform=f"rotate(-90 12 {top + plot_h / 2:.1f})")
    )  # fmt: skip
    # Category labels: every one when they fit, else every other (the table has them all).
    every = 1 if len(labels) * 60 <= plot_w else 2
    for index, words in enumerate(labels):
        x = x_at(index)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top + plot_h}" x2="{x:.1f}" y2="{top + plot_h + 4}" '
            f'stroke="{INK}"/>'
        )
        if index % every == 0 or index == len(labels) - 1:
            parts.append(_text(x, top + plot_h + 17, words, size=11, anchor="middle"))
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{INK}"/>'
    )
    for line in thresholds:
        value = next((v for _x, v in line.points if v is not None), None)
        if value is None:
            continue
        y = y_at(value)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="{colour(line.colour, INK)}" stroke-width="{line.width}"' + _dash(line) + "/>"
        )
    for line in series:
        stroke = colour(line.colour, INK)
        path: list[str] = []
        previous = None
        for position, value in line.points:
            if value is None:
                if previous is not None and line.step:  # held until it stopped
                    path.append(f"H{x_at(position):.1f}")
                previous = None
                continue
            x, y = x_at(position), y_at(value)
            if previous is None:
                path.append(f"M{x:.1f},{y:.1f}")
            elif line.step:
                path.append(f"H{x:.1f}V{y:.1f}")
            else:
                path.append(f"L{x:.1f},{y:.1f}")
            previous = (x, y)
        if path:
            parts.append(
                f'<path d="{"".join(path)}" fill="none" stroke="{stroke}" '
                f'stroke-width="{line.width}"' + _dash(line) + "/>"
            )
        for position, value in line.points:
            if value is not None:
                parts.append(_marker(line.marker, x_at(position), y_at(value), stroke))
    legend, _height = _legend(legend_entries, x=left, y=top + plot_h + 34, width=plot_w)
    parts.extend(legend)
    parts.append("</svg>")
    return Chart(key, title, description, mark_safe("".join(parts)), table)  # noqa: S308 (escaped above)


def _blend(value: str, amount: float = 0.18) -> str:
    """``value`` laid at ``amount`` over white, as one opaque colour (no opacity to composite)."""
    hex_ = colour(value).lstrip("#")
    if len(hex_) == 3:
        hex_ = "".join(c * 2 for c in hex_)
    rgb = [int(hex_[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(255 - (255 - c) * amount):02x}" for c in rgb)


def _step_path(points, x_at, y_at, step: bool) -> str:
    path: list[str] = []
    previous = None
    for position, value in points:
        if value is None:
            if previous is not None and step:  # held until it stopped
                path.append(f"H{x_at(position):.1f}")
            previous = None
            continue
        x, y = x_at(position), y_at(value)
        if previous is None:
            path.append(f"M{x:.1f},{y:.1f}")
        elif step:
            path.append(f"H{x:.1f}V{y:.1f}")
        else:
            path.append(f"L{x:.1f},{y:.1f}")
        previous = (x, y)
    return "".join(path)


def _compact_line_chart(
    *, key, title, description, labels, series, y_axis, table, bands, width, height
) -> Chart:
    left, right, top, bottom = 20, 14, 4, 14
    plot_w, plot_h = width - left - right, height - top - bottom
    low, high = y_axis.low, y_axis.high if y_axis.high > y_axis.low else y_axis.low + 1
    last = max(len(labels) - 1, 1)

    def x_at(position: float) -> float:
        return left + plot_w * min(max(position, 0), last) / last

    def y_at(value: float) -> float:
        value = min(max(value, low), high)
        return top + plot_h * (high - value) / (high - low)

    parts = _open(key, title, description, width, height)[:-1]  # on the page's white: no ground
    for band in bands:
        y1, y2 = y_at(band.high), y_at(band.low)
        if y2 > y1:
            parts.append(
                f'<rect x="{left}" y="{y1:.1f}" width="{plot_w}" height="{y2 - y1:.1f}" '
                f'fill="{_blend(band.colour)}"/>'
            )
    ticks = y_axis.ticks or nice_ticks(low, high)
    for value, words in (ticks[0], ticks[-1]) if ticks else ():
        y = y_at(value) + (9 if value == ticks[-1][0] else 0)  # inside the plot's height
        parts.append(_text(left - 4, y, words, size=11, anchor="end"))
    parts.append(
        f'<path d="M{left},{top}V{top + plot_h}H{left + plot_w}" fill="none" stroke="{INK}"/>'
    )
    if labels:
        parts.append(_text(left + 2, height - 2, labels[0], size=11, anchor="start"))
        if len(labels) > 1:
            parts.append(_text(width - 2, height - 2, labels[-1], size=11, anchor="end"))
    for line in series:
        path = _step_path(line.points, x_at, y_at, line.step)
        if path:
            parts.append(
                f'<path d="{path}" fill="none" stroke="{colour(line.colour, INK)}" '
                f'stroke-width="{line.width}"' + _dash(line) + "/>"
            )
    parts.append("</svg>")
    return Chart(key, title, description, mark_safe("".join(parts)), table)  # noqa: S308 (escaped above)


def stacked_bars(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    stacks: Sequence[Stack],
    table: Table,
    y_label: str = "Risks",
    width: int = 640,
    height: int = 300,
    key: str = "",
) -> Chart:
    """A bar per label, its ``stacks`` piled bottom first, the total written above each bar."""
    key = chart_key(title, key)
    totals = [sum(stack.values[i] for stack in stacks) for i in range(len(labels))]
    legend_entries = [
        f'<rect x="0" y="-9" width="14" height="12" fill="{colour(stack.colour)}" '
        f'stroke="{INK}" stroke-width="0.5"/>' + _text(20, 2, stack.name or "Not rated", size=12)
        for stack in reversed(stacks)  # the legend reads top band first, as the bars do
    ]
    return _bars(
        key=key,
        title=title,
        description=description,
        labels=labels,
        layers=[(colour(s.colour), s.values) for s in stacks],
        totals=totals,
        legend_entries=legend_entries,
        y_label=y_label,
        width=width,
        height=height,
        table=table,
    )


def bar_chart(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[int],
    name: str,
    table: Table,
    bar_colour: str = "#d4351c",
    y_label: str = "Risks",
    width: int = 640,
    height: int = 240,
    key: str = "",
) -> Chart:
    """A bar per label with its number above it."""
    key = chart_key(title, key)
    legend_entries = [
        f'<rect x="0" y="-9" width="14" height="12" fill="{colour(bar_colour)}"/>'
        + _text(20, 2, name, size=12)
    ]
    return _bars(
        key=key,
        title=title,
        description=description,
        labels=labels,
        layers=[(colour(bar_colour), tuple(values))],
        totals=list(values),
        legend_entries=legend_entries,
        y_label=y_label,
        width=width,
        height=height,
        table=table,
    )


def _bars(
    *,
    key,
    title,
    description,
    labels,
    layers,
    totals,
    legend_entries,
    y_label,
    width,
    height,
    table,
) -> Chart:
    left, right, top = 46, 16, 18
    per_row = max(int((width - left - right) // 160), 1)
    bottom = 34 + math.ceil(len(legend_entries) / per_row) * 18
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = nice_ticks(0, max(totals or [0]) or 1, most=5)
    high = ticks[-1][0] or 1

    def y_at(value: float) -> float:
        return top + plot_h * (high - value) / high

    parts = _open(key, title, description, width, height)
    for value, words in ticks:
        y = y_at(value)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}" '
            'stroke-width="0.5"/>'
        )
        parts.append(_text(left - 6, y + 4, words, size=11, anchor="end"))
    parts.append(
        _text(12, top + plot_h / 2, y_label, size=11, anchor="middle",
              transform=f"rotate(-90 12 {top + plot_h / 2:.1f})")
    )  # fmt: skip
    slot = plot_w / max(len(labels), 1)
    bar = slot * 0.6
    every = 1 if slot >= 64 else 2
    for index, words in enumerate(labels):
        x = left + slot * index + (slot - bar) / 2
        base = 0
        for fill, values in layers:
            value = values[index]
            if value:
                y1, y2 = y_at(base + value), y_at(base)
                parts.append(
                    f'<rect x="{x:.1f}" y="{y1:.1f}" width="{bar:.1f}" height="{y2 - y1:.1f}" '
                    f'fill="{fill}" stroke="#ffffff" stroke-width="0.5"/>'
                )
            base += value
        parts.append(_text(x + bar / 2, y_at(totals[index]) - 4, str(totals[index]), size=11,
                           anchor="middle"))  # fmt: skip
        if index % every == 0 or index == len(labels) - 1:
            parts.append(_text(x + bar / 2, top + plot_h + 17, words, size=11, anchor="middle"))
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{INK}"/>'
    )
    legend, _height = _legend(legend_entries, x=left, y=top + plot_h + 34, width=plot_w)
    parts.extend(legend)
    parts.append("</svg>")
    return Chart(key, title, description, mark_safe("".join(parts)), table)  # noqa: S308 (escaped above)
