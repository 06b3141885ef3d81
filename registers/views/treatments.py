"""Controls and mitigating actions on the risk page, added and edited in place (htmx) or by plain
forms that redirect back (JavaScript off)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import models as forms_models
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from .. import permissions
from ..form_values import as_posted
from ..forms import ActionForm, ControlForm
from ..forms_treatments import (
    ActionCompleteForm,
    ActionEditForm,
    ActionProgressEditForm,
    ControlEditForm,
)
from ..merging import KEEP_MINE, KEEP_THEIRS
from ..models import ActionStatus
from ..services.risks import (
    action_add,
    control_add,
)
from ..services.treatments import (
    ACTION_OWNER_FIELDS,
    CHOOSE_A_VALUE,
    TreatmentConflict,
    action_remove,
    action_to_control,
    action_update,
    control_remove,
    control_update,
)
from .risk_common import (
    GET_POST,
    RISK,
    actions_context,
    allow,
    allow_owned,
    allow_sensitive,
    controls_context,
    date_value,
    fetch_risk,
    is_htmx,
    new_action_form,
    new_control_form,
    render_risk_page,
    risk_url,
)

# --- two people editing one control or action ---------------------------------------------------

CONTROL_FORM_FIELDS = ("description", "owner", "effectiveness", "assurance")
ACTION_FORM_FIELDS = (
    "description",
    "owner",
    "due_date",
    "status",
    "priority",
    "difficulty",
    "progress_note",
)


def _shown(form, name: str, value, people: dict) -> str:
    """A value of one side of a conflict as the person reads it: names, labels, dates."""
    if value in (None, ""):
        return "Not set"
    if name == "owner":
        return people.get(value, "Someone who has left")
    if isinstance(value, dt.date):
        return date_value(value)
    if isinstance(value, Decimal):  # an indicator's threshold: 12.000 stored, 12 typed
        return format(value.normalize(), "f")
    choices = getattr(form.fields[name], "choices", None)
    if choices is not None and not isinstance(form.fields[name], forms_models.ModelChoiceField):
        return str(dict(choices).get(value, value))
    return str(value)


def conflict_form(form_class, exc: TreatmentConflict, row, opened_version: int, kwargs: dict):
    """The edit form again after a conflict, holding what the person typed (and their
    colleague's changes to the fields only the colleague changed), still at the version they
    opened; and what the page says about the fields both changed, with a choice for each."""
    names = [name for name in form_class.base_fields if name not in ("version", "choices_at")]
    data = {name: as_posted(getattr(row, name)) for name in names}
    data |= {name: as_posted(value) for name, value in exc.merged.items()}
    data |= {"version": str(opened_version), "choices_at": str(exc.current.version)}
    data |= {f"keep-{name}": choice for name, choice in exc.chosen.items()}
    form = form_class(data, **kwargs)
    form.is_valid()
    people = {}
    owner = next((c for c in exc.conflicts if c.name == "owner"), None)
    if owner is not None:
        ids = [pk for pk in (owner.base, owner.mine, owner.theirs) if pk is not None]
        people = {u.pk: u.display_name for u in get_user_model().objects.filter(pk__in=ids)}
    rows = []
    for conflict in exc.conflicts:
        label = str(form[conflict.name].label)
        missing = conflict.name in exc.unchosen
        if missing:
            message = CHOOSE_A_VALUE.format(field=label.lower())
            form.add_error(None, message)
            form.error_anchors[message] = f"{form_class.noun}-{row.pk}-keep-{conflict.name}"
        rows.append(
            {
                "name": conflict.name,
                "label": label,
                "opened": (
                    _shown(form, conflict.name, conflict.base, people)
                    if exc.base_known
                    else "Not known"
                ),
                "theirs": _shown(form, conflict.name, conflict.theirs, people),
                "mine": _shown(form, conflict.name, conflict.mine, people),
                "choice": exc.chosen.get(conflict.name, ""),
                "error": CHOOSE_A_VALUE.format(field=label.lower()) if missing else "",
            }
        )
    noun = form_class.noun
    return form, {
        "noun": noun,
        "prefix": f"{noun}-{row.pk}",
        "by": ", ".join(exc.by) or "Someone else",
        "rows": rows,
        "keep_theirs": KEEP_THEIRS,
        "keep_mine": KEEP_MINE,
    }


SAVED_WITH_CHOICES = "{noun} saved with the values you chose where you both changed a field."
SAVED_KEEPING_THEIRS = (
    "{noun} saved, keeping the changes someone else saved while you were editing."
)


def saved_message(noun: str, opened_version: int, saved, *, chose: bool = False) -> str:
    if chose:  # they may have chosen their own value over the other person's
        return SAVED_WITH_CHOICES.format(noun=noun)
    if saved.version - 1 != opened_version:
        return SAVED_KEEPING_THEIRS.format(noun=noun)
    return f"{noun} saved."


# --- controls ---------------------------------------------------------------------------------


def _control(request, org: str, ref: str, pk: int):
    access, risk = fetch_risk(request, org, ref)
    control = permissions.control_for_user(user=request.user, risk=risk, pk=pk)
    control.risk = risk
    return access, risk, control


def _control_row(request, access, risk, control) -> HttpResponse:
    """The control's row alone, drawn as the risk page draws it (its "Comment" link too)."""
    return render(
        request,
        "registers/partials/control_rows.html",
        controls_context(access, risk, controls=[control]),
    )


def _add_form(request, kind: str, access, risk, form) -> HttpResponse:
    response = render(
        request,
        "registers/partials/treatment_add_form.html",
        {"organisation": access.organisation, "risk": risk, "kind": kind, "form": form},
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _controls_section(request, access, risk, **state) -> HttpResponse:
    return render(
        request,
        "registers/partials/control_section.html",
        controls_context(access, risk, **state),
    )


@login_required
@GET_POST
def control_add_view(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    allow(
        access.can_edit_risk(risk),
        "add controls to this risk",
        register=risk.register,
        access=access,
    )
    if request.method == "GET":
        # htmx: the form alone, swapped into the risk page's "Add a control" details when they
        # are first opened; without JavaScript: the risk page with the form open.
        if is_htmx(request):
            return _add_form(request, "control", access, risk, new_control_form(access))
        return render_risk_page(request, access, risk, control_form_open=True)
    form = ControlForm(request.POST, organisation=access.organisation, auto_id="new-control-%s")
    if form.is_valid():
        try:
            control = control_add(risk=risk, position=risk.controls.count(), **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if is_htmx(request):
                return _controls_section(request, access, risk, controls_message="Control added.")
            messages.success(request, "Control added.")
            return redirect(risk_url(risk, f"control-{control.pk}"))
    if is_htmx(request):
        return _controls_section(request, access, risk, control_form=form)
    return render_risk_page(request, access, risk, control_form=form)


@login_required
@require_GET
def control_detail(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, control = _control(request, org, ref, pk)
    allow_sensitive(access, risk)
    if is_htmx(request):
        return _control_row(request, access, risk, control)
    return redirect(risk_url(risk, f"control-{control.pk}"))


def _control_page(request, access, risk, control) -> HttpResponse:
    controls = [control if c.pk == control.pk else c for c in risk.controls.select_related("owner")]
    return render_risk_page(request, access, risk, controls=controls)


@login_required
@GET_POST
def control_edit(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, control = _control(request, org, ref, pk)
    allow(
        access.can_update_control(control),
        "change this control",
        register=risk.register,
        access=access,
    )
    kwargs = {
        "organisation": access.organisation,
        "keep": [control.owner_id],
        "auto_id": f"control-{control.pk}-%s",
    }
    if request.method == "GET":
        initial = {name: getattr(control, name) for name in CONTROL_FORM_FIELDS}
        initial |= {"owner": control.owner_id, "version": control.version}
        control.edit_form = ControlEditForm(initial=initial, **kwargs)
    else:
        form = ControlEditForm(request.POST, **kwargs)
        if form.is_valid():
            opened = form.cleaned_data["version"]
            try:
                control = control_update(
                    control=control,
                    expected_version=opened,
                    choices=form.choices(),
                    choices_at=form.cleaned_data["choices_at"],
                    **form.changes(),
                )
            except TreatmentConflict as exc:
                form, control.conflict = conflict_form(
                    ControlEditForm, exc, control, opened, kwargs
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if is_htmx(request):
                    return _control_row(request, access, risk, control)
                messages.success(
                    request,
                    saved_message("Control", opened, control, chose=bool(form.choices())),
                )
                return redirect(risk_url(risk, f"control-{control.pk}"))
        control.edit_form = form
    if is_htmx(request):
        return _control_row(request, access, risk, control)
    return _control_page(request, access, risk, control)


@login_required
@GET_POST
def control_remove_view(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, control = _control(request, org, ref, pk)
    allow(
        access.can_update_control(control),
        "remove this control",
        register=risk.register,
        access=access,
    )
    if request.method == "POST":
        control_remove(control=control, reason="removed")
        if is_htmx(request):
            return _controls_section(request, access, risk, controls_message="Control removed.")
        messages.success(request, "Control removed.")
        return redirect(risk_url(risk, "controls"))
    control.removing = True
    if is_htmx(request):
        return _control_row(request, access, risk, control)
    return _control_page(request, access, risk, control)


# --- actions ----------------------------------------------------------------------------------


def _action(request, org: str, ref: str, pk: int):
    access, risk = fetch_risk(request, org, ref)
    action = permissions.action_for_user(user=request.user, risk=risk, pk=pk)
    action.risk = risk
    return access, risk, action


def _action_row(request, access, risk, action) -> HttpResponse:
    """The action's row alone, drawn as the risk page draws it (its "Comment" link too)."""
    context = actions_context(access, risk, actions=[action])
    # The row's width when edited in place: the table has the column whenever a row is editable,
    # and this one is (or it would not be swapped).
    context["any_action_updatable"] = True
    return render(request, "registers/partials/action_rows.html", context)


def _actions_section(request, access, risk, **state) -> HttpResponse:
    return render(
        request,
        "registers/partials/action_section.html",
        actions_context(access, risk, **state),
    )


def _action_form(access, action, full: bool):
    """Risk editors change every field; an action's owner only its status and progress."""
    kwargs = {
        "organisation": access.organisation,
        "keep": [action.owner_id],
        "auto_id": f"action-{action.pk}-%s",
    }
    return (ActionEditForm if full else ActionProgressEditForm), kwargs


def _action_page(request, access, risk, action) -> HttpResponse:
    actions = [action if a.pk == action.pk else a for a in risk.actions.select_related("owner")]
    return render_risk_page(request, access, risk, actions=actions)


@login_required
@GET_POST
def action_add_view(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    allow(
        access.can_edit_risk(risk),
        "add actions to this risk",
        register=risk.register,
        access=access,
    )
    if request.method == "GET":
        if is_htmx(request):  # as control_add_view
            return _add_form(request, "action", access, risk, new_action_form(access))
        return render_risk_page(request, access, risk, action_form_open=True)
    form = ActionForm(request.POST, organisation=access.organisation, auto_id="new-action-%s")
    if form.is_valid():
        try:
            action = action_add(risk=risk, position=risk.actions.count(), **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if is_htmx(request):
                return _actions_section(request, access, risk, actions_message="Action added.")
            messages.success(request, "Action added.")
            return redirect(risk_url(risk, f"action-{action.pk}"))
    if is_htmx(request):
        return _actions_section(request, access, risk, action_form=form)
    return render_risk_page(request, access, risk, action_form=form)


@login_required
@require_GET
def action_detail(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, action = _action(request, org, ref, pk)
    allow_sensitive(access, risk)
    if is_htmx(request):
        return _action_row(request, access, risk, action)
    return redirect(risk_url(risk, f"action-{action.pk}"))


def _allow_action_update(access, risk, action) -> None:
    """The action's owner, the risk's editors; the refusal says which (decision 116: and that an
    uncleared owner may not)."""
    allow_owned(
        access.can_update_action(action),
        "update this action",
        item=action,
        noun="action",
        risk=risk,
        access=access,
    )


@login_required
@GET_POST
def action_edit(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    """Risk editors change every field; an action's owner only its status and progress."""
    access, risk, action = _action(request, org, ref, pk)
    _allow_action_update(access, risk, action)
    full = access.can_edit_risk(risk)
    form_class, kwargs = _action_form(access, action, full)
    if request.method == "GET":
        initial = {name: getattr(action, name) for name in ACTION_FORM_FIELDS}
        initial |= {"owner": action.owner_id, "version": action.version}
        action.edit_form = form_class(initial=initial, **kwargs)
    else:
        form = form_class(request.POST, **kwargs)
        if form.is_valid():
            opened = form.cleaned_data["version"]
            fields = form.changes()
            if not full:
                fields = {k: v for k, v in fields.items() if k in ACTION_OWNER_FIELDS}
            try:
                reason = "edited" if full else "progress updated"
                action = action_update(
                    action=action,
                    expected_version=opened,
                    choices=form.choices(),
                    choices_at=form.cleaned_data["choices_at"],
                    reason=reason,
                    **fields,
                )
            except TreatmentConflict as exc:
                form, action.conflict = conflict_form(form_class, exc, action, opened, kwargs)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if is_htmx(request):
                    return _action_row(request, access, risk, action)
                messages.success(
                    request, saved_message("Action", opened, action, chose=bool(form.choices()))
                )
                return redirect(risk_url(risk, f"action-{action.pk}"))
        action.edit_form = form
    if is_htmx(request):
        return _action_row(request, access, risk, action)
    return _action_page(request, access, risk, action)


@login_required
@require_POST
def action_complete(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, action = _action(request, org, ref, pk)
    _allow_action_update(access, risk, action)
    posted = ActionCompleteForm(request.POST)
    if not posted.is_valid():
        return HttpResponseBadRequest("The page did not say which version of the action it showed.")
    opened = posted.cleaned_data["version"]
    if action.status != ActionStatus.COMPLETED:
        try:
            action = action_update(
                action=action,
                expected_version=opened,
                status=ActionStatus.COMPLETED,
                reason="completed",
            )
        except TreatmentConflict as exc:
            # Someone changed the status since the page was drawn (cancelled it, say): the
            # person sees the edit form with both statuses and chooses.
            full = access.can_edit_risk(risk)
            form_class, kwargs = _action_form(access, action, full)
            action.edit_form, action.conflict = conflict_form(
                form_class, exc, action, opened, kwargs
            )
            if is_htmx(request):
                return _action_row(request, access, risk, action)
            return _action_page(request, access, risk, action)
    if is_htmx(request):
        return _action_row(request, access, risk, action)
    messages.success(request, "Action marked completed.")
    return redirect(risk_url(risk, f"action-{action.pk}"))


@login_required
@require_POST
def action_make_control(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, action = _action(request, org, ref, pk)
    allow(
        access.can_edit_risk(risk),
        "turn actions into controls on this risk",
        register=risk.register,
        access=access,
    )
    try:
        control = action_to_control(action=action)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if is_htmx(request):
            return _actions_section(request, access, risk, actions_message=message)
        messages.error(request, message[:1].upper() + message[1:] + ".")
        return redirect(risk_url(risk, f"action-{action.pk}"))
    if is_htmx(request):
        return render(
            request,
            "registers/partials/risk_treatments.html",
            controls_context(access, risk, controls_message="Action moved to the controls.")
            | actions_context(access, risk),
        )
    messages.success(request, "The completed action is now a control.")
    return redirect(risk_url(risk, f"control-{control.pk}"))


@login_required
@GET_POST
def action_remove_view(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, action = _action(request, org, ref, pk)
    allow(
        access.can_edit_risk(risk),
        "remove actions from this risk",
        register=risk.register,
        access=access,
    )
    if request.method == "POST":
        action_remove(action=action, reason="removed")
        if is_htmx(request):
            return _actions_section(request, access, risk, actions_message="Action removed.")
        messages.success(request, "Action removed.")
        return redirect(risk_url(risk, "actions"))
    action.removing = True
    if is_htmx(request):
        return _action_row(request, access, risk, action)
    return _action_page(request, access, risk, action)


urlpatterns = [
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
]
