"""Escalation and de-escalation in the browser (MOPAC 1.6, Aberdeen 3.6).

- ``risk_escalate``: from the risk page, a coordinator or owner asks to move the risk up to its
  register's parent, or an editor of its register asks to move it down to a child register;
- ``register_escalations``: a register's requests, waiting for it, sent from it and decided;
- ``escalation_decide``: one request; the receiving register's coordinators accept it (choosing
  the new owner) or decline it (with a reason);
- ``escalation_withdraw``: the requester (or the sending register's editors) takes it back.

Thin views: the organisation, register and risk come through ``registers.permissions`` (404 for
anything outside the user's organisations) and an escalation only through the organisation the
access check returned; a member whose role does not allow a step gets 403; the rules are in
``registers.services.escalation``. Every change is a plain form POST, so the pages work without
JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from appetite.selectors import appetite_lookup
from riskreg.refusals import Refusal

from .. import permissions, selectors
from ..forms_escalation import AcceptForm, DeclineForm, EscalateForm
from ..models import Escalation, EscalationDirection, EscalationStatus, Register
from ..permissions import RISK_OWNER_ROLES
from ..services.escalation import (
    escalation_accept,
    escalation_decline,
    escalation_request,
    escalation_withdraw,
    pending_escalation,
)
from .risk_common import (
    GET_POST,
    RISK,
    WITHHELD,
    allow,
    allow_on_register,
    can_withdraw,
    fetch_risk,
    risk_url,
)

ESCALATION = "o/<slug:org>/escalations/<int:pk>/"
WITHDRAW_NOT_YOURS = (
    "Only the person who asked, or a coordinator of {register}, may withdraw this request."
)
NOTHING_ABOVE = "There is no register above {register} to escalate this risk to."
RECENT = 20
RELATED = (
    "risk",
    "risk__register",
    "risk__owner",
    "risk__category",
    "risk__scheme_version",
    "from_register",
    "to_register",
    "requested_by",
    "decided_by",
    "new_owner",
)


# --- helpers ----------------------------------------------------------------------------------


def _escalations(access):
    return Escalation.objects.filter(organisation=access.organisation).select_related(*RELATED)


def _escalation(access, pk: int) -> Escalation:
    """One escalation of the member's organisation (404 for anything else)."""
    escalation = _escalations(access).filter(pk=pk).first()
    if escalation is None:
        raise Http404("No such escalation")
    escalation.risk.organisation = access.organisation
    return escalation


def _options(access, risk, direction: str = "") -> list[tuple[str, Register]]:
    """(direction, register) for every move this member may ask for; only one direction's when
    ``direction`` names one that has any."""
    options: list[tuple[str, Register]] = []
    if access.can_escalate(risk):
        options.append((EscalationDirection.UP.value, risk.register.parent))
    if access.can_deescalate(risk):
        children = Register.objects.filter(
            organisation=access.organisation, parent=risk.register, archived_at__isnull=True
        ).order_by("name")
        options += [(EscalationDirection.DOWN.value, child) for child in children]
    chosen = [option for option in options if option[0] == direction]
    return chosen or options


def _heading(risk, options) -> str:
    directions = {direction for direction, _ in options}
    if directions == {EscalationDirection.DOWN}:
        return f"De-escalate {risk.ref}"
    if directions == {EscalationDirection.UP}:
        return f"Escalate {risk.ref}"
    return f"Escalate or de-escalate {risk.ref}"


def _escalation_url(escalation: Escalation, organisation) -> str:
    return reverse("escalation_decide", args=[organisation.slug, escalation.pk])


# --- asking -----------------------------------------------------------------------------------


