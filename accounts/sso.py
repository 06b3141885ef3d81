"""Which organisation's identity provider signs in an e-mail address (home-realm discovery), and
the provider as django-allauth sees it (a ``SocialApp`` built from our row, never saved)."""

from __future__ import annotations

import logging

from allauth.socialaccount.models import SocialApp
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from onelogin.saml2.constants import OneLogin_Saml2_Constants

from registers.models import Membership
from registers.selectors.sign_in import accounts_by_sign_in_address
from riskreg import mail

from . import saml_keys, secrets
from .models import SAML_EMAIL_ATTRIBUTES, Protocol, SingleSignOnProvider

log = logging.getLogger("riskreg.security")

# allauth's provider for every organisation's OpenID Connect sign-in.
OIDC = "openid_connect"
# allauth's provider for SAML 2.0; it finds an organisation's connection by ``client_id``, which
# for our rows is their key (the ``<key>`` in /accounts/saml/<key>/acs/).
SAML = "saml"
# Where the SAML subject's identifier comes from when the provider sends it as an attribute;
# otherwise its NameID.
SAML_UID_ATTRIBUTES = ["urn:oasis:names:tc:SAML:attribute:subject-id"]


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


def beyond_connection(provider: SingleSignOnProvider, user) -> bool:
    """Whether ``user``'s account is more than the connection's organisation's, so that its
    identity provider must not vouch for it (decision 114): a superuser's or a staff account
    (the installation's), or one that is a member of any other organisation. Whoever controls
    the organisation's provider could otherwise sign in as that person and reach the other
    organisation, whose admin never trusted that provider. A connection belongs to one
    organisation, so no other organisation trusts it. One query (none for no account)."""
    if user is None:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return (
        Membership.objects.filter(user=user)
        .exclude(organisation_id=provider.organisation_id)
        .exists()
    )


def beyond_organisation(organisation_id: int) -> Q:
    """``beyond_connection``'s test as a filter on accounts, to ask it of a domain's accounts
    at once: a superuser's or a staff account, or a member of an organisation other than
    ``organisation_id``. Before a connection takes a domain (``services_sso``), no such account
    may have an address of it."""
    elsewhere = Membership.objects.filter(user=OuterRef("pk")).exclude(
        organisation_id=organisation_id
    )
    return Q(is_superuser=True) | Q(is_staff=True) | Q(Exists(elsewhere))


def provider_for_address(email: str) -> SingleSignOnProvider | None:
    """The provider the sign-in page's address step sends this address to: the one covering
    its domain, unless the address is a superuser's or a staff account's (decision 133). The
    provider may never sign those in (``beyond_connection``), so sending them there only
    showed the installation's own people an organisation's page asking for their password. A
    member of another organisation still goes to the provider: the step does not tell whose an
    address is (decision 114, amended). One query, two for an address of a connected domain."""
    provider = provider_for_email(email)
    if provider is None:
        return None
    accounts = accounts_by_sign_in_address(email=email)
    if any(account.is_superuser or account.is_staff for account in accounts):
        return None
    return provider


def provider_for_user(user) -> SingleSignOnProvider | None:
    """The provider that signs in this account: the one covering its address's domain, unless
    the account is beyond that connection (``beyond_connection``), whose person signs in with
    their riskreg password (and second factor) instead, whatever the connection's "single
    sign-on only" says. The sign-in page's address step never asks this (it would tell whose
    an address is, decision 114, amended); the authentication backend does, once a password
    is posted."""
    provider = provider_for_email(user.email)
    return None if provider is None or beyond_connection(provider, user) else provider


def provider_by_key(key: str) -> SingleSignOnProvider | None:
    return SingleSignOnProvider.objects.select_related("organisation").filter(key=key).first()


def redirect_uri(provider: SingleSignOnProvider) -> str:
    """The address the provider sends people back to, as it must be registered with the
    provider (Entra calls it the redirect URI; others, the callback URL). Built from
    RISKREG_BASE_URL, the address people use; allauth builds the one it sends from the request,
    which is the same behind a correctly configured proxy."""
    return mail.absolute(reverse("openid_connect_callback", kwargs={"provider_id": provider.key}))


def is_saml(provider: SingleSignOnProvider) -> bool:
    return provider.protocol == Protocol.SAML


def saml_acs_url(provider: SingleSignOnProvider) -> str:
    """Where the SAML identity provider posts its answer (its "Assertion Consumer Service URL",
    Entra's "Reply URL"), to be registered with it."""
    return mail.absolute(reverse("saml_acs", kwargs={"organization_slug": provider.key}))


def saml_metadata_url(provider: SingleSignOnProvider) -> str:
    """riskreg's SAML metadata for this connection, which most identity providers can read
    instead of being told the entity ID and ACS URL one by one."""
    return mail.absolute(reverse("saml_metadata", kwargs={"organization_slug": provider.key}))


def saml_entity_id(provider: SingleSignOnProvider) -> str:
    """riskreg's SAML entity ID for this connection (Entra's "Identifier"): the metadata's
    address, built from RISKREG_BASE_URL so it is the same whatever Host a request carried."""
    return saml_metadata_url(provider)


