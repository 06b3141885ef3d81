"""The register page's list: filters, search, sort and roll-up, all in the database, and the
register as it stood at a past moment, read from history. Its trends are in ``trends``; the
dates it reads (today, "due soon", quarter ends) come from ``registers.calendar``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    Lookup,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Collate, Length, Lower, Upper
from django.db.models.lookups import Contains, PatternLookup
from django.utils import timezone

from appetite.models import AppetiteStatement
from appetite.rules import AppetiteState
from scoring.models import SchemeVersion
from scoring.selectors import schemes_for_organisation

from ..calendar import last_report_date
from ..models import (
    Category,
    Organisation,
    Register,
    Risk,
    RiskStatus,
    User,
)
from ..prepared import prepared_list
from .acceptance import with_acceptance, with_acceptance_as_of
from .changes import changed_risk_ids
from .review_standing import awaiting, review_due_soon, review_overdue, with_review_standing
from .rows import (
    _RANK_OF,
    CLOSED_LAST,
    OPEN_STATUSES,
    appetite_annotations,
    in_order,
    with_appetite,
)

POSITION_LABELS = {"current": "Current", "inherent": "Inherent (initial)", "target": "Target"}


class ReviewFilter(StrEnum):
    """Where the review stands (``review_standing``: an update awaiting sign-off is neither
    overdue nor due soon, decision 123)."""

    OVERDUE = "overdue"
    DUE_SOON = "due30"
    AWAITING_SIGN_OFF = "awaiting"


class ChangedFilter(StrEnum):
    LAST_REPORT = "last_report"  # changed since the organisation's last report date


class AppetiteFilter(StrEnum):
    OUTSIDE = "outside"  # breach or at warning
    BREACH = "breach"
    WARNING = "warning"
    WITHIN = "within"
    NOT_SET = "not_set"


STATUS_ALL = "all"
HORIZON_NONE = "none"
EMERGING_YES, EMERGING_NO = "yes", "no"

_STATUS_RANK = Case(
    When(status=RiskStatus.OPEN, then=Value(0)),
    When(status=RiskStatus.ESCALATED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
# The owner sort reads the owner through ``listed_owner`` (``_with_listed_owner``), by the name
# the register shows first, lowered: ``User.sort_name``, which the database keeps for each person
# (lowering it in the sort cost a quarter of the sort's query at 10,000 risks, issue 20).
_OWNER_NAME = F("listed_owner__sort_name")
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
    emerging: str = ""  # "" any, "yes" emerging only, "no" not emerging
    position: str = "current"
    likelihood: int | None = None
    impact: int | None = None
    changed: str = ""  # ChangedFilter: changed since the last report (``changes``)


def risk_list(
    *,
    organisation: Organisation,
    register_ids,
    risk_filter: RiskFilter = RiskFilter(),  # noqa: B008  frozen, so sharing the default is safe
    sort: str = "",
    today: dt.date,
    as_of: dt.datetime | None = None,
    escalated_in: bool = False,
    search_sensitive_for=None,
    joined: bool = True,
    statements=None,
    search_pattern: str | None = None,
) -> QuerySet[Risk]:
    """The risks of some registers of one organisation, filtered and sorted in the database,
    with appetite annotated and what a row shows already joined (unless not ``joined``: the
    register page gives a page's rows their register, category and owner from what it has
    read already, ``with_related``).

    With ``as_of`` (an aware moment) the rows are historical records: each risk as it stood then,
    on the registers it was on then, with the appetite statements of then (pass ``today`` as the
    day of ``as_of`` so "overdue" means overdue then). With ``escalated_in`` only risks that were
    escalated into their register are listed (their origin is a register below it, not above).
    ``statements``: the organisation's appetite statements (``appetite_statements``), when read
    already (``organisation`` may then be its id: nothing else of it is read).
    ``search_pattern``: the search's ``LIKE`` pattern (``like_pattern(risk_filter.q)``, for
    words in ASCII on PostgreSQL), made already: ``prepared_risks`` places it as a value."""
    if as_of is None:
        risks = with_appetite(
            Risk.objects.filter(organisation=organisation, register_id__in=register_ids),
            organisation=organisation,
            statements=statements,
        )
        # "Accepted until ..." beside a breach someone accepted (issue 17).
        risks = with_acceptance(risks, today=today)
    else:
        risks = with_appetite_as_of(
            risks_as_of(organisation=organisation, moment=as_of).filter(
                register_id__in=register_ids
            ),
            organisation=organisation,
            moment=as_of,
        )
        risks = with_acceptance_as_of(risks, moment=as_of, day=today)
    # "Update awaiting sign-off" beside the rating shown (issue 17): a subquery, no query more.
    risks = with_review_standing(risks, as_of)
    # The scheme version (its JSON definition) is not joined and decoded again on each of the
    # page's 50 rows: ``risk_page`` gives the rows the versions the page has read already.
    if joined:
        risks = risks.select_related("owner", "category", "register", "origin_register")
    if escalated_in:
        risks = risks.filter(origin_register__isnull=False).exclude(
            origin_register_id=F("register__parent_id")
        )
    f = risk_filter
    if f.status == STATUS_ALL:
        pass
    elif f.status in RiskStatus.values:
        risks = risks.filter(status=f.status)
    else:
        risks = risks.filter(status__in=OPEN_STATUSES)
    if f.q or search_pattern is not None:
        # Descriptions of OFFICIAL-SENSITIVE risks are searched only for someone who may read
        # them, or a search would reveal what the page withholds. Judged by today's marking
        # (``id`` is the risk's on a historical record too): the register as it stood before
        # the marking holds the text written while the risk was OFFICIAL.
        withheld = () if search_sensitive_for is None else search_sensitive_for.withheld_risk_ids
        risks, found = search_condition(risks, f.q, withheld_ids=withheld, pattern=search_pattern)
        risks = risks.filter(found)
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
    # The rule of the counts that link here (``review_standing``), as at ``as_of`` when given.
    if f.review == ReviewFilter.OVERDUE:
        risks = risks.filter(review_overdue(today, as_of)).exclude(status=RiskStatus.CLOSED)
    elif f.review == ReviewFilter.DUE_SOON:
        risks = risks.filter(review_due_soon(today, as_of)).exclude(status=RiskStatus.CLOSED)
    elif f.review == ReviewFilter.AWAITING_SIGN_OFF:
        risks = risks.filter(awaiting(as_of)).exclude(status=RiskStatus.CLOSED)
    if f.level:
        risks = risks.filter(register__level=f.level)
    if f.horizon == HORIZON_NONE:
        risks = risks.filter(horizon="")
    elif f.horizon:
        risks = risks.filter(horizon=f.horizon)
    if f.emerging in (EMERGING_YES, EMERGING_NO):
        risks = risks.filter(emerging=f.emerging == EMERGING_YES)
    if f.position in POSITION_LABELS:
        if f.likelihood is not None:
            risks = risks.filter(**{f"{f.position}_likelihood": f.likelihood})
        if f.impact is not None:
            risks = risks.filter(**{f"{f.position}_impact": f.impact})
    if f.changed == ChangedFilter.LAST_REPORT:
        # Last, on the risks the other filters left: only those touched since are compared.
        until = as_of or timezone.now()
        since = last_report_date(organisation=organisation, moment=until)
        risks = risks.filter(id__in=changed_risk_ids(risks=risks, since=since, until=until))
    if sort.removeprefix("-") == "owner":
        risks = _with_listed_owner(risks, organisation=organisation, as_of=as_of)
    return risks.order_by(*sort_order(sort))


def _with_listed_owner(risks: QuerySet, *, organisation: Organisation, as_of) -> QuerySet:
    """``listed_owner``: the risk's owner, joined only among the people who own the
    organisation's risks (``pk_in``). A plain join on the owner let PostgreSQL hash a scan of
    every user of the installation to sort one organisation's risks by owner (issue 20: 2.5 ms
    at 8,500 users, growing with every organisation added); this one looks the organisation's
    few hundred owners up by key, whatever the size of the installation. The register as it
    stood (``as_of``) may name owners who own none of its risks today: a plain join there, as
    on other databases (the demo's SQLite: a FilteredRelation takes no subquery there)."""
    if as_of is not None or connection.vendor != "postgresql":
        return risks.annotate(listed_owner=FilteredRelation("owner"))
    owners = Risk.objects.filter(organisation=organisation, owner_id__isnull=False)
    ids = owners.order_by().values("owner_id").distinct()
    return risks.annotate(
        listed_owner=FilteredRelation("owner", condition=Q(pk_in(ids, field="owner__pk")))
    )


def search_condition(
    risks: QuerySet, words: str, *, withheld_ids=(), pattern: str | None = None
) -> tuple[QuerySet, Q]:
    """``risks`` and the condition "the ref, title or description contains ``words``", the
    description only of risks not in ``withheld_ids``. On PostgreSQL the trigram index
    ``risk_search_trgm`` (migration 0017) holds these very expressions, so the database reads
    only the risks whose text holds the words' trigrams (issue 20, decision 75). Words of fewer
    than three letters, or found in most risks, are read row by row as before (PostgreSQL's
    choice); words beyond ASCII compare with ``icontains`` and read every row, as before.
    ``pattern``: ``like_pattern(words)``, made already (``words`` is then not read)."""
    risks, contains = _searchable(risks, words, pattern=pattern)
    in_description = contains("description")
    if withheld_ids:
        in_description &= ~Q(id__in=withheld_ids)
    return risks, contains("ref") | contains("title") | in_description


def folds_as_ascii(words: str) -> bool:
    """Whether a search for ``words`` compares the text folded as ASCII (``_searchable``)."""
    return connection.vendor == "postgresql" and words.isascii()


def like_pattern(words: str) -> str:
    """The ``LIKE`` pattern ``contains`` makes of ``words`` folded as ASCII: upper case, its
    ``%``, ``_`` and backslashes escaped, between two ``%``."""
    return PatternLookup.param_pattern % connection.ops.prep_for_like_query(words.upper())


def _searchable(risks: QuerySet, words: str, *, pattern: str | None = None):
    """``risks`` and a function giving the condition "field contains ``words``, whatever the
    case" (``icontains``).

    On PostgreSQL, words in ASCII (nearly every search) are compared with the text's letters
    folded as ASCII (``UPPER(description COLLATE "C") LIKE '%FLOOD%'``): the database's own
    folding looked each character of 10,000 descriptions up in the locale's tables, two
    thirds of a search's time at 10,000 risks (issue 20). It finds the same risks: the words
    are ASCII, so a match is a run of the text's ASCII letters, folded alike either way (a
    Turkish dotless i or a long s, which the locale folds to I and S, is the one difference).
    Other words, and other databases, keep ``icontains``. The pattern is the query's
    parameter as it is (``_ContainsPattern``), so a prepared read can place it."""
    if pattern is None:
        if not folds_as_ascii(words):
            return risks, lambda field: Q(**{f"{field}__icontains": words})
        pattern = like_pattern(words)
    folded = {f"{field}_folded": Upper(Collate(field, "C")) for field in SEARCHED}
    return risks.alias(**folded), lambda field: Q(_ContainsPattern(F(f"{field}_folded"), pattern))


class _ContainsPattern(Contains):
    """``contains`` given its ``LIKE`` pattern made already (``like_pattern``): the same SQL,
    with the pattern the parameter as given, not made from the value while compiling (which
    would leave ``prepared_list`` no value to place)."""

    def process_rhs(self, compiler, connection):
        return super(PatternLookup, self).process_rhs(compiler, connection)


SEARCHED = ("ref", "title", "description")
MAX_PAGE = 10**9


# Pages whose reads are prepared (``PreparedRisks``): the offset is written into the SQL, so each
# page is a query of its own; pages past this read the plain way.
PREPARED_PAGES = 20
# A search by someone from whom more descriptions than this are withheld reads the plain way:
# each withheld id is a value, and each count of them a key.
PREPARED_WITHHELD = 100


@dataclass(frozen=True)
class PreparedRisks:
    """``risk_list``'s queryset for ``prepared_list`` (decision 85): ``build(**values)`` is that
    queryset, ``key`` names its shape (what ``build`` may branch on)."""

    key: str
    build: Callable[..., QuerySet]
    values: dict


@dataclass(frozen=True)
class _Withheld:
    """``risk_list``'s ``search_sensitive_for`` for a prepared read: the ids it is given."""

    withheld_risk_ids: tuple


def prepared_risks(
    *,
    organisation_id: int,
    register_ids: list[int],
    risk_filter: RiskFilter,
    sort: str,
    today: dt.date,
    escalated_in: bool,
    statements: tuple,
    search_sensitive_for=None,
) -> PreparedRisks | None:
    """The register page's ``risk_list(..., joined=False)`` as key and values, or None where it
    is read the plain way: "changed since the last report" (it reads the clock while building),
    a search for words beyond ASCII (``icontains`` makes its ``%...%`` pattern while compiling)
    or by someone from whom more than ``PREPARED_WITHHELD`` descriptions are withheld. The key
    holds what changes the SQL or what ``risk_list`` branches on: the sort, which filters are
    set (the enumerated ones and the status by value, the heat-map cell's likelihood and impact
    too: a few small numbers, out of the stand-ins' range), whether there is a search and how
    many descriptions it must not read, how many registers, and the appetite statements (their
    thresholds are in the SQL). A search's ``LIKE`` pattern (``like_pattern``) is a value, as
    is each withheld id (``search_sensitive_for``'s ``withheld_risk_ids``, read only for a
    search, as ``risk_list`` reads them)."""
    f = risk_filter
    if f.changed or (f.q and not folds_as_ascii(f.q)):
        return None
    withheld: list[int] = []
    if f.q and search_sensitive_for is not None:
        withheld = sorted(search_sensitive_for.withheld_risk_ids)
        if len(withheld) > PREPARED_WITHHELD:
            return None
    sort = sort if sort.removeprefix("-") in SORTS else ""
    # The status is part of the key: ``risk_list`` asks whether it is a status at all.
    status = f.status if f.status == STATUS_ALL or f.status in RiskStatus.values else ""
    position = f.position if f.position in POSITION_LABELS else ""
    searched = bool(f.q)
    shape = (
        sort,
        len(register_ids),
        escalated_in,
        status,
        f.appetite if f.appetite in set(AppetiteFilter) else "",
        f.review if f.review in set(ReviewFilter) else "",
        f.horizon == HORIZON_NONE,
        f.emerging if f.emerging in (EMERGING_YES, EMERGING_NO) else "",
        position,
        f.likelihood if position else None,
        f.impact if position else None,
        tuple(statements),
        connection.vendor,
        searched,
        len(withheld),
    )
    count, withheld_count = len(register_ids), len(withheld)
    fixed = RiskFilter(
        appetite=shape[4],
        review=shape[5],
        horizon=HORIZON_NONE if shape[6] else "",
        emerging=shape[7],
        position=position or "current",
        likelihood=shape[9],
        impact=shape[10],
        status=status,
    )

    def build(*, organisation_id, today, category, owner, band, level, horizon, **rest):
        changes = {"category": category, "owner": owner, "band": band or "", "level": level or ""}
        if horizon is not None:
            changes["horizon"] = horizon
        chosen = dataclasses.replace(fixed, **changes)
        return risk_list(
            organisation=organisation_id,
            register_ids=[rest[f"register_{index}"] for index in range(count)],
            risk_filter=chosen,
            sort=sort,
            today=today,
            escalated_in=escalated_in,
            joined=False,
            statements=statements,
            search_pattern=rest["pattern"] if searched else None,
            search_sensitive_for=_Withheld(
                tuple(rest[f"withheld_{index}"] for index in range(withheld_count))
            ),
        )

    values = {
        "organisation_id": organisation_id,
        "today": today,
        "category": f.category,
        "owner": f.owner,
        "band": f.band or None,
        "level": f.level or None,
        "horizon": f.horizon if f.horizon and f.horizon != HORIZON_NONE else None,
    }
    values |= {f"register_{index}": pk for index, pk in enumerate(register_ids)}
    if searched:
        values["pattern"] = like_pattern(f.q)
        values |= {f"withheld_{index}": pk for index, pk in enumerate(withheld)}
    return PreparedRisks(f"register_list:{shape!r}", build, values)


def risk_page(
    risks: QuerySet | None,
    *,
    number,
    per_page: int,
    scheme_versions: Mapping | None = None,
    prepared: PreparedRisks | None = None,
) -> tuple[Page, list]:
    """One page of a filtered and sorted risk list (current or historical), fetched ids first,
    with the total counted in the same scan, each risk with its scheme version: from
    ``scheme_versions`` (by id: the organisation's current ones, which the page has read for
    its bands), the others in one query more.

    Sorting 10,000 whole rows (with the owner, register, category and scheme version joined, the
    version's JSON definition included) only to keep 50 cost PostgreSQL most of the page's time;
    sorting the ids alone and then fetching the 50 rows is a third of that. The total comes with
    the ids (COUNT(*) OVER ()), so a search is not run twice, once to count and once to list.
    Returns the page (for its numbers and links, as Paginator.get_page: page 1 for a bad number,
    the last page past the end) and its risks in order: two queries, whatever the size of the
    list (three for a page past the end), and one for scheme versions not given.

    With ``prepared`` (``risks`` then None, built only if a page past the end needs a count)
    the ids of the first ``PREPARED_PAGES`` pages and the rows are read through
    ``prepared_list``: the same queries, compiled once per connection."""
    try:
        wanted = int(number)
    except (TypeError, ValueError):  # including a number too long to read (over 4,300 digits)
        wanted = 1
    # Past the end is the last page, as Paginator; a page past any list stops here, before its
    # offset overflows the database's bigint.
    wanted = min(wanted, MAX_PAGE)

    def plain() -> QuerySet:
        return risks if risks is not None else prepared.build(**prepared.values)

    def numbered(queryset: QuerySet) -> QuerySet:
        return queryset.annotate(list_total=Window(Count("pk"))).values_list("pk", "list_total")

    def ids_of(page_number: int) -> list[tuple]:
        start = (page_number - 1) * per_page
        if prepared is not None and page_number <= PREPARED_PAGES:
            build = prepared.build
            return prepared_list(
                f"{prepared.key}:ids:{start}:{per_page}",
                lambda **values: numbered(build(**values))[start : start + per_page],
                **prepared.values,
            )
        return list(numbered(plain())[start : start + per_page])

    rows = ids_of(wanted) if wanted >= 1 else []  # below 1: the last page, as Paginator
    if rows:
        total = rows[0][1]
    else:
        total = plain().count()
        last = max((total + per_page - 1) // per_page, 1)
        if total and not 1 <= wanted <= last:
            wanted, rows = last, ids_of(last)
    ids = [pk for pk, _ in rows]
    # Only its count is read (given): the ids stand for the list where it was not built.
    paginator = Paginator(risks if risks is not None else ids, per_page)
    paginator.count = total  # known: Paginator would count again
    if prepared is None or not ids:
        found = in_order(plain(), ids) if ids else []
    else:
        found = _prepared_rows(prepared, ids)
    shown = with_scheme_versions(found, known=scheme_versions or {})
    return Page(ids, wanted if total else 1, paginator), shown


def _prepared_rows(prepared: PreparedRisks, ids: list) -> list:
    """``in_order(prepared.build(...), ids)`` through ``prepared_list`` (a key per count)."""
    count, build = len(ids), prepared.build

    def build_rows(**values):
        page_ids = [values.pop(f"id_{index}") for index in range(count)]
        return build(**values).filter(pk__in=page_ids).order_by()

    rows = prepared_list(
        f"{prepared.key}:rows:{count}",
        build_rows,
        **prepared.values,
        **{f"id_{index}": pk for index, pk in enumerate(ids)},
    )
    fetched = {risk.pk: risk for risk in rows}
    return [fetched[pk] for pk in ids if pk in fetched]


def with_scheme_versions(risks: list, *, known: Mapping) -> list:
    """Give each risk (or historical record) its scheme version: from ``known`` (by id) where
    it is there, the rest in one query. A page's rows share one or two versions, whose JSON
    definitions would otherwise be fetched and decoded again."""
    found = dict(known)
    missing = {
        risk.scheme_version_id
        for risk in risks
        if risk.scheme_version_id is not None and risk.scheme_version_id not in found
    }
    if missing:
        found.update(SchemeVersion.objects.in_bulk(missing))
    for risk in risks:
        version = found.get(risk.scheme_version_id)
        if version is not None:
            risk.scheme_version = version
    return risks


def with_related(risks: list, *, registers: Mapping, categories: Mapping) -> list:
    """Give each risk (or historical record) of a page its register, the register it came from
    and its category from those the page has read already (by id), instead of joining them
    to every row: 50 rows with four joined rows each were a third of the rows' reading in
    Python (issue 20). One missing from the maps (written meanwhile) is read as Django reads a
    relation not joined: on first use."""
    for risk in risks:
        register = registers.get(risk.register_id)
        if register is not None:
            risk.register = register
        if risk.origin_register_id is not None:
            origin = registers.get(risk.origin_register_id)
            if origin is not None:
                risk.origin_register = origin
        if risk.category_id is not None:
            category = categories.get(risk.category_id)
            if category is not None:
                risk.category = category
    return risks


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


def descendant_ids(registers, register_id: int, *, in_use: bool = False) -> list[int]:
    """The register and every register below it, from one list of the organisation's registers;
    with ``in_use``, none below it that is archived (a rolled-up list leaves them out)."""
    children: dict[int | None, list[int]] = {}
    for register in registers:
        if not in_use or register.archived_at is None:
            children.setdefault(register.parent_id, []).append(register.id)
    found, stack = [], [register_id]
    while stack:
        current = stack.pop()
        if current in found:  # a cycle should not exist; never loop on one
            continue
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def top_registers(registers) -> list[Register]:
    """The organisation's top-level registers: every register with no parent, ``corporate``
    first, then in the order given. Packs cover them (unless others are chosen) and the
    organisation-wide views roll up from them: a board assurance framework (``baf``) beside an
    empty ``corporate`` register is as much the committee's as ``corporate`` is."""
    roots = [register for register in registers if register.parent_id is None]
    return sorted(roots, key=lambda register: register.slug != "corporate")


def top_register(registers) -> Register | None:
    """The first of ``top_registers``, for a link that can name only one register."""
    roots = top_registers(registers)
    return roots[0] if roots else None


def categories(*, organisation: Organisation) -> QuerySet[Category]:
    return Category.objects.filter(organisation=organisation).order_by("position", "name")


def risk_owners(*, organisation: Organisation) -> QuerySet:
    """People who own at least one risk of the organisation (the register's owner filter).

    A semi-join on the owners' ids rather than joining every risk to its owner's whole row and
    de-duplicating 10,000 of them with DISTINCT. Only what names them is read (``display_name``):
    a select of 200 owners built 200 whole users."""
    owners = Risk.objects.filter(organisation=organisation, owner_id__isnull=False)
    ids = owners.order_by().values("owner_id").distinct()
    return (
        User.objects.filter(pk_in(ids))
        .only("id", "full_name", "job_title", "email")
        .order_by("full_name", "email")
    )


@dataclass(frozen=True)
class OwnerName:
    """A risk owner as the register names them (the owner filter's choices, the rows' owners)."""

    id: int
    display_name: str


def owner_names(*, organisation: Organisation) -> list[OwnerName]:
    """``risk_owners`` as (id, name the register shows), in the same order, read as values:
    building 200 users to name them was most of the filter's reading (issue 20). The name is
    ``User.display_name``'s, from the three fields it reads. Compiled once per connection
    (``prepared_list``)."""
    name = User.display_name.fget
    return [
        OwnerName(pk, name(_Named(full_name, job_title, email)))
        for pk, full_name, job_title, email in prepared_list(
            "register_list:owner_names", _owner_values, organisation_id=organisation.id
        )
    ]


def _owner_values(*, organisation_id: int) -> QuerySet:
    return risk_owners(organisation=organisation_id).values_list(
        "id", "full_name", "job_title", "email"
    )


def with_owners_gone(risks, *, names: dict[int, str]) -> dict[int, str]:
    """``names`` (owner id -> the name shown) with the owners of ``risks`` it lacks, read in one
    query: on a page as it stood on a past day (or a risk given a new owner since the filter's
    people were read) an owner may own no risk today, and each such row would otherwise read
    its owner on its own (review of decision 84)."""
    missing = {
        risk.owner_id for risk in risks if risk.owner_id is not None and risk.owner_id not in names
    }
    if not missing:
        return names
    name = User.display_name.fget
    return names | {
        pk: name(_Named(full_name, job_title, email))
        for pk, full_name, job_title, email in User.objects.filter(pk__in=missing).values_list(
            "id", "full_name", "job_title", "email"
        )
    }


@dataclass(frozen=True)
class _Named:
    full_name: str
    job_title: str
    email: str


class _AnyOfArray(Lookup):
    lookup_name = "any_of_array"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)  # "(SELECT ...)"
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def pk_in(ids: QuerySet, *, field: str = "pk") -> Q | Lookup:
    """``pk = ANY(ARRAY(subquery))`` on PostgreSQL (or ``field``, a path to a primary key):
    the subquery runs first and its ids are looked up by primary key. As ``IN (subquery)``
    PostgreSQL guesses how many distinct ids it gives from the whole table's statistics (5,865
    owners estimated for 200 with 40 other organisations) and hashes a scan of every user of
    the installation to join them (issue 20). Other databases (the demo's SQLite) take the
    plain ``IN``."""
    if connection.vendor == "postgresql":
        return _AnyOfArray(F(field), Subquery(ids))
    return Q(**{f"{field}__in": ids})


def uses_horizons(*, organisation: Organisation) -> bool:
    """Whether any risk has a horizon (the Met's short- and long-term risks). Compiled once
    per connection (``prepared_list``): one risk's id, or none."""
    return bool(
        prepared_list("register_list:uses_horizons", _with_horizon, organisation_id=organisation.id)
    )


def _with_horizon(*, organisation_id: int) -> QuerySet:
    risks = Risk.objects.filter(organisation_id=organisation_id).exclude(horizon="")
    return risks.order_by().values_list("pk", flat=True)[:1]


def page_categories(*, organisation: Organisation) -> list[Category]:
    """``categories`` as a list, compiled once per connection (``prepared_list``): the
    register page's filter and rows."""
    return prepared_list(
        "register_list:categories", _categories_of, organisation_id=organisation.id
    )


def _categories_of(*, organisation_id: int) -> QuerySet:
    return categories(organisation=organisation_id)


def page_appetite_statements(*, organisation: Organisation) -> tuple[tuple, ...]:
    """``rows.appetite_statements`` (category_id, tolerance, warning), compiled once per
    connection (``prepared_list``): the register page's list keys its reads by them."""
    return tuple(
        prepared_list(
            "register_list:appetite_statements", _statements_of, organisation_id=organisation.id
        )
    )


def _statements_of(*, organisation_id: int) -> QuerySet:
    # The read of ``rows.appetite_statements``, by the organisation's id (the test compares them).
    return AppetiteStatement.objects.filter(organisation_id=organisation_id).values_list(
        "category_id", "tolerance", "warning"
    )


def band_names(*, organisation: Organisation, schemes=None) -> list[tuple[str, str]]:
    """(name, colour) of every band of the organisation's schemes (``schemes``, when read
    already, with their current versions), highest first, each once."""
    if schemes is None:
        schemes = schemes_for_organisation(organisation=organisation)
    seen: dict[str, str] = {}
    for scheme in sorted(schemes, key=lambda scheme: not scheme.is_default):
        if scheme.current_version is None:
            continue
        for band in reversed(scheme.current_version.parsed.bands):
            seen.setdefault(band.name, band.colour)
    return list(seen.items())


# --- the register as it stood: history -----------------------------------------------------------


def risks_as_of(*, organisation: Organisation, moment: dt.datetime) -> QuerySet:
    """Historical records of the organisation's risks, each as it stood at ``moment`` (risks
    created later are absent). One query, whatever is chained on it."""
    return (
        Risk.history.filter(organisation_id=organisation.id, history_date__lte=moment)
        .latest_of_each()
        .exclude(history_type="-")
    )


def with_appetite_as_of(risks: QuerySet, *, organisation: Organisation, moment: dt.datetime):
    """``with_appetite`` for historical records, with the appetite statements as they stood at
    ``moment`` (the same rule and ranks; the thresholds of then, as the as-of export uses)."""
    statements = list(
        AppetiteStatement.history.filter(organisation_id=organisation.id, history_date__lte=moment)
        .latest_of_each()
        .exclude(history_type="-")
        .values_list("category_id", "tolerance", "warning")
    )
    return risks.annotate(**appetite_annotations(statements))
