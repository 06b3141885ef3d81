"""A person whose organisation requires a second factor sets one up before anything else.

Organisations choose who must (``Organisation.second_factor_required``): nobody, admins and
risk coordinators, or everyone. Someone who must and has neither an authenticator app nor a
security key is sent to the two-factor setup page from every page except the ones needed to set
it up or to leave (allauth's account pages, sign-out, static files). A session that signed in
through the organisation's own identity provider is held to that provider's rules instead (it
is where Entra ID and the like enforce their second factor), so it is not asked twice.

A "nothing needed" answer is worked out at sign-in, kept in the session and worked out again
every ``RECHECK_SECONDS``, so pages cost no query; an admin's reset of someone's second factor,
or a new rule, reaches their open sessions within that time."""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db.models import Q
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
            Q(organisation__second_factor_required=SecondFactorRule.EVERYONE)
            | Q(
                organisation__second_factor_required=SecondFactorRule.ADMINS_AND_COORDINATORS,
                role__in=(Role.ADMIN, Role.COORDINATOR),
            )
        )
        .exists()
    )


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(
        user=user, type__in=(Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
    ).exists()


def _signed_in_by_provider(request: HttpRequest) -> bool:
    # allauth returns no records unless it is told whose (65.22: user=None gives []).
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "socialaccount" for record in records)


def needs_second_factor(request: HttpRequest) -> bool:
    user = request.user
    if _signed_in_by_provider(request):
        return False
    return second_factor_required(user) and not has_second_factor(user)


def remember(request: HttpRequest) -> bool:
    """Work the answer out now; keep "nothing needed" in the session. True if one is needed."""
    if needs_second_factor(request):
        request.session.pop(SESSION_KEY, None)
        return True
    request.session[SESSION_KEY] = time.time()
    return False


def on_signed_in(sender, request, user, **kwargs) -> None:
    """At sign-in (``user_logged_in``), so that pages cost no query until the recheck is due."""
    if request is not None and hasattr(request, "session"):
        request.user = user
        remember(request)


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
            # "Needed" is never remembered: the page after setting one up lets them through.
            if (not checked_at or time.time() - checked_at > RECHECK_SECONDS) and remember(request):
                return redirect("second_factor_setup")
        return self.get_response(request)
