"""The dashboard in two parts: what every reader of the organisation sees alike on a day (the
``Overview``: figures, heat maps, bands, exposure, the lists of risks and actions), kept between
the organisation's writes by ``registers.caching``, and the reader's own (``MyPart``: their
risks and actions to chase, a few queries).

The overview holds every risk's and action's detail as stored: what a reader may not read of it
(OFFICIAL-SENSITIVE) is withheld from their copy when the page is put together, never in the
cached piece, so that one reader's withholding cannot reach another. Everything else in it is
the organisation's alike for every member (every member reads every register: decision 8); its
cache key still names the reader's role and clearance (``audience``), so a piece that came to
depend on them could not be served across them.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from scoring.selectors import default_scheme

from .. import caching
from ..models import Organisation, Register
from ..withholding import withhold_actions, withhold_indicators
from .acceptance import accepted_breach_count
from .dashboard import (
    LIST_LIMIT,
    OutsideRow,
    actions_overdue,
    first_with_counts,
    my_actions,
    my_risks,
    outside_appetite_rows,
    reviews_due_soon,
    reviews_overdue,
    risk_summary,
)
from .exposure import exposure_by_quarter
from .first_run import FirstRunChecklist, first_run_checklist
from .heatmaps import (
    BandCount,
    HeatMap,
    band_counts,
    current_position_groups,
    organisation_heat_maps,
)
from .indicator_lists import FlaggedIndicators, open_risk_indicators, red_or_stale
from .register_list import top_registers
from .rows import (
    RiskRow,
    annotated_rows,
    appetite_statements,
    register_tree,
    registers_with_counts,
)

MY_LIST = 5


@dataclass
class Overview:
    """What the dashboard shows every reader of the organisation alike on ``today``."""

    today: dt.date
    registers: list[Register]
    tree: list[tuple[Register, int]]
    tops: list[Register]
    scheme: object  # scoring.models.Scheme with its current version, or None
    statements: tuple  # the appetite statements, for the reader's own lists
    heat_maps: list[HeatMap]
    horizon_maps: list[HeatMap]
    bands: list[BandCount]
    figures: dict[str, int]  # risk_summary's, with "outside" and "accepted"
    actions_overdue_total: int
    outside: list[OutsideRow]
    overdue: list[RiskRow]
    due_soon: list[RiskRow]
    actions_overdue: list  # Actions with their risk and owner, detail not withheld
    indicators: FlaggedIndicators  # detail not withheld
    exposure: dict = field(default_factory=dict)  # {"charts", "note"} (risk_charts' tag)
    first_run: FirstRunChecklist | None = None  # admins only: the unfinished checklist
    # Names this build: what is drawn from it is kept under it (``dashboard_fragments``), so
    # HTML drawn from one overview is never served beside another, whatever token the
    # organisation holds by the time it is drawn.
    built: str = field(default_factory=lambda: secrets.token_hex(8))


def audience(access) -> str:
    """What of a reader the overview's key names: their role and whether they are cleared."""
    return f"{access.role}-{'cleared' if access.is_cleared else 'uncleared'}"


def vary(access, today: dt.date) -> str:
    """What besides the organisation's generation the overview (and what is drawn from it
    alone) depends on: the day and the reader's audience."""
    return f"{today.isoformat()}:{audience(access)}"


def overview(*, access, today: dt.date) -> Overview:
    """The organisation's overview for this reader's audience: from the cache, or counted
    (about a dozen queries, whatever the number of risks)."""
    organisation = access.organisation
    return caching.cached(
        organisation.id,
        "dashboard",
        vary(access, today),
        lambda: build_overview(
            organisation=organisation, today=today, with_first_run=access.is_admin
        ),
    )


