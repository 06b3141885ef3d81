"""Which organisation's identity provider signs in an e-mail address (home-realm discovery), and
the provider as django-allauth sees it (a ``SocialApp`` built from our row, never saved)."""

from __future__ import annotations

from allauth.socialaccount.models import SocialApp
from django.core.exceptions import ImproperlyConfigured

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
        },
    )


def providers_for_allauth(*, provider: str | None = None, client_id: str | None = None):
    """The rows allauth asks for: all of them, or one by its key (allauth's ``provider_id``)."""
    rows = SingleSignOnProvider.objects.select_related("organisation")
    if provider and provider != OIDC:
        rows = rows.filter(key=provider)
    if client_id:
        rows = rows.filter(client_id=client_id)
    return list(rows)
