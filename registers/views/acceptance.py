"""Risk acceptance (issue 17): accept a risk above its tolerance until a date, withdraw an
acceptance (both POSTs from the risk page), and the admins' setting of who may accept.

Objects come through ``registers.permissions`` (404 outside the member's organisation);
``OrganisationAccess.can_accept_risk`` decides who may accept (403 otherwise). Bad input is
answered 400 with the risk page and its error summary; the writes are
``registers.services.acceptance``'s."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from riskreg.forms import posted

from .. import permissions
from ..forms_acceptance import AcceptanceAuthorityForm, AcceptForm, WithdrawAcceptanceForm
from ..models import Organisation
from ..services.acceptance import (
    AUTHORITY_REASON,
    acceptance_authority_set,
    long_date,
    open_acceptance,
    risk_accept,
    risk_acceptance_withdraw,
)
from .risk_common import RISK, fetch_risk, render_risk_page, risk_url

ACCEPT_REFUSED = "accept this risk above its tolerance"
ACCEPTED_MESSAGE = "{ref} accepted above its tolerance until {date}."
WITHDRAWN_MESSAGE = "Acceptance of {ref} withdrawn: it shows as in breach of appetite again."
NOTHING_TO_WITHDRAW = "{ref} has no acceptance to withdraw."
ADMINS_ONLY = "Only an organisation admin chooses who may accept a risk above tolerance."
AUTHORITY_SAVED = "Saved: who may accept a risk above tolerance."
AUTHORITY_UNCHANGED = "No change: the setting was already as given."
HISTORY_SHOWN = 10


def _refuse(access, risk) -> None:
    if not access.can_accept_risk(risk):
        raise PermissionDenied(f"You may not {ACCEPT_REFUSED}.")


@login_required
@require_POST
def risk_accept_view(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    _refuse(access, risk)
    form = AcceptForm(posted(request), auto_id="accept-%s")
    if form.is_valid():
        try:
            acceptance = risk_accept(
                risk=risk,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expires_on=form.cleaned_data["expires_on"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                ACCEPTED_MESSAGE.format(ref=risk.ref, date=long_date(acceptance.expires_on)),
            )
            return redirect(risk_url(risk, "acceptance"))
    form.error_anchor = "accept-reason"
    return render_risk_page(request, access, risk, status=400, accept_form=form)


@login_required
@require_POST
def risk_acceptance_withdraw_view(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    _refuse(access, risk)
    acceptance = open_acceptance(risk)
    if acceptance is None:
        messages.info(request, NOTHING_TO_WITHDRAW.format(ref=risk.ref))
        return redirect(risk_url(risk, "acceptance"))
    form = WithdrawAcceptanceForm(posted(request), auto_id="withdraw-acceptance-%s")
    if form.is_valid():
        try:
            risk_acceptance_withdraw(
                acceptance=acceptance, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, WITHDRAWN_MESSAGE.format(ref=risk.ref))
            return redirect(risk_url(risk, "acceptance"))
    return render_risk_page(request, access, risk, status=400, withdraw_acceptance_form=form)


def authority_history(organisation: Organisation) -> list:
    """The organisation's changes of who may accept, newest first (its history records whose
    reason the service wrote): one query."""
    prefix = AUTHORITY_REASON.split("{", 1)[0]
    return list(
        Organisation.history.filter(id=organisation.id, history_change_reason__startswith=prefix)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:HISTORY_SHOWN]
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_acceptance(request: HttpRequest, org: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if not access.is_admin:
        raise PermissionDenied(ADMINS_ONLY)
    organisation = access.organisation
    form = AcceptanceAuthorityForm(posted(request), organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            changed = acceptance_authority_set(
                organisation=organisation,
                by=request.user,
                authority=form.cleaned_data["authority"],
                approvers=form.cleaned_data["approvers"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, AUTHORITY_SAVED if changed else AUTHORITY_UNCHANGED)
            return redirect("settings_acceptance", org=organisation.slug)
    return render(
        request,
        "registers/settings_acceptance.html",
        {
            "access": access,
            "organisation": organisation,
            "form": form,
            "changes": authority_history(organisation),
        },
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path(f"{RISK}accept/", risk_accept_view, name="risk_accept"),
    path(
        f"{RISK}accept/withdraw/",
        risk_acceptance_withdraw_view,
        name="risk_acceptance_withdraw",
    ),
    path("o/<slug:org>/settings/acceptance/", settings_acceptance, name="settings_acceptance"),
]
