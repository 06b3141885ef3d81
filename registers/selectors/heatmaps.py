"""Heat maps and band counts: one aggregate query per position, rendered by one shared partial."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from scoring.definition import Level, SchemeDefinition
from scoring.engine import Rating, grid

from ..models import (
    Horizon,
    Organisation,
)
from .common import mine, open_risks
from .register_list import HORIZON_NONE, POSITION_LABELS
from .review_standing import review_counts
from .rows import with_appetite

# --- heat maps ---------------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


_INK = _luminance("#0b0c0c")


def text_on(colour: str) -> str:
    """rr-on-dark (white text) or rr-on-light (near-black), whichever contrasts more."""
    background = _luminance(colour)
    on_white = 1.05 / (background + 0.05)
    on_ink = (background + 0.05) / (_INK + 0.05)
    return "rr-on-dark" if on_white > on_ink else "rr-on-light"


@dataclass(frozen=True)
class HeatCell:
    likelihood: Level
    impact: Level
    rating: Rating
    count: int
    breaches: int = 0  # of the count, risks in breach of appetite (current position only)
    refs: tuple = ()  # the refs of its risks, where the map lists them (packs)

    @property
    def text_class(self) -> str:
        return text_on(self.rating.colour)


@dataclass(frozen=True)
class HeatRow:
    likelihood: Level
    cells: list[HeatCell]


@dataclass(frozen=True)
class HeatMap:
    """A scheme's grid with a count of risks per cell, ready for the heat-map partial (pages and
    PDFs). ``left_out`` counts risks rated on levels this grid does not have (another scheme or
    version); ``not_rated`` those with no rating for the position."""

    key: str  # unique on a page: table ids and header ids derive from it
    title: str
    position: str
    horizon: str
    rows: list[HeatRow]
    impacts: tuple[Level, ...]
    counted: int
    left_out: int
    not_rated: int


def heat_map(
    scheme: SchemeDefinition,
    counts: dict[tuple[int | None, int | None], int],
    *,
    position: str = "current",
    title: str = "",
    key: str = "",
    horizon: str = "",
    breaches: dict[tuple[int | None, int | None], int] | None = None,
    refs: dict[tuple[int | None, int | None], list[str]] | None = None,
) -> HeatMap:
    """Pure: place counts keyed by (likelihood value, impact value) on the scheme's grid, with,
    where given, how many of each cell's risks breach appetite and the refs of its risks."""
    breaches = breaches or {}
    refs = refs or {}
    cells = grid(scheme)
    fits = {(cell.likelihood.value, cell.impact.value) for row in cells for cell in row}
    rows = [
        HeatRow(
            likelihood=row[0].likelihood,
            cells=[
                HeatCell(
                    likelihood=cell.likelihood,
                    impact=cell.impact,
                    rating=cell.rating,
                    count=counts.get((cell.likelihood.value, cell.impact.value), 0),
                    breaches=breaches.get((cell.likelihood.value, cell.impact.value), 0),
                    refs=tuple(refs.get((cell.likelihood.value, cell.impact.value), ())),
                )
                for cell in row
            ],
        )
        for row in cells
    ]
    not_rated = sum(n for (likelihood, _), n in counts.items() if likelihood is None)
    counted = sum(n for pair, n in counts.items() if pair in fits)
    return HeatMap(
        key=key or f"heatmap-{position}{'-' + horizon if horizon else ''}",
        title=title or f"{POSITION_LABELS.get(position, position)} position",
        position=position,
        horizon=horizon,
        rows=rows,
        impacts=scheme.impact,
        counted=counted,
        left_out=sum(counts.values()) - counted - not_rated,
        not_rated=not_rated,
    )


def current_position_groups(
    *, organisation: Organisation, user=None, today, statements=None
) -> list[dict]:
    """The organisation's open risks counted per current cell, horizon, band and appetite rank,
    with how many of each group are rated, overdue, due within 30 days, awaiting sign-off
    (``review_standing``) and (given a ``user``) the user's.

    One scan of the risks that the dashboard's current heat maps, band counts and key figures
    all add up from (``organisation_heat_maps(current_groups=)``, ``band_counts(counts=)``,
    ``risk_summary(groups=)``), where each used to read all 10,000 risks again."""
    counts = {
        "n": Count("id"),
        "rated": Count("id", filter=Q(current_score__isnull=False)),
        **review_counts(today),  # overdue, due soon, awaiting sign-off (decision 123)
    }
    if user is not None:
        counts["mine"] = Count("id", filter=mine(user))
    return list(
        with_appetite(open_risks(organisation), organisation=organisation, statements=statements)
        .values("current_likelihood", "current_impact", "horizon", "current_band", "appetite_rank")
        .annotate(**counts)
        .order_by()
    )


