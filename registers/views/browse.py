"""Thin views: fetch through registers.permissions, read through selectors, render."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode

from scoring.selectors import default_scheme

from .. import calendar, permissions, selectors
from ..filters import (
    ESCALATED_IN,
    EVERY_REGISTER,
    INDICATORS_SHOWN,
    TREND_QUARTER_COUNT,
    TREND_QUARTERS,
    TREND_VIEW_OMITS,
    RegisterViewForm,
)
from ..models import Role
from ..selectors.indicator_lists import indicator_summaries, open_risk_indicators, red_or_stale
from ..withholding import withhold_actions, withhold_indicators

RISKS_PER_PAGE = 50
DASHBOARD_LIST = selectors.LIST_LIMIT
MY_LIST = 5


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A list to choose from only when there is a choice: one organisation opens its dashboard,
    or, for a panel member, their reports (the page the panel reads)."""
    memberships = list(permissions.memberships_for_request(request))
    if len(memberships) == 1:
        (membership,) = memberships
        if membership.role == Role.PANEL:
            return redirect("my_packs")
        return redirect("organisation", org=membership.organisation.slug)
    return render(request, "registers/home.html", {"memberships": memberships})


def _register_url(organisation, register, *, every: bool = False, **params) -> str:
    """A register page rolled up: the register and those below it, or (``every``, for an
    organisation with several top-level registers) every register, so that a dashboard figure
    and the list behind it count the same risks."""
    url = reverse("register", args=[organisation.slug, register.slug])
    return f"{url}?{urlencode({'rollup': EVERY_REGISTER if every else 1, **params})}"


@login_required
def organisation_detail(request: HttpRequest, org: str) -> HttpResponse:
    """The dashboard: heat maps, appetite exceptions, what is overdue, and the user's own work."""
    access = permissions.organisation_for_user(user=request.user, slug=org)
    organisation, user = access.organisation, request.user
    today = selectors.organisation_today(organisation)
    registers = list(selectors.registers_with_counts(organisation=organisation))
    tops = selectors.top_registers(registers)
    top = tops[0] if tops else None
    register_url = functools.partial(_register_url, every=len(tops) > 1)
    scheme = default_scheme(organisation=organisation)
    definition = scheme.current_version.parsed if scheme and scheme.current_version else None

    # One read of the open risks for the current heat maps, band counts and key figures.
    groups = selectors.current_position_groups(organisation=organisation, user=user, today=today)
    heat_maps, horizon_maps, bands = [], [], []
    if definition is not None:
        band_totals: dict[str, int] = {}
        maps, by_horizon = selectors.organisation_heat_maps(
            organisation=organisation, scheme=definition, bands=band_totals, current_groups=groups
        )
        bands = [
            (band, top and register_url(organisation, top, band=band.name))
            for band in selectors.band_counts(
                organisation=organisation, scheme=definition, counts=band_totals
            )
        ]

        def panel(heat_map):
            params = {"position": heat_map.position}
            if heat_map.horizon:
                params["horizon"] = heat_map.horizon
            return {
                "heatmap": heat_map,
                "link_base": top and register_url(organisation, top, **params),
            }

        heat_maps = [panel(m) for m in maps]
        horizon_maps = [panel(m) for m in by_horizon]

    risks = selectors.risk_summary(organisation=organisation, user=user, today=today, groups=groups)
    risks["outside"] = risks["breach"] + risks["warning"]
    # Breaches someone accepted until a date (issue 17): still breaches, counted apart.
    risks["accepted"] = risks["breach"] and selectors.accepted_breach_count(
        organisation=organisation, today=today
    )
    actions = selectors.action_summary(organisation=organisation, user=user, today=today)
    links = {}
    if top is not None:
        links = {
            "open": register_url(organisation, top),
            "outside": register_url(organisation, top, appetite="outside", sort="-appetite"),
            "breach": register_url(organisation, top, appetite="breach", sort="-current"),
            "warning": register_url(organisation, top, appetite="warning", sort="-current"),
            "overdue": register_url(organisation, top, review="overdue", sort="next_review"),
            "due_soon": register_url(organisation, top, review="due30", sort="next_review"),
        }
    return render(
        request,
        "registers/organisation_detail.html",
        {
            "access": access,
            "organisation": organisation,
            "today": today,
            "scheme": scheme,
            "tree": selectors.register_tree(registers),
            "top_register": top,
            "heat_maps": heat_maps,
            "horizon_maps": horizon_maps,
            "heat_panels": heat_maps + horizon_maps,
            "bands": bands,
            "risks": risks,
            "actions": actions,
            "links": links,
            "escalations_waiting": selectors.escalations_waiting(
                organisation=organisation, register_ids=access.editable_register_ids
            )[:DASHBOARD_LIST],
            "outside": selectors.outside_appetite_rows(
                organisation=organisation, today=today, limit=DASHBOARD_LIST
            ),
            "overdue": selectors.annotated_rows(
                selectors.reviews_overdue(organisation=organisation, today=today)[:DASHBOARD_LIST]
            ),
            "due_soon": selectors.annotated_rows(
                selectors.reviews_due_soon(organisation=organisation, today=today)[:DASHBOARD_LIST]
            ),
            "actions_overdue": withhold_actions(
                selectors.actions_overdue(organisation=organisation, today=today)[:DASHBOARD_LIST],
                access=access,
            ),
            "my_risks": selectors.annotated_rows(
                selectors.my_risks(organisation=organisation, user=user)[:MY_LIST]
            ),
            "my_actions": withhold_actions(
                selectors.my_actions(organisation=organisation, user=user)[:MY_LIST],
                access=access,
            ),
            "list_limit": DASHBOARD_LIST,
            "indicators_flagged": _indicators_flagged(access, today),
            "first_run": _first_run_unfinished(access),
        },
    )


