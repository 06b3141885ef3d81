"""Reads for pages, exports and packs: ordered querysets with what they show already joined, and
presenters that rate each risk through the scoring engine without further queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Length, Lower, NullIf
from django.utils import timezone

from appetite.models import AppetiteStatement
from appetite.rules import AppetiteState
from appetite.selectors import AppetiteLookup, appetite_lookup
from scoring.definition import Level, SchemeDefinition
from scoring.engine import Rating, grid, rate
from scoring.selectors import schemes_for_organisation

from .models import (
    Action,
    ActionStatus,
    Category,
    Horizon,
    Organisation,
    Register,
    Risk,
    RiskStatus,
    User,
)

CLOSED_LAST = Case(
    When(status=RiskStatus.CLOSED, then=Value(1)), default=Value(0), output_field=IntegerField()
)


@dataclass(frozen=True)
class RiskRow:
    risk: Risk
    current: Rating | None
    target: Rating | None
    inherent: Rating | None
    appetite: AppetiteState


def _rating(risk: Risk, position: str) -> Rating | None:
    likelihood = getattr(risk, f"{position}_likelihood")
    if likelihood is None or risk.scheme_version is None:
        return None
    return rate(risk.scheme_version.parsed, likelihood, getattr(risk, f"{position}_impact"))


def risk_row(risk: Risk, lookup: AppetiteLookup) -> RiskRow:
    return RiskRow(
        risk=risk,
        current=_rating(risk, "current"),
        target=_rating(risk, "target"),
        inherent=_rating(risk, "inherent"),
        appetite=lookup.state(category_id=risk.category_id, score=risk.current_score)
        if risk.status != RiskStatus.CLOSED
        else AppetiteState.NOT_SET,
    )


def risk_rows(risks, *, organisation: Organisation) -> list[RiskRow]:
    lookup = appetite_lookup(organisation=organisation)
    return [risk_row(risk, lookup) for risk in risks]


def register_risks(*, register: Register) -> QuerySet[Risk]:
    return (
        Risk.objects.filter(register=register)
        .select_related("owner", "category", "scheme_version")
        # Closed last, highest current score first, then refs in natural order (2 before 10).
        .order_by(CLOSED_LAST, F("current_score").desc(nulls_last=True), Length("ref"), "ref")
    )


def registers_with_counts(*, organisation: Organisation) -> QuerySet[Register]:
    return (
        Register.objects.filter(organisation=organisation)
        .select_related("parent")
        .annotate(
            open_risks=Count("risks", filter=~Q(risks__status=RiskStatus.CLOSED)),
            closed_risks=Count("risks", filter=Q(risks__status=RiskStatus.CLOSED)),
        )
        .order_by("parent_id", "name")
    )


def register_tree(registers) -> list[tuple[Register, int]]:
    """Registers in hierarchy order with their depth (corporate first, children indented)."""
    by_parent: dict[int | None, list[Register]] = {}
    for register in registers:
        by_parent.setdefault(register.parent_id, []).append(register)
    ordered: list[tuple[Register, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for register in sorted(by_parent.get(parent_id, []), key=lambda r: r.name):
            ordered.append((register, depth))
            walk(register.id, depth + 1)

    walk(None, 0)
    return ordered


# --- appetite in the database ------------------------------------------------------------------

OPEN_STATUSES = (RiskStatus.OPEN, RiskStatus.ESCALATED)
APPETITE_RANKS = {
    0: AppetiteState.NOT_SET,
    1: AppetiteState.WITHIN,
    2: AppetiteState.WARNING,
    3: AppetiteState.BREACH,
}
_RANK_OF = {state: rank for rank, state in APPETITE_RANKS.items()}


def with_appetite(risks: QuerySet[Risk], *, organisation: Organisation) -> QuerySet[Risk]:
    """Annotate ``appetite_tolerance``, ``appetite_warning`` and ``appetite_rank`` (0 no threshold,
    1 within, 2 at warning, 3 breach: the same rule as appetite.rules, so lists can filter and sort
    by appetite in the database).

    The thresholds are CASE expressions over the category, built from the organisation's few
    statements (one small query): a category's statement, else the organisation's default. That is
    what a per-row Subquery on AppetiteStatement would give, without running correlated subqueries
    on every row of a 10,000-risk register (the rank refers to each threshold more than once).
    """
    statements = list(
        AppetiteStatement.objects.filter(organisation=organisation).values_list(
            "category_id", "tolerance", "warning"
        )
    )
    default = next((s for s in statements if s[0] is None), (None, None, None))

    def threshold(index: int):
        fallback = Value(default[index], output_field=IntegerField())
        whens = [
            When(
                category_id=statement[0], then=Value(statement[index], output_field=IntegerField())
            )
            for statement in statements
            if statement[0] is not None
        ]
        return Case(*whens, default=fallback, output_field=IntegerField()) if whens else fallback

    return risks.annotate(appetite_tolerance=threshold(1), appetite_warning=threshold(2)).annotate(
        appetite_rank=Case(
            When(status=RiskStatus.CLOSED, then=Value(0)),
            When(Q(current_score__isnull=True) | Q(appetite_tolerance__isnull=True), then=Value(0)),
            When(current_score__gt=F("appetite_tolerance"), then=Value(3)),
            When(
                appetite_warning__isnull=False,
                current_score__gt=F("appetite_warning"),
                then=Value(2),
            ),
            default=Value(1),
            output_field=IntegerField(),
        )
    )


def annotated_rows(risks) -> list[RiskRow]:
    """Rows for risks annotated by ``with_appetite``: no appetite query of their own."""
    return [
        RiskRow(
            risk=risk,
            current=_rating(risk, "current"),
            target=_rating(risk, "target"),
            inherent=_rating(risk, "inherent"),
            appetite=APPETITE_RANKS[risk.appetite_rank],
        )
        for risk in risks
    ]


# --- the register page: filter, search, sort ---------------------------------------------------

POSITION_LABELS = {"current": "Current", "inherent": "Inherent (initial)", "target": "Target"}


class ReviewFilter(StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due30"


class AppetiteFilter(StrEnum):
    OUTSIDE = "outside"  # breach or at warning
    BREACH = "breach"
    WARNING = "warning"
    WITHIN = "within"
    NOT_SET = "not_set"


STATUS_ALL = "all"
HORIZON_NONE = "none"
DUE_SOON_DAYS = 30

_STATUS_RANK = Case(
    When(status=RiskStatus.OPEN, then=Value(0)),
    When(status=RiskStatus.ESCALATED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
_OWNER_NAME = Coalesce(
    NullIf(Lower("owner__full_name"), Value("")),
    NullIf(Lower("owner__job_title"), Value("")),
    Lower("owner__email"),
)
# Column -> the expressions it sorts by; the natural ref order breaks ties.
SORTS: dict[str, tuple] = {
    "ref": (Length("ref"), F("ref")),
    "title": (Lower("title"),),
    "owner": (_OWNER_NAME,),
    "register": (Lower("register__name"),),
    "current": (F("current_score"), F("current_likelihood")),
    "target": (F("target_score"), F("target_likelihood")),
    "appetite": (F("appetite_rank"),),
    "next_review": (F("next_review_due"),),
    "status": (_STATUS_RANK,),
}
# The first click on these columns shows the worst first.
DESCENDING_FIRST = frozenset({"current", "target", "appetite"})


@dataclass(frozen=True)
class RiskFilter:
    """What a register list is narrowed to; every field optional (the form builds it from the URL)."""

    q: str = ""
    category: int | None = None
    owner: int | None = None
    band: str = ""
    appetite: str = ""
    review: str = ""
    status: str = ""  # "" = open and escalated; "all"; or one status
    level: str = ""
    horizon: str = ""
    position: str = "current"
    likelihood: int | None = None
    impact: int | None = None


def risk_list(
    *,
    organisation: Organisation,
    register_ids,
    risk_filter: RiskFilter = RiskFilter(),  # noqa: B008  frozen, so sharing the default is safe
    sort: str = "",
    today: dt.date,
) -> QuerySet[Risk]:
    """The risks of some registers of one organisation, filtered and sorted in the database,
    with appetite annotated and what a row shows already joined."""
    risks = with_appetite(
        Risk.objects.filter(organisation=organisation, register_id__in=register_ids),
        organisation=organisation,
    ).select_related("owner", "category", "scheme_version", "register")
    f = risk_filter
    if f.status == STATUS_ALL:
        pass
    elif f.status in RiskStatus.values:
        risks = risks.filter(status=f.status)
    else:
        risks = risks.filter(status__in=OPEN_STATUSES)
    if f.q:
        risks = risks.filter(
            Q(ref__icontains=f.q) | Q(title__icontains=f.q) | Q(description__icontains=f.q)
        )
    if f.category is not None:
        risks = risks.filter(category_id=f.category)
    if f.owner is not None:
        risks = risks.filter(owner_id=f.owner)
    if f.band:
        risks = risks.filter(current_band=f.band)
    if f.appetite == AppetiteFilter.OUTSIDE:
        risks = risks.filter(appetite_rank__gte=_RANK_OF[AppetiteState.WARNING])
    elif f.appetite in set(AppetiteFilter):
        risks = risks.filter(appetite_rank=_RANK_OF[AppetiteState(f.appetite)])
    if f.review == ReviewFilter.OVERDUE:
        risks = risks.filter(next_review_due__lt=today).exclude(status=RiskStatus.CLOSED)
    elif f.review == ReviewFilter.DUE_SOON:
        risks = risks.filter(
            next_review_due__gte=today,
            next_review_due__lte=today + dt.timedelta(days=DUE_SOON_DAYS),
        ).exclude(status=RiskStatus.CLOSED)
    if f.level:
        risks = risks.filter(register__level=f.level)
    if f.horizon == HORIZON_NONE:
        risks = risks.filter(horizon="")
    elif f.horizon:
        risks = risks.filter(horizon=f.horizon)
    if f.position in POSITION_LABELS:
        if f.likelihood is not None:
            risks = risks.filter(**{f"{f.position}_likelihood": f.likelihood})
        if f.impact is not None:
            risks = risks.filter(**{f"{f.position}_impact": f.impact})
    return risks.order_by(*sort_order(sort))


def sort_order(sort: str) -> list:
    column = sort.removeprefix("-")
    if column not in SORTS:
        # The register as it is read: closed last, highest current score first, natural refs.
        return [CLOSED_LAST, F("current_score").desc(nulls_last=True), Length("ref"), "ref", "pk"]
    descending = sort.startswith("-")
    keys = [
        (expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True))
        for expression in SORTS[column]
    ]
    if column != "ref":
        keys += [Length("ref"), "ref"]
    return [*keys, "pk"]


def descendant_ids(registers, register_id: int) -> list[int]:
    """The register and every register below it, from one list of the organisation's registers."""
    children: dict[int | None, list[int]] = {}
    for register in registers:
        children.setdefault(register.parent_id, []).append(register.id)
    found, stack = [], [register_id]
    while stack:
        current = stack.pop()
        if current in found:  # a cycle should not exist; never loop on one
            continue
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def top_register(registers) -> Register | None:
    """The register the organisation-wide views roll up from: ``corporate``, else the first root."""
    roots = [register for register in registers if register.parent_id is None]
    return next((r for r in roots if r.slug == "corporate"), roots[0] if roots else None)


