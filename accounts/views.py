"""Signing in: the e-mail address first, then the organisation's provider or the password."""

from __future__ import annotations

import logging
from urllib.error import URLError

import requests
from allauth.account.views import LoginView, LogoutView
from allauth.mfa.models import Authenticator
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path
from onelogin.saml2.errors import OneLogin_Saml2_Error

from riskreg.security import client_ip

from . import saml_endpoints, second_factor, sso, sso_settings
from .account_page import account, account_reminders
from .forms import SignInForm
from .invitations import invitation_accept_page
from .middleware import needs_second_factor, second_factor_required

log = logging.getLogger("riskreg.security")

PROVIDER_UNREACHABLE = (
    "{organisation}'s sign-in service ({issuer}) could not be reached, so you cannot be signed "
    "in with it just now. Try again in a few minutes; if it keeps happening, tell your IT "
    "service desk."
)
PROVIDER_UNREACHABLE_HEADING = "Your organisation's sign-in service is not answering"


class SignInView(LoginView):
    form_class = SignInForm
    template_name = "account/login.html"

    def get_form_class(self):
        return SignInForm

    def form_valid(self, form) -> HttpResponse:
        if form.sso_provider is not None:
            return self._to_provider(form.sso_provider, form.cleaned_data["login"])
        if form.needs_password:
            return self.render_to_response(self.get_context_data(form=form, step="password"))
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        if "step" not in context:
            asked = self.request.method == "POST" and form.data.get("password") is not None
            context["step"] = "password" if asked or form.errors.get("password") else "email"
        return context

    def _to_provider(self, row, email: str) -> HttpResponse:
        provider = get_social_adapter(self.request).get_provider(self.request, row.key)
        log.info(
            "single sign-on started: provider=%s ip=%s", row.key, client_ip(self.request) or "-"
        )
        # SAML has no login_hint; allauth's SAML provider builds the AuthnRequest to the
        # identity provider's single sign-on URL (its metadata's, fetched and cached, if set).
        hint = {} if sso.is_saml(row) else {"auth_params": {"login_hint": email}}
        failures = (requests.RequestException, OAuth2Error, ValueError)
        if sso.is_saml(row):
            # python3-saml's metadata fetch raises URLError, a bare Exception for an answer that
            # is not metadata, and KeyError for metadata that does not name the entity ID.
            failures = (URLError, OneLogin_Saml2_Error, Exception)
        try:
            response = provider.redirect(
                self.request, "login", next_url=self.get_success_url() or None, **hint
            )
        except failures as error:
            log.warning(
                "single sign-on provider unreachable: provider=%s error=%s",
                row.key,
                error.__class__.__name__,
            )
            message = PROVIDER_UNREACHABLE.format(
                organisation=row.organisation.display_name, issuer=row.issuer
            )
            return render(
                self.request,
                "accounts/sso_refused.html",
                {"message": message, "heading": PROVIDER_UNREACHABLE_HEADING},
                status=503,
            )
        if response.status_code != 302:
            return response  # allauth's own page for a provider that refused the request
        # A page that moves on by itself rather than a redirect: the sign-in form's
        # Content-Security-Policy (form-action 'self') stops a form's redirect to another site.
        response = render(
            self.request,
            "accounts/sso_continue.html",
            {"provider": row, "provider_url": response["Location"]},
        )
        response["Cache-Control"] = "no-store"
        return response


sign_in = SignInView.as_view()


@login_required
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    """Where a person whose organisation requires a second factor is sent until they have one."""
    methods = set(Authenticator.objects.filter(user=request.user).values_list("type", flat=True))
    return render(
        request,
        "accounts/second_factor_setup.html",
        {
            "required": second_factor_required(request.user),
            "outstanding": needs_second_factor(request),
            "has_totp": Authenticator.Type.TOTP in methods,
            "has_webauthn": Authenticator.Type.WEBAUTHN in methods,
        },
    )


urlpatterns = [
    path("login/", sign_in, name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("accounts/login/", sign_in, name="account_login"),
    path("accounts/second-factor/", second_factor_setup, name="second_factor_setup"),
    # "Your account" (accounts/account_page.py).
    path("accounts/you/", account, name="account"),
    path("accounts/you/reminders/<slug:org>/", account_reminders, name="account_reminders"),
    # Before allauth's: its SAML metadata and answer-finishing views, with riskreg's SAML key
    # pair's additions (accounts/saml_endpoints.py).
    *saml_endpoints.urlpatterns,
    path("accounts/", include("allauth.urls")),
    # Two-factor sign-in: the organisation's rule, an admin's reset of a member's.
    *second_factor.urlpatterns,
    path("invitations/<str:token>/", invitation_accept_page, name="invitation_accept"),
    # An organisation admin's single sign-on connections (accounts/sso_settings.py).
    *sso_settings.urlpatterns,
]