def _indicators_flagged(access, today):
    """Key risk indicators at red or stale on open risks (issue 18): the first few, red first,
    and how many in all; an OFFICIAL-SENSITIVE risk's indicator names withheld."""
    flagged = red_or_stale(
        open_risk_indicators(organisation=access.organisation).filter(
            risk__register__archived_at__isnull=True
        ),
        today=today,
        limit=DASHBOARD_LIST,
    )
    flagged.indicators = withhold_indicators(flagged.indicators, access=access)
    return flagged


def _first_run_unfinished(access):
    """The first-run checklist of a new organisation (no risk yet) while it is not complete, for
    its admins (a banner on the dashboard links it); None otherwise, and no query for anyone
    else."""
    if not access.is_admin:
        return None
    checklist = selectors.first_run_checklist(organisation=access.organisation)
    return None if checklist.complete or checklist.in_use else checklist


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
        params = request.GET.copy()
        params["sort"] = next_sort
        params.pop("page", None)
        columns.append({"key": key, "label": label, "aria": aria, "url": f"?{params.urlencode()}"})
    return columns


@login_required
def register_detail(request: HttpRequest, org: str, register: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    organisation = access.organisation
    # Every register the user may read, in one query: the page needs them all anyway (parent,
    # children, rollup), so the one asked for is picked from them.
    registers = list(
        permissions.registers_for_user(user=request.user, organisation=organisation).order_by(
            "name"
        )
    )
    register_obj = next((r for r in registers if r.slug == register), None)
    if register_obj is None:  # an old slug redirects to the register's current one
        permissions.register_missing(user=request.user, organisation=organisation, slug=register)
    by_id = {r.id: r for r in registers}
    children = [r for r in registers if r.parent_id == register_obj.id]
    parent = by_id.get(register_obj.parent_id)
    # A rolled-up list leaves archived registers out (their risks are out of the dashboard too).
    in_use = [r for r in registers if r.archived_at is None]
    has_descendants = any(child.archived_at is None for child in children)

    bands = selectors.band_names(organisation=organisation)
    today = selectors.organisation_today(organisation)
    form = RegisterViewForm(
        request.GET,
        categories=selectors.categories(organisation=organisation),
        owners=selectors.risk_owners(organisation=organisation),
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
    risks = selectors.risk_list(
        organisation=organisation,
        register_ids=register_ids,
        risk_filter=risk_filter,
        sort=form.sort_key,
        today=today,
        as_of=as_of,
        escalated_in=escalated_in,
        search_sensitive_for=access,
    )
    page, risks_shown = selectors.risk_page(
        risks, number=request.GET.get("page"), per_page=RISKS_PER_PAGE
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
        summaries = indicator_summaries([row.risk.id for row in rows], today=today, as_of=as_of_day)
        for row in rows:
            row.risk.indicator_summary = summaries.get(row.risk.id)
    columns = _columns(request, form.sort_key, rollup=rollup)
    if show_quarters:  # room for the quarter columns, as WMP lays its register out
        columns = [column for column in columns if column["key"] not in TREND_VIEW_OMITS]
    cell = None
    if risk_filter.likelihood is not None or risk_filter.impact is not None:
        scheme = default_scheme(organisation=organisation)
        levels = scheme.current_version.parsed if scheme and scheme.current_version else None
        cell = {
            "position": selectors.POSITION_LABELS[risk_filter.position].lower(),
            "likelihood": risk_filter.likelihood,
            "impact": risk_filter.impact,
            "likelihood_label": _level_label(levels, "likelihood", risk_filter.likelihood),
            "impact_label": _level_label(levels, "impact", risk_filter.impact),
        }
    can_edit = as_of is None and access.can_edit_register(register_obj)
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
            "rows": rows,
            "table": [(row, trends[row.risk.id]) for row in rows],
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
            # Risks on these registers get a checkbox for "Change selected risks".
            "bulk_register_ids": access.editable_register_ids if can_edit else frozenset(),
        },
    )


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
    path("", home, name="home"),
    path("o/<slug:org>/", organisation_detail, name="organisation"),
    path("o/<slug:org>/registers/<slug:register>/", register_detail, name="register"),
]
