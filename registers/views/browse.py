"""Thin views: fetch through registers.permissions, read through selectors, render."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode

from .. import permissions, selectors
from ..filters import EVERY_REGISTER
from ..models import Role
from ..selectors.overview import my_part, overview, shown_to
from .dashboard_fragments import shared_html

DASHBOARD_LIST = selectors.LIST_LIMIT


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
    """The dashboard: heat maps, appetite exceptions, what is overdue, and the user's own work.

    What every reader sees alike comes from ``selectors.overview`` (cached between the
    organisation's writes, decision 67); the reader's own risks, actions and escalations to
    decide are read for them, and what they may not read is withheld from their copy."""
    access = permissions.organisation_for_request(request, slug=org)
    organisation = access.organisation
    today = selectors.organisation_today(organisation)
    shared = overview(access=access, today=today)
    mine = my_part(access=access, today=today, statements=shared.statements)
    actions_overdue, indicators_flagged = shown_to(shared, access=access)
    tops = shared.tops
    top = tops[0] if tops else None
    register_url = functools.partial(_register_url, every=len(tops) > 1)

    def panel(heat_map):
        params = {"position": heat_map.position}
        if heat_map.horizon:
            params["horizon"] = heat_map.horizon
        return {"heatmap": heat_map, "link_base": top and register_url(organisation, top, **params)}

    heat_maps = [panel(m) for m in shared.heat_maps]
    horizon_maps = [panel(m) for m in shared.horizon_maps]
    bands = [
        (band, top and register_url(organisation, top, band=band.name)) for band in shared.bands
    ]
    risks = {**shared.figures, "mine": mine.risk_total}
    actions = {
        "overdue": shared.actions_overdue_total,
        "mine": mine.own_actions,
        "to_chase": mine.to_chase,
        "to_chase_overdue": mine.to_chase_overdue,
    }
    links = {}
    if top is not None:
        links = {
            "open": register_url(organisation, top),
            "outside": register_url(organisation, top, appetite="outside", sort="-appetite"),
            "breach": register_url(organisation, top, appetite="breach", sort="-current"),
            "warning": register_url(organisation, top, appetite="warning", sort="-current"),
            "overdue": register_url(organisation, top, review="overdue", sort="next_review"),
            "due_soon": register_url(organisation, top, review="due30", sort="next_review"),
            "awaiting_sign_off": register_url(
                organisation, top, review="awaiting", sort="next_review"
            ),
        }
    drawn = {  # what the shared parts of the page are drawn from: the overview's alone
        "access": access,
        "organisation": organisation,
        "today": today,
        "scheme": shared.scheme,
        "tree": shared.tree,
        "heat_maps": heat_maps,
        "horizon_maps": horizon_maps,
        "heat_panels": heat_maps + horizon_maps,
        "bands": bands,
        "exposure": shared.exposure,
        # Not "risks" and "actions", which the page holds with the reader's own counts added.
        "figures": {**shared.figures, "actions_overdue": shared.actions_overdue_total},
        "links": links,
        "outside": shared.outside,
        "overdue": shared.overdue,
        "due_soon": shared.due_soon,
        "list_limit": DASHBOARD_LIST,
    }
    deciding = access.editable_register_ids
    return render(
        request,
        "registers/organisation_detail.html",
        {
            **drawn,
            "shared_html": shared_html(access=access, today=today, shared=shared, context=drawn),
            "top_register": top,
            "risks": risks,
            "actions": actions,
            "escalations_waiting": list(
                selectors.escalations_waiting(organisation=organisation, register_ids=deciding)[
                    :DASHBOARD_LIST
                ]
            )
            if deciding
            else [],
            "actions_overdue": actions_overdue,
            "my_risks": mine.risks,
            "my_actions": mine.actions,
            "indicators_flagged": indicators_flagged,
            "first_run": shared.first_run,
        },
    )


urlpatterns = [
    path("", home, name="home"),
    path("o/<slug:org>/", organisation_detail, name="organisation"),
]
