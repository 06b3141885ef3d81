"""Which organisation's identity provider signs in an e-mail address (home-realm discovery), and
the provider as django-allauth sees it (a ``SocialApp`` built from our row, never saved)."""

from __future__ import annotations

from allauth.socialaccount.models import SocialApp
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from riskreg import mail

from . import secrets
from .models import SingleSignOnProvider

# allauth's provider for every organisation's OpenID Connect sign-in.
OIDC = "openid_connect"


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def provider_for_email(email: str) -> SingleSignOnProvider | None:
    """The provider covering this address's domain, if any (a domain has at most one)."""
    domain = email_domain(email)
    if not domain:
        return None
    return (
        SingleSignOnProvider.objects.filter(domains__domain=domain)
        .select_related("organisation")
        .first()
    )


def provider_by_key(key: str) -> SingleSignOnProvider | None:
    return SingleSignOnProvider.objects.select_related("organisation").filter(key=key).first()


def redirect_uri(provider: SingleSignOnProvider) -> str:
    """The address the provider sends people back to, as it must be registered with the
    provider (Entra calls it the redirect URI; others, the callback URL). Built from
    RISKREG_BASE_URL, the address people use; allauth builds the one it sends from the request,
    which is the same behind a correctly configured proxy."""
    return mail.absolute(reverse("openid_connect_callback", kwargs={"provider_id": provider.key}))


def secret_source(provider: SingleSignOnProvider) -> str:
    """Where the client secret comes from, in words a page or the command may show (never the
    secret itself)."""
    if provider.client_secret_env:
        return f"from the environment variable {provider.client_secret_env}"
    return "stored encrypted"


def secret_problem(provider: SingleSignOnProvider) -> str | None:
    """Why the secret cannot be read here (the variable unset, the key changed), or None."""
    try:
        client_secret(provider)
    except ImproperlyConfigured as error:
        return str(error)
    return None


def client_secret(provider: SingleSignOnProvider) -> str:
    if provider.client_secret_env:
        return secrets.from_environment(provider.client_secret_env)
    return secrets.decrypt(provider.client_secret_encrypted)


def social_app(provider: SingleSignOnProvider) -> SocialApp:
    """allauth's view of the provider. A secret that cannot be read leaves the secret empty:
    the provider then refuses the sign-in, which allauth reports as a failed sign-in."""
    try:
        secret = client_secret(provider)
    except ImproperlyConfigured:
        secret = ""
    return SocialApp(
        provider=OIDC,
        provider_id=provider.key,
        name=provider.name,
        client_id=provider.client_id,
        secret=secret,
        settings={
            "server_url": provider.issuer.rstrip("/"),
            "organisation": provider.organisation_id,
            # Proof Key for Code Exchange: a code caught on its way back is no use to anyone
            # else. Entra ID, Google, Okta and Keycloak all take it.
            "oauth_pkce_enabled": True,
        },
    )


def providers_for_allauth(*, provider: str | None = None, client_id: str | None = None):
    """The row allauth asks for by its key (allauth's ``provider_id``), and no other. Asked for
    them all (its "connect another account" list on /accounts/3rdparty/), it gets none: every
    organisation's providers listed to anyone signed in would tell them which organisations use
    riskreg and with whom. Nobody connects a provider from there: the sign-in page does it."""
    if not provider or provider == OIDC:
        return []
    rows = SingleSignOnProvider.objects.select_related("organisation").filter(key=provider)
    if client_id:
        rows = rows.filter(client_id=client_id)
    return list(rows)
