"""The page an invitation e-mail's link opens (issue 14).

GET shows who invited the person to what, as which role, and the form for their name and a
password (and, where the organisation signs in people of their domain with its own identity
provider, a button to do that instead). POST accepts (``registers.services.invitations``) and
signs them in through allauth's own login flow, so its session bookkeeping (the record of how
they signed in, which two-factor setup and re-authentication read) runs as for any sign-in; they
land on the organisation's dashboard.

A link that cannot be used says why in plain words and how to ask for a new one: 410 for an
expired, used or withdrawn invitation, 404 for a token nobody holds. Attempts to accept are
throttled per client address (``ACCOUNT_RATE_LIMITS["invitation_accept"]``), before the token is
looked at, so a throttled guess learns nothing. The token never reaches a log line."""

from __future__ import annotations

import logging

from allauth.account.internal.flows.login import perform_password_login
from allauth.account.models import Login
from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from registers.models import Invitation, InvitationState
from registers.services.invitations import (
    ALREADY_HAS_ACCOUNT,
    invitation_accept,
    invitation_for_token,
    refusal_for,
    role_words,
)
from riskreg.forms import posted
from riskreg.security import client_ip

from . import sso
from .forms_invitations import InvitationAcceptForm

log = logging.getLogger("riskreg.security")

RATE_LIMIT_ACTION = "invitation_accept"
ACCEPT_THROTTLED = (
    "There have been too many attempts to accept invitations from your network in the last "
    "minute. Wait a minute, then try again: your invitation still works."
)
OTHER_ADDRESS = (
    "This invitation is for {invited}, but you are signed in as {current}. Sign out, then open "
    "the link again; or, if you want to join as {current}, ask the person who invited you to "
    "invite that address instead."
)
SSO_ONLY = (
    "{organisation} signs in people of {domain} with {provider}, not with a password: use the "
    "button below."
)

HEADINGS = {
    InvitationState.ACCEPTED: "This invitation has already been used",
    InvitationState.WITHDRAWN: "This invitation was withdrawn",
    InvitationState.EXPIRED: "This invitation has expired",
    None: "This invitation link is not valid",
}


def _refused(request: HttpRequest, invitation: Invitation | None, message: str) -> HttpResponse:
    state = invitation.state if invitation is not None else None
    log.info(
        "invitation link refused: invitation=%s reason=%s ip=%s",
        invitation.pk if invitation is not None else "-",
        state or "unknown",
        client_ip(request) or "-",
    )
    return render(
        request,
        "accounts/invitation_refused.html",
        {"heading": HEADINGS[state], "message": message, "invitation": invitation},
        status=404 if invitation is None else 410,
    )


def _provider(invitation: Invitation):
    """The organisation's own identity provider for the invitee's domain, if it has one."""
    provider = sso.provider_for_email(invitation.email)
    if provider is not None and provider.organisation_id == invitation.organisation_id:
        return provider
    return None


def _dashboard(invitation: Invitation) -> str:
    return reverse("organisation", args=[invitation.organisation.slug])


def _welcome(request: HttpRequest, invitation: Invitation) -> None:
    """The one banner they see: allauth's "Successfully signed in" is left out when the request
    is so marked (templates/account/messages/logged_in.txt)."""
    request.invitation_welcomed = True
    messages.success(
        request,
        f"Welcome to {invitation.organisation.display_name}: you are "
        f"{role_words(invitation.role, registers_limited=invitation.registers_limited)}.",
    )


def _context(invitation: Invitation, **extra) -> dict:
    return {
        "invitation": invitation,
        "organisation": invitation.organisation,
        "invited_by": invitation.invited_by,
        "role_words": role_words(invitation.role, registers_limited=invitation.registers_limited),
        "domain": sso.email_domain(invitation.email),
        **extra,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept_page(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST" and not ratelimit.consume(request, action=RATE_LIMIT_ACTION):
        log.warning("invitation acceptance throttled: ip=%s", client_ip(request) or "-")
        return render(
            request,
            "accounts/invitation_refused.html",
            {"heading": "Too many attempts", "message": ACCEPT_THROTTLED},
            status=429,
        )
    invitation = invitation_for_token(token)
    refusal = refusal_for(invitation)
    if refusal is not None:
        return _refused(request, invitation, refusal)
    if request.user.is_authenticated:
        return _signed_in(request, invitation)
    if get_user_model().objects.filter(email__iexact=invitation.email).exists():
        # An account was made for the address after the invitation went out.
        return render(
            request,
            "accounts/invitation_existing_account.html",
            _context(invitation, message=ALREADY_HAS_ACCOUNT.format(email=invitation.email)),
        )
    provider = _provider(invitation)
    password_allowed = provider is None or not provider.only_way_in
    form = None
    problem = ""
    if password_allowed:
        form = InvitationAcceptForm(posted(request), invitation=invitation)
    elif request.method == "POST":
        problem = SSO_ONLY.format(
            organisation=invitation.organisation.display_name,
            domain=sso.email_domain(invitation.email),
            provider=provider.name,
        )
    if form is not None and form.is_bound and form.is_valid():
        try:
            membership = invitation_accept(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                job_title=form.cleaned_data["job_title"].strip(),
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            _welcome(request, invitation)
            user = membership.user
            return perform_password_login(
                request,
                {"email": user.email},
                Login(user=user, redirect_url=_dashboard(invitation), email=user.email),
            )
    return render(
        request,
        "accounts/invitation_accept.html",
        _context(invitation, form=form, provider=provider, problem=problem),
    )


def _signed_in(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    """Someone already signed in: their own invitation is accepted with a button; anyone
    else's is not theirs to accept."""
    if request.user.email.lower() != invitation.email:
        log.warning(
            "invitation opened by someone else: invitation=%s user=%s ip=%s",
            invitation.pk,
            request.user.pk,
            client_ip(request) or "-",
        )
        return render(
            request,
            "accounts/invitation_refused.html",
            {
                "heading": "This invitation is for someone else",
                "message": OTHER_ADDRESS.format(
                    invited=invitation.email, current=request.user.email
                ),
                "sign_out": True,
            },
            status=403,
        )
    errors: list[str] = []
    if request.method == "POST":
        try:
            invitation_accept(
                invitation=invitation, full_name=request.user.full_name, user=request.user
            )
        except ValidationError as error:
            errors = error.messages
        else:
            _welcome(request, invitation)
            return redirect(_dashboard(invitation))
    return render(request, "accounts/invitation_join.html", _context(invitation, errors=errors))