def categories(*, organisation: Organisation) -> QuerySet[Category]:
    return Category.objects.filter(organisation=organisation).order_by("position", "name")


def risk_owners(*, organisation: Organisation) -> QuerySet:
    """People who own at least one risk of the organisation (the register's owner filter)."""
    return (
        User.objects.filter(owned_risks__organisation=organisation)
        .distinct()
        .order_by("full_name", "email")
    )


def uses_horizons(*, organisation: Organisation) -> bool:
    """Whether any risk has a horizon (the Met's short- and long-term risks)."""
    return Risk.objects.filter(organisation=organisation).exclude(horizon="").exists()


def band_names(*, organisation: Organisation) -> list[tuple[str, str]]:
    """(name, colour) of every band of the organisation's schemes, highest first, each once."""
    seen: dict[str, str] = {}
    for scheme in schemes_for_organisation(organisation=organisation).order_by("-is_default"):
        if scheme.current_version is None:
            continue
        for band in reversed(scheme.current_version.parsed.bands):
            seen.setdefault(band.name, band.colour)
    return list(seen.items())


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
) -> HeatMap:
    """Pure: place counts keyed by (likelihood value, impact value) on the scheme's grid."""
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


def _open_risks(organisation: Organisation) -> QuerySet[Risk]:
    return Risk.objects.filter(organisation=organisation, status__in=OPEN_STATUSES)