def organisation_heat_maps(
    *,
    organisation: Organisation,
    scheme: SchemeDefinition,
    bands: dict | None = None,
    current_groups: list[dict] | None = None,
) -> tuple[list[HeatMap], list[HeatMap]]:
    """Heat maps of the open risks of every register: (current, inherent, target), and the
    current position per horizon where the organisation uses horizons (the Met). One aggregate
    query for the current position (none when ``current_groups`` are given) and one for the
    inherent and target positions together.

    ``bands``, when given, is filled with the open risks per current band, counted by the same
    query as the current heat map (pass it on to ``band_counts``: one scan of the risks less)."""
    maps, by_horizon = [], []
    # The other positions in one query, grouped by both (at most a few hundred groups): one
    # read of the risks for the two of them.
    others = [p for p in POSITION_LABELS if p != "current"]
    other_fields = [f"{p}_{axis}" for p in others for axis in ("likelihood", "impact")]
    other_groups = list(
        open_risks(organisation).values(*other_fields).annotate(n=Count("id")).order_by()
    )
    for position in POSITION_LABELS:
        likelihood, impact = f"{position}_likelihood", f"{position}_impact"
        totals: dict = {}
        breaches: dict = {}
        horizons: dict[str, dict] = {}
        horizon_breaches: dict[str, dict] = {}
        risks = open_risks(organisation)
        if position == "current":
            if current_groups is None:
                current_groups = list(
                    with_appetite(risks, organisation=organisation)
                    .values(likelihood, impact, "horizon", "current_band", "appetite_rank")
                    .annotate(n=Count("id"))
                    .order_by()
                )
            counted = current_groups
        else:
            counted = other_groups
        for row in counted:
            pair = (row[likelihood], row[impact])
            totals[pair] = totals.get(pair, 0) + row["n"]
            if position == "current":
                in_breach_here = row["n"] if row["appetite_rank"] == 3 else 0
                if bands is not None:
                    bands[row["current_band"]] = bands.get(row["current_band"], 0) + row["n"]
                breaches[pair] = breaches.get(pair, 0) + in_breach_here
                cells = horizons.setdefault(row["horizon"], {})
                cells[pair] = cells.get(pair, 0) + row["n"]
                in_breach = horizon_breaches.setdefault(row["horizon"], {})
                in_breach[pair] = in_breach.get(pair, 0) + in_breach_here
        maps.append(heat_map(scheme, totals, position=position, breaches=breaches))
        if position == "current" and any(horizons):
            labels = dict(Horizon.choices)
            for horizon in (Horizon.SHORT, Horizon.LONG, Horizon.NONE):
                if horizon in horizons:
                    by_horizon.append(
                        heat_map(
                            scheme,
                            horizons[horizon],
                            breaches=horizon_breaches.get(horizon),
                            position="current",
                            horizon=horizon or HORIZON_NONE,
                            title=f"Current position, {labels[horizon].lower()} risks"
                            if horizon
                            else "Current position, risks with no horizon",
                        )
                    )
    return maps, by_horizon


@dataclass(frozen=True)
class BandCount:
    name: str
    colour: str | None
    count: int


def band_counts(
    *, organisation: Organisation, scheme: SchemeDefinition, counts: dict | None = None
) -> list[BandCount]:
    """Open risks per band of the current rating, highest band first; bands of other schemes
    follow, then the risks not rated. ``counts`` (band name: risks), when already counted by
    ``organisation_heat_maps``, saves the query."""
    if counts is None:
        counts = dict(
            open_risks(organisation)
            .values_list("current_band")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("current_band", "n")
        )
    counts = dict(counts)
    result = [
        BandCount(band.name, band.colour, counts.pop(band.name, 0))
        for band in reversed(scheme.bands)
    ]
    not_rated = counts.pop("", 0)
    result += [BandCount(name, None, n) for name, n in sorted(counts.items())]
    if not_rated:
        result.append(BandCount("", None, not_rated))
    return result


# --- the dashboard -----------------------------------------------------------------------------
