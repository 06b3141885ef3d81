"""The risk page and everything that changes a risk: create and edit, controls and actions,
reviews, close and reopen, history.

Every change is a plain form POST that redirects back to the risk page, so the pages work with
JavaScript off. With htmx the same URLs answer with the piece of page that changed (a row, a
form, a section), so controls and actions are added and edited in place. Objects are fetched only
through ``registers.permissions``; a member whose role does not allow a change gets 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appetite.selectors import appetite_lookup
from scoring.engine import RatingError, rate

from .. import history, permissions, selectors
from ..forms import (
    POSITION_LABELS,
    ActionForm,
    ActionProgressForm,
    CloseForm,
    ControlForm,
    ReopenForm,
    ReviewForm,
    RiskForm,
)
from ..models import ActionStatus, Risk, RiskStatus
from ..services.reviews import review_record
from ..services.risks import (
    RiskConflict,
    action_add,
    control_add,
    risk_close,
    risk_create,
    risk_reopen,
    risk_update,
    risk_warnings,
    scheme_version_for_register,
)
from ..services.treatments import (
    ACTION_OWNER_FIELDS,
    action_remove,
    action_to_control,
    action_update,
    control_remove,
    control_update,
)

HISTORY_ON_PAGE = 8
GET_POST = require_http_methods(["GET", "POST"])


# --- helpers ----------------------------------------------------------------------------------


def _risk(request: HttpRequest, org: str, ref: str):
    access = permissions.organisation_for_user(user=request.user, slug=org)
    risk = permissions.risk_for_user(user=request.user, organisation=access.organisation, ref=ref)
    risk.organisation = access.organisation  # the same row: saves a query wherever it is read
    return access, risk


def _allow(allowed: bool, what: str = "change this risk") -> None:
    if not allowed:
        raise PermissionDenied(f"Your role does not let you {what}.")


def _risk_url(risk: Risk, anchor: str = "") -> str:
    url = reverse("risk", args=[risk.organisation.slug, risk.ref])
    return f"{url}#{anchor}" if anchor else url


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _scheme_for(risk: Risk):
    """The scheme new ratings of this risk are made under (its register's current version)."""
    return scheme_version_for_register(risk.register).parsed


def _date(value) -> str:
    return formats.date_format(value, "j F Y") if value else ""


def _conflict_context(risk: Risk, loaded_version: int) -> dict:
    conflict = history.changes_since_version(risk, loaded_version)
    return {"conflict": conflict}


def _rebound(form_class, request: HttpRequest, version: int, **kwargs):
    """The form again with everything the person typed, now carrying the latest version, so the
    next save knowingly replaces the other person's changes."""
    data = request.POST.copy()
    data["version"] = str(version)
    form = form_class(data, **kwargs)
    form.is_valid()
    return form


# --- the risk page ----------------------------------------------------------------------------


def _controls_context(access, risk: Risk, *, controls=None, **state) -> dict:
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


def _action_flags(access, actions, can_edit: bool) -> None:
    today = timezone.localdate()
    for action in actions:
        action.can_update = can_edit or access.can_update_action(action)
        action.is_overdue = (
            action.due_date is not None
            and action.due_date < today
            and action.status not in (ActionStatus.COMPLETED, ActionStatus.CANCELLED)
        )


def _actions_context(access, risk: Risk, *, actions=None, **state) -> dict:
    if actions is None:
        actions = list(risk.actions.select_related("owner"))
    can_edit = access.can_edit_risk(risk)
    _action_flags(access, actions, can_edit)
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


def _page(request: HttpRequest, access, risk: Risk, *, status: int = 200, **state):
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
        **_controls_context(access, risk, **state),
        **_actions_context(access, risk, **state),
    }
    return render(request, "registers/risk_detail.html", context, status=status)


