"""A person whose organisation requires a second factor sets one up before anything else.

Organisations choose who must (``Organisation.second_factor_required``): nobody, admins and
risk coordinators, or everyone. Someone who must and has neither an authenticator app nor a
security key is sent to the two-factor setup page from every page except the ones needed to set
it up or to leave (allauth's account pages, sign-out, static files). A session that signed in
through the organisation's own identity provider is held to that provider's rules instead (it
is where Entra ID and the like enforce their second factor), so it is not asked twice.

A "nothing needed" answer is kept in the session and worked out again every
``RECHECK_SECONDS``, so most pages cost no query; an admin's reset of someone's second factor,
or a new rule, reaches their open sessions within that time."""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from registers.models import Membership, Role, SecondFactorRule

SESSION_KEY = "riskreg_second_factor"
RECHECK_SECONDS = 300
# Pages a person without their required second factor may still use.
ALLOWED_PREFIXES = ("/accounts/", "/logout/", "/login/", "/healthz", "/invitations/")


def second_factor_required(user) -> bool:
    """Whether any organisation the person belongs to requires them to have a second factor."""
    return (
        Membership.objects.filter(user=user)
        .filter(
            organisation__second_factor_required=SecondFactorRule.EVERYONE,
        )
        .exists()
        or Membership.objects.filter(
            user=user,
            organisation__second_factor_required=SecondFactorRule.ADMINS_AND_COORDINATORS,
            role__in=(Role.ADMIN, Role.COORDINATOR),
        ).exists()
    )


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(
        user=user, type__in=(Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
    ).exists()


def _signed_in_by_provider(request: HttpRequest) -> bool:
    return any(
        record.get("method") == "socialaccount" for record in get_authentication_records(request)
    )


def needs_second_factor(request: HttpRequest) -> bool:
    user = request.user
    if _signed_in_by_provider(request):
        return False
    return second_factor_required(user) and not has_second_factor(user)


def forget(request: HttpRequest) -> None:
    """Work the answer out again on the next page (after setting up or removing a factor)."""
    request.session.pop(SESSION_KEY, None)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.static_url = settings.STATIC_URL

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith((*ALLOWED_PREFIXES, self.static_url))
        ):
            checked_at = request.session.get(SESSION_KEY)
            now = time.time()
            if not checked_at or now - checked_at > RECHECK_SECONDS:
                if needs_second_factor(request):
                    # Not remembered: the page after setting one up must let them through.
                    return redirect("second_factor_setup")
                request.session[SESSION_KEY] = now
        return self.get_response(request)