def saml_email_attributes(provider: SingleSignOnProvider) -> list[str]:
    return provider.saml_email_attribute.split() or SAML_EMAIL_ATTRIBUTES.split()


def saml_certificate_words(provider: SingleSignOnProvider) -> str:
    """Whose signing certificate and until when, for someone checking it is the right one."""
    from cryptography import x509

    try:
        certificate = x509.load_pem_x509_certificate(provider.saml_certificate.encode("ascii"))
    except ValueError:
        return "unreadable"
    return (
        f"{certificate.subject.rfc4514_string()}, valid until "
        f"{certificate.not_valid_after_utc:%Y-%m-%d}"
    )


def login_url(provider: SingleSignOnProvider) -> str:
    """Where the sign-in page sends an address of a domain the provider covers."""
    if is_saml(provider):
        return reverse("saml_login", kwargs={"organization_slug": provider.key})
    return reverse("openid_connect_login", kwargs={"provider_id": provider.key})


def secret_source(provider: SingleSignOnProvider) -> str:
    """Where the client secret comes from, in words a page or the command may show (never the
    secret itself)."""
    if provider.client_secret_env:
        return f"from the environment variable {provider.client_secret_env}"
    return "stored encrypted"


def secret_problem(provider: SingleSignOnProvider) -> str | None:
    """Why the secret cannot be read here (the variable unset, the key changed), or None. A
    SAML connection has no secret."""
    if is_saml(provider):
        return None
    try:
        client_secret(provider)
    except ImproperlyConfigured as error:
        return str(error)
    return None


def client_secret(provider: SingleSignOnProvider) -> str:
    if provider.client_secret_env:
        return secrets.from_environment(provider.client_secret_env)
    return secrets.decrypt(provider.client_secret_encrypted)


def saml_app(provider: SingleSignOnProvider) -> SocialApp:
    """allauth's SAML provider's view of a SAML connection (allauth.socialaccount.providers.saml
    .utils.build_saml_config reads these settings). python3-saml, in strict mode, accepts only an
    answer signed with the identity provider's certificate, from its entity ID, for riskreg's
    entity ID, posted to the ACS URL, in its time window; allauth accepts only answers to a
    sign-in riskreg started (``InResponseTo`` matches the state it stashed): an answer the
    identity provider sends unasked is refused.

    With riskreg's SAML key pair set (``saml_keys``), AuthnRequests are signed with it and an
    encrypted assertion is decrypted with it; a plain assertion is still accepted (allauth
    hands its "advanced" x509cert and private_key to python3-saml as the SP's)."""
    idp = {"entity_id": provider.issuer}
    if provider.saml_metadata_url:
        idp["metadata_url"] = provider.saml_metadata_url
    else:
        idp["sso_url"] = provider.saml_sso_url
        idp["x509cert"] = provider.saml_certificate
    advanced = {
        "strict": True,
        "reject_idp_initiated_sso": True,
        "reject_deprecated_algorithm": True,
    }
    try:
        pair = saml_keys.key_pair()
    except ImproperlyConfigured as error:
        # Stopped at start-up by the system check; should one slip past it, sign-in goes on
        # without the pair (unsigned requests, plain assertions), as it would without one.
        log.warning("riskreg's SAML key pair left out: %s", error)
        pair = None
    if pair:
        advanced.update(
            x509cert=pair.certificate,
            private_key=pair.private_key,
            authn_request_signed=True,
            signature_algorithm=OneLogin_Saml2_Constants.RSA_SHA256,
            digest_algorithm=OneLogin_Saml2_Constants.SHA256,
        )
    return SocialApp(
        provider=SAML,
        provider_id=provider.key,
        name=provider.name,
        client_id=provider.key,
        settings={
            "idp": idp,
            "sp": {"entity_id": saml_entity_id(provider)},
            # No email_verified: an assertion signed by the organisation's own identity
            # provider vouches for an address of a domain it covers (docs/decisions.md 32).
            "attribute_mapping": {
                "uid": SAML_UID_ATTRIBUTES,
                "email": saml_email_attributes(provider),
                "first_name": [
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
                    "urn:oid:2.5.4.42",
                ],
                "last_name": [
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
                    "urn:oid:2.5.4.4",
                ],
            },
            "advanced": advanced,
            "organisation": provider.organisation_id,
        },
    )


def social_app(provider: SingleSignOnProvider) -> SocialApp:
    """allauth's view of the provider. A secret that cannot be read leaves the secret empty:
    the provider then refuses the sign-in, which allauth reports as a failed sign-in."""
    if is_saml(provider):
        return saml_app(provider)
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
    rows = SingleSignOnProvider.objects.select_related("organisation")
    if provider == SAML:
        # allauth's SAML views ask by client_id: the key in their URLs.
        if not client_id:
            return []
        return list(rows.filter(key=client_id, protocol=Protocol.SAML))
    rows = rows.filter(key=provider)
    if client_id:
        rows = rows.filter(client_id=client_id)
    return list(rows)