def organisation_heat_maps(
    *, organisation: Organisation, scheme: SchemeDefinition
) -> tuple[list[HeatMap], list[HeatMap]]:
    """Heat maps of the open risks of every register: (current, inherent, target), and the
    current position per horizon where the organisation uses horizons (the Met). One aggregate
    query per position."""
    maps, by_horizon = [], []
    for position in POSITION_LABELS:
        likelihood, impact = f"{position}_likelihood", f"{position}_impact"
        fields = [likelihood, impact] + (["horizon"] if position == "current" else [])
        totals: dict = {}
        horizons: dict[str, dict] = {}
        for row in _open_risks(organisation).values(*fields).annotate(n=Count("id")).order_by():
            pair = (row[likelihood], row[impact])
            totals[pair] = totals.get(pair, 0) + row["n"]
            if position == "current":
                cells = horizons.setdefault(row["horizon"], {})
                cells[pair] = cells.get(pair, 0) + row["n"]
        maps.append(heat_map(scheme, totals, position=position))
        if position == "current" and any(horizons):
            labels = dict(Horizon.choices)
            for horizon in (Horizon.SHORT, Horizon.LONG, Horizon.NONE):
                if horizon in horizons:
                    by_horizon.append(
                        heat_map(
                            scheme,
                            horizons[horizon],
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


def band_counts(*, organisation: Organisation, scheme: SchemeDefinition) -> list[BandCount]:
    """Open risks per band of the current rating, highest band first; bands of other schemes
    follow, then the risks not rated."""
    counts = dict(
        _open_risks(organisation)
        .values_list("current_band")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("current_band", "n")
    )
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

LIST_LIMIT = 10


def risk_summary(*, organisation: Organisation, user, today: dt.date) -> dict[str, int]:
    """Counts of the organisation's open risks for the dashboard's key figures, in one query."""
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    return with_appetite(_open_risks(organisation), organisation=organisation).aggregate(
        open=Count("id"),
        breach=Count("id", filter=Q(appetite_rank=3)),
        warning=Count("id", filter=Q(appetite_rank=2)),
        overdue=Count("id", filter=Q(next_review_due__lt=today)),
        due_soon=Count("id", filter=Q(next_review_due__gte=today, next_review_due__lte=soon)),
        mine=Count("id", filter=_mine(user)),
        no_threshold=Count("id", filter=Q(appetite_rank=0, current_score__isnull=False)),
    )


def outside_appetite(*, organisation: Organisation) -> QuerySet[Risk]:
    """Open risks in breach of appetite or at warning: breaches first, then highest score."""
    return (
        with_appetite(_open_risks(organisation), organisation=organisation)
        .filter(appetite_rank__gte=2)
        .select_related("register", "owner", "scheme_version")
        .order_by("-appetite_rank", F("current_score").desc(), Length("ref"), "ref")
    )


def reviews_overdue(*, organisation: Organisation, today: dt.date) -> QuerySet[Risk]:
    return (
        with_appetite(_open_risks(organisation), organisation=organisation)
        .filter(next_review_due__lt=today)
        .select_related("register", "owner", "scheme_version")
        .order_by("next_review_due", Length("ref"), "ref")
    )


def reviews_due_soon(*, organisation: Organisation, today: dt.date) -> QuerySet[Risk]:
    return (
        with_appetite(_open_risks(organisation), organisation=organisation)
        .filter(
            next_review_due__gte=today,
            next_review_due__lte=today + dt.timedelta(days=DUE_SOON_DAYS),
        )
        .select_related("register", "owner", "scheme_version")
        .order_by("next_review_due", Length("ref"), "ref")
    )


DONE_ACTIONS = (ActionStatus.COMPLETED, ActionStatus.CANCELLED)


def _open_actions(organisation: Organisation) -> QuerySet[Action]:
    return (
        Action.objects.filter(organisation=organisation)
        .exclude(status__in=DONE_ACTIONS)
        .select_related("risk", "owner")
    )


def action_summary(*, organisation: Organisation, user, today: dt.date) -> dict[str, int]:
    return (
        Action.objects.filter(organisation=organisation)
        .exclude(status__in=DONE_ACTIONS)
        .aggregate(
            overdue=Count("id", filter=Q(due_date__lt=today)),
            mine=Count("id", filter=Q(owner=user)),
            mine_overdue=Count("id", filter=Q(owner=user, due_date__lt=today)),
        )
    )


def actions_overdue(*, organisation: Organisation, today: dt.date) -> QuerySet[Action]:
    """Actions past their due date and neither completed nor cancelled, oldest first."""
    return (
        _open_actions(organisation)
        .filter(due_date__lt=today)
        .order_by("due_date", Length("risk__ref"), "risk__ref", "id")
    )


# --- my work -----------------------------------------------------------------------------------


def _mine(user) -> Q:
    led = Risk.leads.through.objects.filter(user_id=user.id).values("risk_id")
    return Q(owner_id=user.id) | Q(manager_id=user.id) | Q(pk__in=led)


def my_risks(*, organisation: Organisation, user) -> QuerySet[Risk]:
    """Open risks the user owns, manages or leads on; the earliest review (overdue) first.
    ``my_part`` says how they are involved."""
    return (
        with_appetite(_open_risks(organisation), organisation=organisation)
        .filter(_mine(user))
        .annotate(
            my_part=Case(
                When(owner_id=user.id, then=Value("Owner")),
                When(manager_id=user.id, then=Value("Manager")),
                default=Value("Working lead"),
                output_field=CharField(),
            )
        )
        .select_related("register", "scheme_version")
        .order_by(F("next_review_due").asc(nulls_last=True), Length("ref"), "ref")
    )


def my_actions(*, organisation: Organisation, user) -> QuerySet[Action]:
    """The user's actions not yet completed or cancelled; the earliest due (overdue) first."""
    return (
        _open_actions(organisation)
        .filter(owner_id=user.id)
        .order_by(F("due_date").asc(nulls_last=True), Length("risk__ref"), "risk__ref", "id")
    )


def organisation_today(organisation: Organisation) -> dt.date:
    """Today where the organisation is: review and due dates are read in its timezone."""
    try:
        zone = ZoneInfo(organisation.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    return timezone.localdate(timezone=zone)