def _allow_escalate(access, risk) -> None:
    """Refuse (403) asking to move ``risk``, saying why: its register is archived; it is a
    top-level register, with nowhere above to escalate to (and they do not coordinate it, so
    may not move risks down either); the risk is not theirs; or their role does not allow it."""
    if access.can_escalate(risk) or access.can_deescalate(risk):
        return
    register = risk.register
    if (
        register.archived_at is None
        and register.parent_id is None
        and access.role in RISK_OWNER_ROLES
    ):
        raise Refusal(NOTHING_ABOVE.format(register=register.name))
    allow(False, "escalate this risk", register=register, access=access)


@login_required
@GET_POST
def risk_escalate(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    _allow_escalate(access, risk)
    options = _options(access, risk, request.GET.get("direction", ""))
    data = request.POST.copy() if request.method == "POST" else None
    form = EscalateForm(data, options=options, initial={"version": risk.version}, auto_id="%s")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            direction, register = form.chosen()
            try:
                escalation = escalation_request(
                    risk=risk,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    direction=direction,
                    to_register=register,
                    expected_version=form.cleaned_data["version"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
                data["version"] = str(risk.version)  # a second send knows what it replaces
            else:
                noun = escalation.get_direction_display()
                messages.success(
                    request,
                    f"{noun} of {risk.ref} to {register.name} requested. {risk.ref} stays on "
                    f"{risk.register.name} until {register.name}'s coordinators accept or "
                    "decline it.",
                )
                return redirect(risk_url(risk))
        status = 400
    return render(
        request,
        "registers/escalation_form.html",
        {
            "access": access,
            "organisation": access.organisation,
            "risk": risk,
            "form": form,
            "options": options,
            "heading": _heading(risk, options),
            "pending": pending_escalation(risk),
            "can_see_detail": access.can_see_sensitive(risk),
            "row": selectors.risk_row(risk, appetite_lookup(organisation=access.organisation)),
        },
        status=status,
    )


# --- a register's requests ----------------------------------------------------------------------


@login_required
@require_GET
def register_escalations(request: HttpRequest, org: str, register: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    register_obj = permissions.register_for_user(
        user=request.user, organisation=access.organisation, slug=register
    )
    register_obj.organisation = access.organisation
    base = _escalations(access)
    waiting = list(
        base.filter(to_register=register_obj, status=EscalationStatus.PENDING).order_by(
            "requested_at", "id"
        )
    )
    sent = list(
        base.filter(from_register=register_obj, status=EscalationStatus.PENDING).order_by(
            "requested_at", "id"
        )
    )
    decided = list(
        base.filter(Q(to_register=register_obj) | Q(from_register=register_obj))
        .exclude(status=EscalationStatus.PENDING)
        .order_by("-decided_at", "-id")[:RECENT]
    )
    lookup = appetite_lookup(organisation=access.organisation)
    for escalation in (*waiting, *sent, *decided):
        escalation.risk.organisation = access.organisation
        escalation.detail_shown = access.can_see_sensitive(escalation.risk)
        escalation.current = selectors.risk_row(escalation.risk, lookup).current
    return render(
        request,
        "registers/escalations.html",
        {
            "access": access,
            "organisation": access.organisation,
            "register": register_obj,
            "waiting": waiting,
            "sent": sent,
            "decided": decided,
            "recent_limit": RECENT,
            "can_decide": access.can_edit_register(register_obj),
            "withheld_message": WITHHELD,
        },
    )


# --- one request: accept, decline, withdraw -----------------------------------------------------


@login_required
@GET_POST
def escalation_decide(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    escalation = _escalation(access, pk)
    risk = escalation.risk
    may_decide = access.can_decide_escalation(escalation)
    accept_form = decline_form = None
    problem, status = "", 200
    if request.method == "POST":
        allow_on_register(
            may_decide,
            f"decide on requests to move risks to {escalation.to_register.name}",
            register=escalation.to_register,
            access=access,
        )
        decision = request.POST.get("decision")
        data = request.POST.copy()
        try:
            if decision == "accept":
                accept_form = AcceptForm(data, organisation=access.organisation)
                if accept_form.is_valid():
                    chosen = accept_form.cleaned_data
                    moved = escalation_accept(
                        escalation=escalation,
                        user=request.user,
                        new_owner=chosen["new_owner"],
                        note=chosen["note"],
                        expected_version=chosen["version"],
                    )
                    messages.success(
                        request,
                        f"{moved.ref} is now on {escalation.to_register.name}, owned by "
                        f"{chosen['new_owner'].display_name}.",
                    )
                    return redirect(risk_url(moved))
            elif decision == "decline":
                decline_form = DeclineForm(data)
                if decline_form.is_valid():
                    chosen = decline_form.cleaned_data
                    escalation_decline(
                        escalation=escalation,
                        user=request.user,
                        note=chosen["note"],
                        expected_version=chosen["version"],
                    )
                    messages.success(
                        request,
                        f"Request declined: {risk.ref} stays on {escalation.from_register.name}.",
                    )
                    return redirect(
                        "register_escalations",
                        access.organisation.slug,
                        escalation.to_register.slug,
                    )
            else:
                problem = "Choose whether to accept or decline the request"
        except ValidationError as exc:
            form = accept_form if decision == "accept" else decline_form
            form.add_service_errors(exc)
        escalation = _escalation(access, pk)  # it may have been decided meanwhile
        risk = escalation.risk
        # The page now shows the risk as it is: a second send knowingly decides on it.
        for prefix in ("accept", "decline"):
            data[f"{prefix}-version"] = str(risk.version)
        status = 409 if escalation.status != EscalationStatus.PENDING else 400
    pending = escalation.status == EscalationStatus.PENDING
    if pending and may_decide:
        accept_form = accept_form or AcceptForm(
            organisation=access.organisation, initial={"version": risk.version}
        )
        decline_form = decline_form or DeclineForm(initial={"version": risk.version})
    else:
        # Decided (perhaps by someone else meanwhile): say why nothing changed; no forms.
        sent = accept_form or decline_form
        if sent is not None and not problem:
            problem = " ".join(sent.non_field_errors())
        accept_form = decline_form = None
    lookup = appetite_lookup(organisation=access.organisation)
    return render(
        request,
        "registers/escalation_detail.html",
        {
            "access": access,
            "organisation": access.organisation,
            "escalation": escalation,
            "risk": risk,
            "row": selectors.risk_row(risk, lookup),
            "pending": pending,
            "may_decide": may_decide,
            "may_withdraw": pending and can_withdraw(access, escalation),
            "accept_form": accept_form,
            "decline_form": decline_form,
            "problem": problem,
            "error_forms": [form for form in (accept_form, decline_form) if form and form.errors],
            "can_see_detail": access.can_see_sensitive(risk),
            "withheld_message": WITHHELD,
        },
        status=status,
    )


@login_required
@GET_POST
def escalation_withdraw_view(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    escalation = _escalation(access, pk)
    if not can_withdraw(access, escalation):
        if access.role in RISK_OWNER_ROLES:
            raise Refusal(WITHDRAW_NOT_YOURS.format(register=escalation.from_register.name))
        allow(False, "withdraw this request")
    if request.method == "GET":
        return redirect(_escalation_url(escalation, access.organisation))
    try:
        escalation_withdraw(
            escalation=escalation, user=request.user, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_escalation_url(escalation, access.organisation))
    messages.success(
        request,
        f"Request withdrawn: {escalation.risk.ref} stays on {escalation.from_register.name}.",
    )
    return redirect(risk_url(escalation.risk))


urlpatterns = [
    path(f"{RISK}escalate/", risk_escalate, name="risk_escalate"),
    path(
        "o/<slug:org>/registers/<slug:register>/escalations/",
        register_escalations,
        name="register_escalations",
    ),
    path(ESCALATION, escalation_decide, name="escalation_decide"),
    path(f"{ESCALATION}withdraw/", escalation_withdraw_view, name="escalation_withdraw"),
]