@login_required
@require_GET
def risk_detail(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = _risk(request, org, ref)
    return _page(request, access, risk)


@login_required
@require_GET
def risk_history(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = _risk(request, org, ref)
    return render(
        request,
        "registers/risk_history.html",
        {
            "access": access,
            "organisation": access.organisation,
            "risk": risk,
            "entries": history.risk_history(risk),
        },
    )


# --- create and edit --------------------------------------------------------------------------


def _preview_warnings(form: RiskForm) -> list[str]:
    inherent, current = form.ratings.get("inherent"), form.ratings.get("current")
    if inherent and current and current.score >= inherent.score:
        return [
            "The current score is not lower than the initial (inherent) score: controls and "
            "actions should bring it down."
        ]
    return []


def _render_risk_form(request, access, register, form: RiskForm, **extra) -> HttpResponse:
    return render(
        request,
        "registers/risk_form.html",
        {
            "access": access,
            "organisation": access.organisation,
            "register": register,
            "form": form,
            "risk": form.risk,
            **extra,
        },
    )


@login_required
@GET_POST
def risk_create_view(request: HttpRequest, org: str, register: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    register_obj = permissions.register_for_user(
        user=request.user, organisation=access.organisation, slug=register
    )
    register_obj.organisation = access.organisation
    _allow(access.can_edit_register(register_obj), "add risks to this register")
    try:
        scheme = scheme_version_for_register(register_obj).parsed
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("register", org, register)
    kwargs = {"organisation": access.organisation, "scheme": scheme, "auto_id": "%s"}
    if request.method == "GET":
        form = RiskForm(initial={"kind": "threat", "marking": "OFFICIAL"}, **kwargs)
        return _render_risk_form(request, access, register_obj, form)
    form = RiskForm(request.POST, **kwargs)
    if not form.is_valid() or "preview" in request.POST:
        return _render_risk_form(
            request,
            access,
            register_obj,
            form,
            previewed="preview" in request.POST and form.is_valid(),
            preview_warnings=_preview_warnings(form) if form.is_valid() else [],
        )
    data = form.cleaned_data
    try:
        risk = risk_create(
            register=register_obj,
            ref=data["ref"],
            title=data["title"],
            positions={k: v for k, v in form.position_values().items() if v is not None},
            objectives=data["objectives"],
            leads=data["leads"],
            reviewed_on=timezone.localdate(),
            reason="created",
            **{k: v for k, v in form.service_fields().items() if k != "title"},
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _render_risk_form(request, access, register_obj, form)
    messages.success(request, f"Risk {risk.ref} created.")
    return redirect(_risk_url(risk))


@login_required
@GET_POST
def risk_edit(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = _risk(request, org, ref)
    _allow(access.can_edit_risk(risk), "edit this risk")
    kwargs = {
        "organisation": access.organisation,
        "scheme": _scheme_for(risk),
        "risk": risk,
        "auto_id": "%s",
    }
    if request.method == "GET":
        form = RiskForm(initial=RiskForm.initial_for(risk), **kwargs)
        return _render_risk_form(request, access, risk.register, form)
    form = RiskForm(request.POST, **kwargs)
    form.fields["version"].required = True
    form.fields["version"].error_messages["required"] = (
        "The form did not say which version of the risk you loaded: open the edit page again"
    )
    if not form.is_valid() or "preview" in request.POST:
        return _render_risk_form(
            request,
            access,
            risk.register,
            form,
            previewed="preview" in request.POST and form.is_valid(),
            preview_warnings=_preview_warnings(form) if form.is_valid() else [],
        )
    data = form.cleaned_data
    try:
        risk_update(
            risk=risk,
            expected_version=data["version"],
            fields=form.service_fields(),
            positions=form.position_values(),
            objectives=data["objectives"],
            leads=data["leads"],
            reason=data.get("reason") or "edited",
        )
    except RiskConflict as exc:
        form = _rebound(RiskForm, request, exc.risk.version, **kwargs)
        return _render_risk_form(
            request,
            access,
            risk.register,
            form,
            **_conflict_context(risk, data["version"]),
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _render_risk_form(request, access, risk.register, form)
    messages.success(request, f"Risk {risk.ref} saved.")
    return redirect(_risk_url(risk))


@login_required
@require_GET
def risk_rating_preview(request: HttpRequest, org: str, register: str) -> HttpResponse:
    """The rating of one position as chosen so far (htmx asks on every change of the radios)."""
    access = permissions.organisation_for_user(user=request.user, slug=org)
    register_obj = permissions.register_for_user(
        user=request.user, organisation=access.organisation, slug=register
    )
    register_obj.organisation = access.organisation
    position = request.GET.get("position", "current")
    if position not in POSITION_LABELS:
        position = "current"
    likelihood = request.GET.get(f"{position}_likelihood", "")
    impact = request.GET.get(f"{position}_impact", "")
    rating, problem = None, ""
    if likelihood and impact:
        try:
            rating = rate(scheme_version_for_register(register_obj).parsed, likelihood, impact)
        except (RatingError, ValidationError) as exc:
            problem = str(exc)
    elif likelihood or impact:
        problem = "Choose both a likelihood and an impact to see the rating."
    return render(
        request,
        "registers/partials/risk_rating_preview.html",
        {"rating": rating, "problem": problem, "label": POSITION_LABELS[position]},
    )


# --- review, close, reopen --------------------------------------------------------------------


@login_required
@GET_POST
def risk_review(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = _risk(request, org, ref)
    _allow(access.can_review_risk(risk), "review this risk")
    if risk.status == RiskStatus.CLOSED:
        messages.error(request, f"{risk.ref} is closed: reopen it before recording a review.")
        return redirect(_risk_url(risk))
    kwargs = {
        "scheme": _scheme_for(risk),
        "current": (risk.current_likelihood, risk.current_impact),
        "auto_id": "%s",
    }
    extra: dict = {}
    if request.method == "GET":
        form = ReviewForm(
            initial={
                "version": risk.version,
                "current_likelihood": str(risk.current_likelihood or ""),
                "current_impact": str(risk.current_impact or ""),
            },
            **kwargs,
        )
    else:
        form = ReviewForm(request.POST, **kwargs)
        if form.is_valid():
            data = form.cleaned_data
            rescore = data["outcome"] == ReviewForm.RESCORE
            try:
                review = review_record(
                    risk=risk,
                    user=request.user,
                    expected_version=data["version"],
                    note=data["note"],
                    positions=form.position_values() if rescore else None,
                    reviewed_on=data["reviewed_on"],
                )
            except RiskConflict as exc:
                form = _rebound(ReviewForm, request, exc.risk.version, **kwargs)
                extra = _conflict_context(risk, data["version"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                review.risk.refresh_from_db(fields=["next_review_due"])
                messages.success(
                    request,
                    f"Review of {risk.ref} recorded. Next review due "
                    f"{_date(review.risk.next_review_due)}.",
                )
                return redirect(_risk_url(risk))
    lookup = appetite_lookup(organisation=access.organisation)
    return render(
        request,
        "registers/risk_review.html",
        {
            "access": access,
            "organisation": access.organisation,
            "risk": risk,
            "row": selectors.risk_row(risk, lookup),
            "form": form,
            **extra,
        },
    )


def _status_change(request, org: str, ref: str, *, closing: bool) -> HttpResponse:
    access, risk = _risk(request, org, ref)
    _allow(access.can_edit_risk(risk), "close or reopen this risk")
    is_closed = risk.status == RiskStatus.CLOSED
    if closing == is_closed:
        messages.info(request, f"{risk.ref} is already {'closed' if is_closed else 'open'}.")
        return redirect(_risk_url(risk))
    form_class = CloseForm if closing else ReopenForm
    extra: dict = {}
    if request.method == "GET":
        form = form_class(initial={"version": risk.version}, auto_id="%s")
    else:
        form = form_class(request.POST, auto_id="%s")
        if form.is_valid():
            data = form.cleaned_data
            change = risk_close if closing else risk_reopen
            try:
                change(risk=risk, expected_version=data["version"], reason=data["reason"])
            except RiskConflict as exc:
                form = _rebound(form_class, request, exc.risk.version, auto_id="%s")
                extra = _conflict_context(risk, data["version"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"{risk.ref} {'closed' if closing else 'reopened'}.")
                return redirect(_risk_url(risk))
    return render(
        request,
        "registers/risk_close.html",
        {
            "access": access,
            "organisation": access.organisation,
            "risk": risk,
            "form": form,
            "closing": closing,
            **extra,
        },
    )


@login_required
@GET_POST
def risk_close_view(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    return _status_change(request, org, ref, closing=True)


@login_required
@GET_POST
def risk_reopen_view(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    return _status_change(request, org, ref, closing=False)


# --- controls ---------------------------------------------------------------------------------


def _control(request, org: str, ref: str, pk: int):
    access, risk = _risk(request, org, ref)
    control = permissions.control_for_user(user=request.user, risk=risk, pk=pk)
    control.risk = risk
    return access, risk, control


def _control_row(request, access, risk, control) -> HttpResponse:
    return render(
        request,
        "registers/partials/control_row.html",
        {
            "organisation": access.organisation,
            "risk": risk,
            "control": control,
            "can_edit": access.can_edit_risk(risk),
        },
    )


def _controls_section(request, access, risk, **state) -> HttpResponse:
    return render(
        request,
        "registers/partials/control_section.html",
        _controls_context(access, risk, **state),
    )


@login_required
@GET_POST
def control_add_view(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = _risk(request, org, ref)
    _allow(access.can_edit_risk(risk), "add controls to this risk")
    if request.method == "GET":
        return redirect(_risk_url(risk, "add-control"))
    form = ControlForm(request.POST, organisation=access.organisation, auto_id="new-control-%s")
    if form.is_valid():
        try:
            control = control_add(risk=risk, position=risk.controls.count(), **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if _is_htmx(request):
                return _controls_section(request, access, risk, controls_message="Control added.")
            messages.success(request, "Control added.")
            return redirect(_risk_url(risk, f"control-{control.pk}"))
    if _is_htmx(request):
        return _controls_section(request, access, risk, control_form=form)
    return _page(request, access, risk, control_form=form)


@login_required
@require_GET
def control_detail(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, control = _control(request, org, ref, pk)
    if _is_htmx(request):
        return _control_row(request, access, risk, control)
    return redirect(_risk_url(risk, f"control-{control.pk}"))


def _control_page(request, access, risk, control) -> HttpResponse:
    controls = [control if c.pk == control.pk else c for c in risk.controls.select_related("owner")]
    return _page(request, access, risk, controls=controls)


@login_required
@GET_POST
def control_edit(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, control = _control(request, org, ref, pk)
    _allow(access.can_update_control(control), "change this control")
    kwargs = {
        "organisation": access.organisation,
        "keep": [control.owner_id],
        "auto_id": f"control-{control.pk}-%s",
    }
    if request.method == "GET":
        control.edit_form = ControlForm(
            initial={
                "description": control.description,
                "owner": control.owner_id,
                "effectiveness": control.effectiveness,
                "assurance": control.assurance,
            },
            **kwargs,
        )
    else:
        form = ControlForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                control = control_update(control=control, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if _is_htmx(request):
                    return _control_row(request, access, risk, control)
                messages.success(request, "Control saved.")
                return redirect(_risk_url(risk, f"control-{control.pk}"))
        control.edit_form = form
    if _is_htmx(request):
        return _control_row(request, access, risk, control)
    return _control_page(request, access, risk, control)


@login_required
@GET_POST
def control_remove_view(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, control = _control(request, org, ref, pk)
    _allow(access.can_update_control(control), "remove this control")
    if request.method == "POST":
        control_remove(control=control, reason="removed")
        if _is_htmx(request):
            return _controls_section(request, access, risk, controls_message="Control removed.")
        messages.success(request, "Control removed.")
        return redirect(_risk_url(risk, "controls"))
    control.removing = True
    if _is_htmx(request):
        return _control_row(request, access, risk, control)
    return _control_page(request, access, risk, control)


# --- actions ----------------------------------------------------------------------------------


def _action(request, org: str, ref: str, pk: int):
    access, risk = _risk(request, org, ref)
    action = permissions.action_for_user(user=request.user, risk=risk, pk=pk)
    action.risk = risk
    return access, risk, action


def _action_row(request, access, risk, action) -> HttpResponse:
    can_edit = access.can_edit_risk(risk)
    _action_flags(access, [action], can_edit)
    return render(
        request,
        "registers/partials/action_row.html",
        {
            "organisation": access.organisation,
            "risk": risk,
            "action": action,
            "can_edit": can_edit,
            "any_action_updatable": True,
        },
    )


def _actions_section(request, access, risk, **state) -> HttpResponse:
    return render(
        request,
        "registers/partials/action_section.html",
        _actions_context(access, risk, **state),
    )


def _action_page(request, access, risk, action) -> HttpResponse:
    actions = [action if a.pk == action.pk else a for a in risk.actions.select_related("owner")]
    return _page(request, access, risk, actions=actions)


@login_required
@GET_POST
def action_add_view(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = _risk(request, org, ref)
    _allow(access.can_edit_risk(risk), "add actions to this risk")
    if request.method == "GET":
        return redirect(_risk_url(risk, "add-action"))
    form = ActionForm(request.POST, organisation=access.organisation, auto_id="new-action-%s")
    if form.is_valid():
        try:
            action = action_add(risk=risk, position=risk.actions.count(), **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if _is_htmx(request):
                return _actions_section(request, access, risk, actions_message="Action added.")
            messages.success(request, "Action added.")
            return redirect(_risk_url(risk, f"action-{action.pk}"))
    if _is_htmx(request):
        return _actions_section(request, access, risk, action_form=form)
    return _page(request, access, risk, action_form=form)


@login_required
@require_GET
def action_detail(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, action = _action(request, org, ref, pk)
    if _is_htmx(request):
        return _action_row(request, access, risk, action)
    return redirect(_risk_url(risk, f"action-{action.pk}"))


@login_required
@GET_POST
def action_edit(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    """Risk editors change every field; an action's owner only its status and progress."""
    access, risk, action = _action(request, org, ref, pk)
    _allow(access.can_update_action(action), "update this action")
    full = access.can_edit_risk(risk)
    form_class = ActionForm if full else ActionProgressForm
    kwargs = {
        "organisation": access.organisation,
        "keep": [action.owner_id],
        "auto_id": f"action-{action.pk}-%s",
    }
    if request.method == "GET":
        initial = {
            name: getattr(action, name)
            for name in ("description", "due_date", "status", "priority", "difficulty")
        }
        initial |= {"owner": action.owner_id, "progress_note": action.progress_note}
        action.edit_form = form_class(initial=initial, **kwargs)
    else:
        form = form_class(request.POST, **kwargs)
        if form.is_valid():
            fields = form.cleaned_data
            if not full:
                fields = {k: v for k, v in fields.items() if k in ACTION_OWNER_FIELDS}
            try:
                reason = "edited" if full else "progress updated"
                action = action_update(action=action, reason=reason, **fields)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if _is_htmx(request):
                    return _action_row(request, access, risk, action)
                messages.success(request, "Action saved.")
                return redirect(_risk_url(risk, f"action-{action.pk}"))
        action.edit_form = form
    if _is_htmx(request):
        return _action_row(request, access, risk, action)
    return _action_page(request, access, risk, action)


@login_required
@require_POST
def action_complete(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, action = _action(request, org, ref, pk)
    _allow(access.can_update_action(action), "update this action")
    if action.status != ActionStatus.COMPLETED:
        action = action_update(action=action, status=ActionStatus.COMPLETED, reason="completed")
    if _is_htmx(request):
        return _action_row(request, access, risk, action)
    messages.success(request, "Action marked completed.")
    return redirect(_risk_url(risk, f"action-{action.pk}"))


@login_required
@require_POST
def action_make_control(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, action = _action(request, org, ref, pk)
    _allow(access.can_edit_risk(risk), "turn actions into controls on this risk")
    try:
        control = action_to_control(action=action)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if _is_htmx(request):
            return _actions_section(request, access, risk, actions_message=message)
        messages.error(request, message[:1].upper() + message[1:] + ".")
        return redirect(_risk_url(risk, f"action-{action.pk}"))
    if _is_htmx(request):
        return render(
            request,
            "registers/partials/risk_treatments.html",
            _controls_context(access, risk, controls_message="Action moved to the controls.")
            | _actions_context(access, risk),
        )
    messages.success(request, "The completed action is now a control.")
    return redirect(_risk_url(risk, f"control-{control.pk}"))


@login_required
@GET_POST
def action_remove_view(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, action = _action(request, org, ref, pk)
    _allow(access.can_edit_risk(risk), "remove actions from this risk")
    if request.method == "POST":
        action_remove(action=action, reason="removed")
        if _is_htmx(request):
            return _actions_section(request, access, risk, actions_message="Action removed.")
        messages.success(request, "Action removed.")
        return redirect(_risk_url(risk, "actions"))
    action.removing = True
    if _is_htmx(request):
        return _action_row(request, access, risk, action)
    return _action_page(request, access, risk, action)


RISK = "o/<slug:org>/risks/<str:ref>/"
urlpatterns = [
    path(RISK, risk_detail, name="risk"),
    path(f"{RISK}history/", risk_history, name="risk_history"),
    path(f"{RISK}edit/", risk_edit, name="risk_edit"),
    path(f"{RISK}review/", risk_review, name="risk_review"),
    path(f"{RISK}close/", risk_close_view, name="risk_close"),
    path(f"{RISK}reopen/", risk_reopen_view, name="risk_reopen"),
    path(f"{RISK}controls/add/", control_add_view, name="control_add"),
    path(f"{RISK}controls/<int:pk>/", control_detail, name="control"),
    path(f"{RISK}controls/<int:pk>/edit/", control_edit, name="control_edit"),
    path(f"{RISK}controls/<int:pk>/remove/", control_remove_view, name="control_remove"),
    path(f"{RISK}actions/add/", action_add_view, name="action_add"),
    path(f"{RISK}actions/<int:pk>/", action_detail, name="action"),
    path(f"{RISK}actions/<int:pk>/edit/", action_edit, name="action_edit"),
    path(f"{RISK}actions/<int:pk>/complete/", action_complete, name="action_complete"),
    path(f"{RISK}actions/<int:pk>/make-control/", action_make_control, name="action_to_control"),
    path(f"{RISK}actions/<int:pk>/remove/", action_remove_view, name="action_remove"),
    path("o/<slug:org>/registers/<slug:register>/risks/new/", risk_create_view, name="risk_create"),
    path(
        "o/<slug:org>/registers/<slug:register>/rating-preview/",
        risk_rating_preview,
        name="risk_rating_preview",
    ),
]
