"""Thin views: fetch through registers.permissions, read through selectors, render."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode

from scoring.selectors import default_scheme

from .. import permissions, selectors
from ..filters import EVERY_REGISTER
from ..models import Role
from ..selectors.indicator_lists import open_risk_indicators, red_or_stale
from ..withholding import withhold_actions, withhold_indicators

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


urlpatterns = [
    path("", home, name="home"),
    path("o/<slug:org>/", organisation_detail, name="organisation"),
]
