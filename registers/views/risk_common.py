"""Shared pieces of the risk page views: fetching, permission refusals, the page context."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.views.decorators.http import require_http_methods

from appetite.selectors import appetite_lookup

from .. import history, permissions, selectors
from ..forms import (
    ActionForm,
    ControlForm,
)
from ..models import ActionStatus, Risk, RiskStatus
from ..services.risks import (
    risk_warnings,
    scheme_version_for_register,
)

RISK = "o/<slug:org>/risks/<str:ref>/"
HISTORY_ON_PAGE = 8
GET_POST = require_http_methods(["GET", "POST"])


# --- helpers ----------------------------------------------------------------------------------


def fetch_risk(request: HttpRequest, org: str, ref: str):
    access = permissions.organisation_for_user(user=request.user, slug=org)
    risk = permissions.risk_for_user(user=request.user, organisation=access.organisation, ref=ref)
    risk.organisation = access.organisation  # the same row: saves a query wherever it is read
    return access, risk


def allow(allowed: bool, what: str = "change this risk") -> None:
    if not allowed:
        raise PermissionDenied(f"Your role does not let you {what}.")


def risk_url(risk: Risk, anchor: str = "") -> str:
    url = reverse("risk", args=[risk.organisation.slug, risk.ref])
    return f"{url}#{anchor}" if anchor else url


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def scheme_for(risk: Risk):
    """The scheme new ratings of this risk are made under (its register's current version)."""
    return scheme_version_for_register(risk.register).parsed


def date_value(value) -> str:
    return formats.date_format(value, "j F Y") if value else ""


def conflict_context(risk: Risk, loaded_version: int) -> dict:
    conflict = history.changes_since_version(risk, loaded_version)
    return {"conflict": conflict}


def rebound(form_class, request: HttpRequest, version: int, **kwargs):
    """The form again with everything the person typed, now carrying the latest version, so the
    next save knowingly replaces the other person's changes."""
    data = request.POST.copy()
    data["version"] = str(version)
    form = form_class(data, **kwargs)
    form.is_valid()
    return form


# --- the risk page ----------------------------------------------------------------------------


def controls_context(access, risk: Risk, *, controls=None, **state) -> dict:
    if controls is None:
        controls = list(risk.controls.select_related("owner"))
    can_edit = access.can_edit_risk(risk)
    context = {
        "organisation": access.organisation,
        "risk": risk,
        "controls": controls,
        "can_edit": can_edit,
        "controls_message": state.get("controls_message", ""),
    }
    if can_edit:
        context["control_form"] = state.get("control_form") or ControlForm(
            organisation=access.organisation, auto_id="new-control-%s"
        )
        context["control_form_open"] = bool(state.get("control_form"))
    return context


def action_flags(access, actions, can_edit: bool) -> None:
    today = timezone.localdate()
    for action in actions:
        action.can_update = can_edit or access.can_update_action(action)
        action.is_overdue = (
            action.due_date is not None
            and action.due_date < today
            and action.status not in (ActionStatus.COMPLETED, ActionStatus.CANCELLED)
        )


def actions_context(access, risk: Risk, *, actions=None, **state) -> dict:
    if actions is None:
        actions = list(risk.actions.select_related("owner"))
    can_edit = access.can_edit_risk(risk)
    action_flags(access, actions, can_edit)
    context = {
        "organisation": access.organisation,
        "risk": risk,
        "actions": actions,
        "can_edit": can_edit,
        "any_action_updatable": can_edit or any(action.can_update for action in actions),
        "actions_message": state.get("actions_message", ""),
    }
    if can_edit:
        context["action_form"] = state.get("action_form") or ActionForm(
            organisation=access.organisation, auto_id="new-action-%s"
        )
        context["action_form_open"] = bool(state.get("action_form"))
    return context


def render_risk_page(request: HttpRequest, access, risk: Risk, *, status: int = 200, **state):
    lookup = appetite_lookup(organisation=access.organisation)
    row = selectors.risk_row(risk, lookup)
    threshold = lookup.threshold(risk.category_id)
    entries = history.risk_history(risk)
    can_edit = access.can_edit_risk(risk)
    context = {
        "access": access,
        "organisation": access.organisation,
        "risk": risk,
        "row": row,
        "threshold": threshold,
        "positions": [
            ("Initial (inherent)", row.inherent),
            ("Current", row.current),
            ("Target", row.target),
        ],
        "warnings": risk_warnings(risk),
        "objectives": risk.objectives.all(),
        "leads": risk.leads.all(),
        "today": timezone.localdate(),
        "can_edit": can_edit,
        "can_review": access.can_review_risk(risk) and risk.status != RiskStatus.CLOSED,
        "history_entries": entries[:HISTORY_ON_PAGE],
        "history_more": len(entries) > HISTORY_ON_PAGE,
        "history_count": len(entries),
        **controls_context(access, risk, **state),
        **actions_context(access, risk, **state),
    }
    return render(request, "registers/risk_detail.html", context, status=status)
