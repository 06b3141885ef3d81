"""The register page: a register's risks (rolled up, filtered, searched, sorted, paged, or as they
stood on a past day), read through registers.permissions and the register list's selectors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from scoring.selectors import schemes_for_organisation

from .. import calendar, permissions, selectors
from ..filters import (
    ESCALATED_IN,
    INDICATORS_SHOWN,
    TREND_QUARTER_COUNT,
    TREND_QUARTERS,
    TREND_VIEW_OMITS,
    RegisterViewForm,
)
from ..selectors.indicator_lists import indicator_summaries
from ..selectors.register_list import (
    owner_names,
    page_appetite_statements,
    page_categories,
    prepared_risks,
    with_owners_gone,
    with_related,
)
from .register_table import register_lines

RISKS_PER_PAGE = 50


COLUMNS = (
    ("ref", "Ref"),
    ("title", "Risk"),
    ("register", "Register"),
    ("owner", "Owner"),
    ("current", "Current"),
    ("target", "Target"),
    ("appetite", "Appetite"),
    ("next_review", "Next review"),
    ("status", "Status"),
)


def _columns(request: HttpRequest, sort: str, *, rollup: bool) -> list[dict]:
    """The register table's headings: each links to its sort (keeping the filters, back to page
    one), says how it is sorted now (aria-sort) and which way the next click goes."""
    columns = []
    # One copy for every heading: each sets its own sort, in the place a copy of its own gave it.
    params = request.GET.copy()
    params.pop("page", None)
    for key, label in COLUMNS:
        if key == "register" and not rollup:
            continue
        if sort == key:
            aria, next_sort = "ascending", f"-{key}"
        elif sort == f"-{key}":
            aria, next_sort = "descending", key
        else:
            aria = "none"
            next_sort = f"-{key}" if key in selectors.DESCENDING_FIRST else key
        params["sort"] = next_sort
        columns.append({"key": key, "label": label, "aria": aria, "url": f"?{params.urlencode()}"})
    return columns


@login_required
def register_detail(request: HttpRequest, org: str, register: str) -> HttpResponse:
    # The request's one read of the memberships (the header reads it too).
    access = permissions.organisation_for_request(request, slug=org)
    organisation = access.organisation
    # Every register the user may read, in one query: the page needs them all anyway (parent,
    # children, rollup), so the one asked for is picked from them.
    registers = permissions.registers_for_member(access=access)
    register_obj = next((r for r in registers if r.slug == register), None)
    if register_obj is None:  # an old slug redirects to the register's current one
        permissions.register_missing(user=request.user, organisation=organisation, slug=register)
    by_id = {r.id: r for r in registers}
    children = [r for r in registers if r.parent_id == register_obj.id]
    parent = by_id.get(register_obj.parent_id)
    # A rolled-up list leaves archived registers out (their risks are out of the dashboard too).
    in_use = [r for r in registers if r.archived_at is None]
    has_descendants = any(child.archived_at is None for child in children)

    # The schemes with their current versions, in one query: the band filter's choices, the
    # heat-map cell's level names and (by id) the rows' scheme versions.
    schemes = list(schemes_for_organisation(organisation=organisation))
    bands = selectors.band_names(organisation=organisation, schemes=schemes)
    today = selectors.organisation_today(organisation)
    # Read once for the filters' choices and the rows' categories and owners (not joined).
    categories = page_categories(organisation=organisation)
    owners = owner_names(organisation=organisation)
    form = RegisterViewForm(
        request.GET,
        categories=categories,
        owners=owners,
        bands=bands,
        today=today,
    )
    form.is_valid()
    risk_filter = form.risk_filter()
    every_register = form.wants_every_register and len(in_use) > 1
    rollup = every_register or (form.wants_rollup and has_descendants)
    if every_register:
        register_ids = [r.id for r in in_use]
    elif rollup:
        register_ids = selectors.descendant_ids(registers, register_obj.id, in_use=True)
    else:
        register_ids = [register_obj.id]
    # How the register is shown: as it stood at the end of a past day (from history, read
    # only), with the quarter trend columns, or only the risks escalated into it.
    now, real_today = timezone.now(), today
    as_of_day = form.value("as_of")
    as_of = None
    if as_of_day is not None:
        zone = selectors.organisation_zone(organisation)
        as_of = min(selectors.end_of_day(as_of_day, zone), now)
        today = as_of_day  # "overdue" as it was then
    show_quarters = form.value("trend") == TREND_QUARTERS
    escalated_in = form.value("escalated") == ESCALATED_IN
    # The list's reads are compiled once per connection where their shape allows
    # (``prepared_risks``, decision 85); the queryset is built only where it does not.
    statements = page_appetite_statements(organisation=organisation) if as_of is None else None
    prepared = None
    if as_of is None:
        prepared = prepared_risks(
            organisation_id=organisation.id,
            register_ids=register_ids,
            risk_filter=risk_filter,
            sort=form.sort_key,
            today=today,
            escalated_in=escalated_in,
            statements=statements,
            search_sensitive_for=access,
        )
    risks = None
    if prepared is None:
        risks = selectors.risk_list(
            organisation=organisation,
            register_ids=register_ids,
            risk_filter=risk_filter,
            sort=form.sort_key,
            today=today,
            as_of=as_of,
            escalated_in=escalated_in,
            search_sensitive_for=access,
            joined=False,
            statements=statements,
        )
    page, risks_shown = selectors.risk_page(
        risks,
        prepared=prepared,
        number=request.GET.get("page"),
        per_page=RISKS_PER_PAGE,
        scheme_versions={
            s.current_version_id: s.current_version for s in schemes if s.current_version_id
        },
    )
    with_related(
        risks_shown, registers=by_id, categories={category.id: category for category in categories}
    )
    rows = selectors.annotated_rows(risks_shown)
    trends = selectors.register_trends(
        [row.risk for row in rows],
        organisation=organisation,
        moment=as_of or now,
        register_ids=register_ids,
        quarters=TREND_QUARTER_COUNT if show_quarters else 0,
    )
    quarter_columns = [
        _quarter_heading(selectors.quarter_label(organisation=organisation, end=end), end)
        for end in trends.quarter_ends
    ]
    changed_since = None
    if risk_filter.changed:  # the date the filter compares with, for the page to say
        changed_since = calendar.local_date(
            organisation=organisation,
            moment=calendar.last_report_date(organisation=organisation, moment=as_of or now),
        )
    # The key risk indicators column (issue 18): worst status and how many are stale, per risk.
    show_indicators = form.value("indicators") == INDICATORS_SHOWN
    if show_indicators:
        summaries = indicator_summaries(
            [row.risk.id for row in rows], organisation=organisation, today=today, as_of=as_of_day
        )
        for row in rows:
            row.risk.indicator_summary = summaries.get(row.risk.id)
    columns = _columns(request, form.sort_key, rollup=rollup)
    if show_quarters:  # room for the quarter columns, as WMP lays its register out
        columns = [column for column in columns if column["key"] not in TREND_VIEW_OMITS]
    cell = None
    if risk_filter.likelihood is not None or risk_filter.impact is not None:
        scheme = next((s for s in schemes if s.is_default), None)
        levels = scheme.current_version.parsed if scheme and scheme.current_version else None
        cell = {
            "position": selectors.POSITION_LABELS[risk_filter.position].lower(),
            "likelihood": risk_filter.likelihood,
            "impact": risk_filter.impact,
            "likelihood_label": _level_label(levels, "likelihood", risk_filter.likelihood),
            "impact_label": _level_label(levels, "impact", risk_filter.impact),
        }
    can_edit = as_of is None and access.can_edit_register(register_obj)
    # Risks on these registers get a checkbox for "Change selected risks".
    bulk_register_ids = access.editable_register_ids if can_edit else frozenset()
    table = [(row, trends[row.risk.id]) for row in rows]
    return render(
        request,
        "registers/register_detail.html",
        {
            "access": access,
            "organisation": organisation,
            "register": register_obj,
            "parent": parent,
            "children": children,
            "has_descendants": has_descendants,
            "rollup": rollup,
            "every_register": every_register,
            "page": page,
            "page_links": _page_links(request, page),
            "rows": rows,
            "table": table,
            "lines": register_lines(
                table,
                organisation=organisation,
                register=register_obj,
                today=today,
                rollup=rollup,
                escalated_in=escalated_in,
                show_quarters=show_quarters,
                quarter_ends=trends.quarter_ends,
                show_indicators=show_indicators,
                bulk_register_ids=bulk_register_ids,
                owner_names=with_owners_gone(
                    risks_shown, names={owner.id: owner.display_name for owner in owners}
                ),
            ),
            "trends": trends,
            "quarter_columns": quarter_columns,
            "show_quarters": show_quarters,
            "escalated_in": escalated_in,
            "as_of": as_of,
            "as_of_day": as_of_day,
            "carry": [
                (name, value)
                for name, values in request.GET.lists()
                if name not in ("as_of", "page")
                for value in values
            ],
            "form": form,
            "risk_filter": risk_filter,
            "cell": cell,
            "changed_since": changed_since,
            "sort": form.sort_key,
            "columns": columns,
            "column_count": len(columns)
            + len(quarter_columns)
            + int(escalated_in)
            + int(show_indicators),
            "show_indicators": show_indicators,
            "status_label": dict(form.fields["status"].choices).get(risk_filter.status, ""),
            "uses_horizons": bool(risk_filter.horizon)
            or selectors.uses_horizons(organisation=organisation),
            "today": today,
            "real_today": real_today,
            "can_edit": can_edit,
            "bulk_register_ids": bulk_register_ids,
        },
    )


def _page_links(request: HttpRequest, page) -> dict:
    """The pagination's links (GOV.UK pagination), each keeping the filters: the first and last
    pages, the current one and its neighbours, an ellipsis two pages away. Worked out from the
    few numbers that can show, not by testing each of the 200 pages of a 10,000-risk register
    in the template (3 ms, issue 20)."""
    if not page.has_other_pages():
        return {}

    params = request.GET.copy()  # one copy for every link, each setting its own page

    def url(number: int) -> str:
        params["page"] = str(number)
        return f"?{params.urlencode()}"

    current, last = page.number, page.paginator.num_pages
    items = []
    for number in sorted({1, last, *range(current - 2, current + 3)}):
        if not 1 <= number <= last:
            continue
        if number == current:
            items.append({"number": number, "url": url(number), "current": True})
        elif number in (1, last) or abs(number - current) == 1:
            items.append({"number": number, "url": url(number)})
        elif abs(number - current) == 2:
            items.append({"number": number, "ellipsis": True})
    return {
        "previous": url(current - 1) if page.has_previous() else "",
        "items": items,
        "next": url(current + 1) if page.has_next() else "",
    }


def _quarter_heading(label: str, end) -> dict:
    """ "Q1 2021/22" as a short heading, "Q1", over its year and end date (narrow columns)."""
    short, _, year = label.partition(" ")
    if not (short.startswith("Q") and short[1:].isdigit()):
        short, year = "Quarter", ""
    return {"label": label, "short": short, "year": year, "end": end}


def _level_label(scheme, axis: str, value: int | None) -> str:
    levels = getattr(scheme, axis, ()) if scheme else ()
    return next((level.label for level in levels if level.value == value), "")


urlpatterns = [
    path("o/<slug:org>/registers/<slug:register>/", register_detail, name="register"),
]