def build_overview(
    *, organisation: Organisation, today: dt.date, with_first_run: bool = False
) -> Overview:
    from ..charting import NO_THRESHOLDS, exposure_charts

    registers = list(registers_with_counts(organisation=organisation))
    scheme = default_scheme(organisation=organisation)
    definition = scheme.current_version.parsed if scheme and scheme.current_version else None
    statements = appetite_statements(organisation=organisation)

    # One read of the open risks for the current heat maps, band counts and key figures.
    groups = current_position_groups(organisation=organisation, today=today, statements=statements)
    heat_maps, horizon_maps, bands = [], [], []
    if definition is not None:
        band_totals: dict[str, int] = {}
        heat_maps, horizon_maps = organisation_heat_maps(
            organisation=organisation, scheme=definition, bands=band_totals, current_groups=groups
        )
        bands = band_counts(organisation=organisation, scheme=definition, counts=band_totals)
    figures = risk_summary(organisation=organisation, user=None, today=today, groups=groups)
    del figures["mine"]  # the reader's own (``MyPart``), not everyone's
    figures["outside"] = figures["breach"] + figures["warning"]
    # Breaches someone accepted until a date (issue 17): still breaches, counted apart.
    figures["accepted"] = figures["breach"] and accepted_breach_count(
        organisation=organisation, today=today, statements=statements
    )
    overdue_actions, counted = first_with_counts(
        actions_overdue(organisation=organisation, today=today), LIST_LIMIT, total=Count("pk")
    )
    exposure = exposure_by_quarter(organisation=organisation, moment=timezone.now())
    first_run = None
    # An organisation holding risks is past its first run (``FirstRunChecklist.in_use``).
    if with_first_run and not figures["open"]:
        checklist = first_run_checklist(organisation=organisation)
        first_run = None if checklist.complete or checklist.in_use else checklist
    overview = Overview(
        today=today,
        registers=registers,
        tree=register_tree(registers),
        tops=top_registers(registers),
        scheme=scheme,
        statements=statements,
        heat_maps=heat_maps,
        horizon_maps=horizon_maps,
        bands=bands,
        figures=figures,
        actions_overdue_total=counted["total"],
        outside=outside_appetite_rows(
            organisation=organisation, today=today, limit=LIST_LIMIT, statements=statements
        ),
        overdue=annotated_rows(
            reviews_overdue(organisation=organisation, today=today, statements=statements)[
                :LIST_LIMIT
            ]
        ),
        due_soon=annotated_rows(
            reviews_due_soon(organisation=organisation, today=today, statements=statements)[
                :LIST_LIMIT
            ]
        ),
        actions_overdue=overdue_actions,
        indicators=red_or_stale(
            open_risk_indicators(organisation=organisation).filter(
                risk__register__archived_at__isnull=True
            ),
            organisation=organisation,
            today=today,
            limit=LIST_LIMIT,
        ),
        exposure={
            "charts": exposure_charts(exposure, scheme=definition),
            "note": "" if exposure.any_threshold else NO_THRESHOLDS,
        },
        first_run=first_run,
    )
    _share_scheme_versions(overview)
    return overview


def _share_scheme_versions(overview: Overview) -> None:
    """One scheme version object for every row rated under it, so that the kept piece holds
    each version's definition once (pickle keeps a shared object once), not once per row."""
    versions: dict = {}
    for row in (*overview.outside, *overview.overdue, *overview.due_soon):
        version = row.risk.scheme_version
        if version is not None:
            row.risk.scheme_version = versions.setdefault(version.pk, version)


@dataclass
class MyPart:
    """The reader's own part of the dashboard: their first risks and actions to chase, with
    how many there are in all."""

    risks: list[RiskRow]
    risk_total: int
    actions: list
    to_chase: int
    to_chase_overdue: int
    own_actions: int  # of those to chase, the ones the reader owns


def my_part(*, access, today: dt.date, statements) -> MyPart:
    """Two queries: the reader's open risks and their actions to chase, each list with its
    counts (window aggregates), their detail withheld as the reader must see it."""
    organisation, user = access.organisation, access.user
    risks, risk_counts = first_with_counts(
        my_risks(organisation=organisation, user=user, statements=statements),
        MY_LIST,
        total=Count("pk"),
    )
    actions, action_counts = first_with_counts(
        my_actions(organisation=organisation, user=user),
        MY_LIST,
        total=Count("pk"),
        overdue=Count("pk", filter=Q(due_date__lt=today)),
        own=Count("pk", filter=Q(owner_id=user.id)),
    )
    return MyPart(
        risks=annotated_rows(risks),
        risk_total=risk_counts["total"],
        actions=withhold_actions(actions, access=access),
        to_chase=action_counts["total"],
        to_chase_overdue=action_counts["overdue"],
        own_actions=action_counts["own"],
    )


def shown_to(overview: Overview, *, access) -> tuple[list, FlaggedIndicators]:
    """The overview's actions and indicators as this reader may read them (a copy: the cached
    piece is never changed)."""
    actions = withhold_actions(map(copy.copy, overview.actions_overdue), access=access)
    indicators = FlaggedIndicators(
        indicators=withhold_indicators(
            map(copy.copy, overview.indicators.indicators), access=access
        ),
        total=overview.indicators.total,
    )
    return actions, indicators
