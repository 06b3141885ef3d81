"""The register page's list: filters, search, sort and roll-up, all in the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import (
    Case,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Length, Lower, NullIf

from appetite.rules import AppetiteState
from scoring.selectors import schemes_for_organisation

from ..models import (
    Category,
    Organisation,
    Register,
    Risk,
    RiskStatus,
    User,
)
from .rows import _RANK_OF, CLOSED_LAST, OPEN_STATUSES, with_appetite

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
