"""Writes to organisations' single sign-on connections (issue 14): connect an OpenID Connect
provider with the e-mail domains it signs in, change it, remove it. The ``sso_provider``
command and the single sign-on settings page both call these, so one set of rules (and of
messages, the constants below) holds for both.

The client secret is never stored in clear and never logged: a secret typed in is stored
encrypted (``accounts.secrets.encrypt``); one named by an environment variable is not stored at
all. Every write is in the security log, without the secret."""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import urlsplit

from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers import registry
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from registers.models import Membership, Organisation, Role

from . import secrets
from .models import SAML_EMAIL_ATTRIBUTES, Protocol, SingleSignOnDomain, SingleSignOnProvider

log = logging.getLogger("riskreg.security")

ISSUER_NOT_URL = (
    "{issuer!r} is not an issuer URL: it looks like https://login.microsoftonline.com/"
    "<tenant id>/v2.0 (Microsoft Entra ID) or https://accounts.google.com"
)
ISSUER_NOT_HTTPS = (
    "The issuer URL must start with https:// (plain http:// only for a provider on this "
    "machine: 127.0.0.1 or localhost)"
)
ISSUER_HAS_QUERY = "The issuer URL has no ? or # part: copy it as the provider gives it"
ISSUER_MULTI_TENANT = (
    "Use your own tenant's issuer URL, https://login.microsoftonline.com/<tenant id>/v2.0, "
    "not /{tenant}/: that one would let in people of every Microsoft Entra tenant"
)
ISSUER_TAKEN = "{organisation} is already connected to {issuer}: change that connection instead"
CLIENT_ID_NEEDED = "Enter the client id (Microsoft Entra ID calls it the application (client) ID)"
CREDENTIAL_NEEDED = "Enter the client secret"
CREDENTIAL_GIVEN_TWICE = (
    "Give the client secret or the environment variable that holds it, not both"
)
ENVIRONMENT_NAME_INVALID = (
    "{name!r} is not the name of an environment variable (letters, digits and _, not starting "
    "with a digit)"
)
ENVIRONMENT_VARIABLE_UNSET = (
    "The environment variable {name} is not set here, or is empty: sign-in through this "
    "provider would fail. Set it in riskreg's environment (the web server's too), then try again"
)
DOMAIN_NEEDED = "Enter at least one e-mail domain, such as example.gov.uk"
DOMAIN_INVALID = "{domain!r} is not an e-mail domain (the part after the @, such as example.gov.uk)"
DOMAIN_TAKEN = (
    "The domain {domain} is already signed in by another single sign-on connection: a domain "
    "can have only one"
)
DOMAIN_MEMBERS_ELSEWHERE = (
    "People with {domain} addresses are already members of other organisations on riskreg, "
    "so only the server's operator can connect this domain (manage.py sso_provider add): "
    "ask them"
)
NEW_MEMBERS_ROLE_INVALID = "Members made at first sign-in can only be viewers (or nobody)"

# Microsoft Entra ID's tenant-independent endpoints: their discovery documents name no one
# issuer, and anyone of any tenant could sign in through them.
ENTRA_HOSTS = {"login.microsoftonline.com", "login.microsoft.com", "sts.windows.net"}
ENTRA_SHARED_TENANTS = {"common", "organizations", "consumers"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
KNOWN_PROVIDER_NAMES = {
    "login.microsoftonline.com": "Microsoft Entra ID",
    "accounts.google.com": "Google",
}
ENVIRONMENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def _errors(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def normalised_issuer(issuer: str) -> str:
    """The issuer as stored and compared: surrounding space and a trailing slash removed (the
    discovery document is found under it either way; ID tokens are compared the same way)."""
    return (issuer or "").strip().rstrip("/")


def issuer_problems(issuer: str) -> list[str]:
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return [ISSUER_NOT_URL.format(issuer=issuer)]
    problems = []
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        problems.append(ISSUER_NOT_HTTPS)
    if parts.query or parts.fragment or "?" in issuer or "#" in issuer:
        problems.append(ISSUER_HAS_QUERY)
    first_segment = parts.path.strip("/").split("/", 1)[0].lower()
    if parts.hostname in ENTRA_HOSTS and first_segment in ENTRA_SHARED_TENANTS:
        problems.append(ISSUER_MULTI_TENANT.format(tenant=first_segment))
    return problems


def default_name(issuer: str) -> str:
    host = urlsplit(issuer).hostname or issuer
    return KNOWN_PROVIDER_NAMES.get(host, host)[:100]


def normalised_domain(domain: str) -> str | None:
    """A domain as stored (lower case, IDNA for non-ASCII names), or None if it is not one."""
    domain = (domain or "").strip().lstrip("@").rstrip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(DOMAIN_LABEL.fullmatch(x) for x in labels):
        return None
    if labels[-1].isdigit():  # an IP address, not a domain
        return None
    return domain


def _domain_problems(
    *,
    organisation: Organisation,
    provider: SingleSignOnProvider,
    domains: list[str],
    check_domain_owners: bool,
) -> tuple[list[str], list[str]]:
    """(the domains as stored, problems)."""
    cleaned, problems = [], []
    for typed in domains:
        domain = normalised_domain(typed)
        if domain is None:
            problems.append(DOMAIN_INVALID.format(domain=typed.strip()))
        elif domain not in cleaned:
            cleaned.append(domain)
    if not cleaned and not problems:
        problems.append(DOMAIN_NEEDED)
    theirs = SingleSignOnDomain.objects.filter(domain__in=cleaned)
    if provider.pk:
        theirs = theirs.exclude(provider=provider)
    for domain in theirs.order_by("domain").values_list("domain", flat=True):
        # Another organisation's connection is not named: that would tell whose it is.
        problems.append(DOMAIN_TAKEN.format(domain=domain))
    if check_domain_owners:
        already = set(provider.domains.values_list("domain", flat=True)) if provider.pk else set()
        for domain in cleaned:
            if domain in already:
                continue
            elsewhere = (
                Membership.objects.filter(user__email__iendswith=f"@{domain}")
                .exclude(organisation=organisation)
                .exists()
            )
            if elsewhere:
                problems.append(DOMAIN_MEMBERS_ELSEWHERE.format(domain=domain))
    return cleaned, problems


def _new_key(organisation: Organisation) -> str:
    """The provider's name in allauth's URLs (and so in the redirect URI registered with the
    provider): the organisation's slug, numbered after the first. Never the name of one of
    allauth's own providers, which allauth would look up instead."""
    base = slugify(organisation.slug)[:50] or "sso"
    taken = set(
        SingleSignOnProvider.objects.filter(key__startswith=base).values_list("key", flat=True)
    )
    candidate, number = base, 1
    while candidate in taken or registry.get_class(candidate) is not None:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _by(user) -> str:
    return str(user.pk) if user is not None else "command"


def _apply(
    provider: SingleSignOnProvider,
    *,
    issuer: str,
    client_id: str,
    domains: list[str],
    name: str,
    client_secret: str,
    client_secret_env: str,
    only_way_in: bool,
    trust_email: bool,
    new_members_role: str,
    check_domain_owners: bool,
) -> list[str]:
    """Check everything, then set the row's fields; returns the domains to keep. Raises one
    ValidationError naming every problem, field by field."""
    organisation = provider.organisation
    errors: dict[str, list[str]] = {}
    issuer = normalised_issuer(issuer)
    problems = issuer_problems(issuer)
    if not problems:
        others = SingleSignOnProvider.objects.filter(organisation=organisation, issuer=issuer)
        if provider.pk:
            others = others.exclude(pk=provider.pk)
        if others.exists():
            problems.append(
                ISSUER_TAKEN.format(organisation=organisation.display_name, issuer=issuer)
            )
    if problems:
        errors["issuer"] = problems
    client_id = (client_id or "").strip()
    if not client_id:
        errors["client_id"] = [CLIENT_ID_NEEDED]
    client_secret = client_secret or ""
    client_secret_env = (client_secret_env or "").strip()
    if client_secret and client_secret_env:
        errors["client_secret"] = [CREDENTIAL_GIVEN_TWICE]
    elif client_secret_env:
        if not ENVIRONMENT_NAME.fullmatch(client_secret_env):
            errors["client_secret_env"] = [ENVIRONMENT_NAME_INVALID.format(name=client_secret_env)]
        elif not os.environ.get(client_secret_env):
            errors["client_secret_env"] = [
                ENVIRONMENT_VARIABLE_UNSET.format(name=client_secret_env)
            ]
    elif not client_secret and not (provider.client_secret_env or provider.client_secret_encrypted):
        errors["client_secret"] = [CREDENTIAL_NEEDED]
    if new_members_role not in ("", Role.VIEWER.value):
        errors["new_members_role"] = [NEW_MEMBERS_ROLE_INVALID]
    cleaned, problems = _domain_problems(
        organisation=organisation,
        provider=provider,
        domains=domains,
        check_domain_owners=check_domain_owners,
    )
    if problems:
        errors["domains"] = problems
    _errors(errors)

    provider.issuer = issuer
    provider.client_id = client_id
    provider.name = (name or "").strip() or provider.name or default_name(issuer)
    if client_secret:
        provider.client_secret_encrypted = secrets.encrypt(client_secret)
        provider.client_secret_env = ""
    elif client_secret_env:
        provider.client_secret_env = client_secret_env
        provider.client_secret_encrypted = ""
    provider.only_way_in = bool(only_way_in)
    provider.trust_email = bool(trust_email)
    provider.new_members_role = new_members_role
    return cleaned


def _save(provider: SingleSignOnProvider, domains: list[str]) -> None:
    provider.full_clean(exclude=["created_by"])
    try:
        with transaction.atomic():
            provider.save()
            provider.domains.exclude(domain__in=domains).delete()
            for domain in domains:
                SingleSignOnDomain.objects.get_or_create(provider=provider, domain=domain)
    except IntegrityError:
        # Another connection took one of the domains (or the issuer) at the same moment.
        raise ValidationError(
            {"domains": [DOMAIN_TAKEN.format(domain=", ".join(domains))]}
        ) from None


def _forget_accounts(key: str) -> None:
    """People's links to a provider name its subjects (``sub``), which mean something only to
    that issuer: when the issuer changes or the connection goes, the links go too, so a subject
    of another issuer under the same key can never reach someone's account."""
    SocialAccount.objects.filter(provider=key).delete()


@transaction.atomic
def sso_provider_add(
    *,
    organisation: Organisation,
    issuer: str,
    client_id: str,
    domains: list[str],
    name: str = "",
    client_secret: str = "",
    client_secret_env: str = "",
    only_way_in: bool = False,
    trust_email: bool = False,
    new_members_role: str = "",
    by=None,
    check_domain_owners: bool = True,
) -> tuple[SingleSignOnProvider, bool]:
    """Connect ``organisation`` to the provider at ``issuer`` for ``domains``; one it is
    already connected to is changed to these settings instead. Returns (provider, created).

    ``check_domain_owners``: an organisation admin may not take a domain whose people already
    belong to other organisations (whoever controls the provider could then sign in as them);
    the server's operator, who runs the command, vouches for the domain instead (False)."""
    issuer_key = normalised_issuer(issuer)
    provider = (
        SingleSignOnProvider.objects.select_for_update()
        .filter(organisation=organisation, issuer=issuer_key)
        .first()
    )
    if provider is not None and provider.protocol != Protocol.OIDC:
        raise ValidationError(
            {
                "issuer": [
                    PROTOCOL_CHANGED.format(
                        organisation=organisation.display_name, entity_id=issuer_key
                    )
                ]
            }
        )
    created = provider is None
    if created:
        provider = SingleSignOnProvider(organisation=organisation, created_by=by)
    domains = _apply(
        provider,
        issuer=issuer,
        client_id=client_id,
        domains=domains,
        name=name,
        client_secret=client_secret,
        client_secret_env=client_secret_env,
        only_way_in=only_way_in,
        trust_email=trust_email,
        new_members_role=new_members_role,
        check_domain_owners=check_domain_owners,
    )
    if created:
        provider.key = _new_key(organisation)
    _save(provider, domains)
    log.info(
        "single sign-on provider %s: organisation=%s issuer=%s by=%s",
        "added" if created else "changed",
        organisation.slug,
        provider.issuer,
        _by(by),
    )
    return provider, created


@transaction.atomic
def sso_provider_change(
    *,
    provider: SingleSignOnProvider,
    issuer: str,
    client_id: str,
    domains: list[str],
    name: str = "",
    client_secret: str = "",
    client_secret_env: str = "",
    only_way_in: bool = False,
    trust_email: bool = False,
    new_members_role: str = "",
    by=None,
    check_domain_owners: bool = True,
) -> SingleSignOnProvider:
    """Change a connection. A blank ``client_secret`` (and ``client_secret_env``) keeps the
    current secret."""
    provider = (
        SingleSignOnProvider.objects.select_for_update()
        .select_related("organisation")
        .get(pk=provider.pk)
    )
    old_issuer = provider.issuer
    domains = _apply(
        provider,
        issuer=issuer,
        client_id=client_id,
        domains=domains,
        name=name,
        client_secret=client_secret,
        client_secret_env=client_secret_env,
        only_way_in=only_way_in,
        trust_email=trust_email,
        new_members_role=new_members_role,
        check_domain_owners=check_domain_owners,
    )
    _save(provider, domains)
    if provider.issuer != old_issuer:
        _forget_accounts(provider.key)
    log.info(
        "single sign-on provider changed: organisation=%s issuer=%s by=%s",
        provider.organisation.slug,
        provider.issuer,
        _by(by),
    )
    return provider


@transaction.atomic
def sso_provider_remove(*, provider: SingleSignOnProvider, by=None) -> None:
    """Disconnect: its domains sign in with passwords again (people who have none reset one)."""
    provider = (
        SingleSignOnProvider.objects.select_for_update()
        .select_related("organisation")
        .get(pk=provider.pk)
    )
    organisation, issuer, key = provider.organisation, provider.issuer, provider.key
    provider.delete()
    _forget_accounts(key)
    log.info(
        "single sign-on provider removed: organisation=%s issuer=%s by=%s",
        organisation.slug,
        issuer,
        _by(by),
    )


# --- SAML 2.0 connections ------------------------------------------------------------------

ENTITY_ID_NEEDED = (
    "Enter the identity provider's entity ID (Microsoft Entra ID calls it the Microsoft Entra "
    "Identifier; AD FS, the Federation Service Identifier)"
)
ENTITY_ID_INVALID = "The entity ID is one line with no spaces, of at most 300 characters"
ENTITY_ID_TAKEN = (
    "{organisation} is already connected to {entity_id}: change that connection instead"
)
SAML_URL_INVALID = (
    "{url!r} is not a web address: it starts with https:// (plain http:// only for a provider "
    "on this machine: 127.0.0.1 or localhost)"
)
SAML_IDP_NEEDED = (
    "Enter the identity provider's single sign-on URL and its signing certificate, or the URL "
    "of its federation metadata"
)
SAML_IDP_GIVEN_TWICE = "Give the single sign-on URL and certificate, or the metadata URL, not both"
SSO_URL_NEEDED = "Enter the identity provider's single sign-on URL (Entra: Login URL)"
CERTIFICATE_NEEDED = (
    "Enter the identity provider's signing certificate (Entra: Certificate (Base64), the "
    "whole -----BEGIN CERTIFICATE----- block)"
)
CERTIFICATE_INVALID = (
    "That is not an X.509 certificate in PEM form: paste the whole -----BEGIN CERTIFICATE----- "
    "block the identity provider gives (Entra: Certificate (Base64))"
)
EMAIL_ATTRIBUTE_INVALID = (
    "Attribute names are separated by spaces, each at most 300 characters in all"
)
PROTOCOL_CHANGED = (
    "{organisation} is connected to {entity_id} with another protocol: remove that connection first"
)

PEM_BLOCK = re.compile(
    r"-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----"
)


def saml_url_problems(url: str) -> list[str]:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return [SAML_URL_INVALID.format(url=url)]
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        return [SAML_URL_INVALID.format(url=url)]
    return []


def normalised_certificate(text: str) -> str | None:
    """The certificate as PEM (one block, the base64 body alone accepted too), or None if it
    does not parse as an X.509 certificate."""
    from cryptography import x509

    text = (text or "").strip()
    match = PEM_BLOCK.search(text)
    body = match.group(1) if match else text
    body = "".join(body.split())
    if not body or not re.fullmatch(r"[A-Za-z0-9+/=]+", body):
        return None
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
    try:
        x509.load_pem_x509_certificate(pem.encode("ascii"))
    except ValueError:
        return None
    return pem


def _apply_saml(
    provider: SingleSignOnProvider,
    *,
    entity_id: str,
    domains: list[str],
    sso_url: str,
    certificate: str,
    metadata_url: str,
    email_attribute: str,
    name: str,
    only_way_in: bool,
    new_members_role: str,
    check_domain_owners: bool,
) -> list[str]:
    """As ``_apply``, for a SAML connection. A blank certificate keeps the current one."""
    organisation = provider.organisation
    errors: dict[str, list[str]] = {}
    entity_id = (entity_id or "").strip()
    if not entity_id:
        errors["entity_id"] = [ENTITY_ID_NEEDED]
    elif len(entity_id) > 300 or any(c.isspace() for c in entity_id):
        errors["entity_id"] = [ENTITY_ID_INVALID]
    else:
        others = SingleSignOnProvider.objects.filter(organisation=organisation, issuer=entity_id)
        if provider.pk:
            others = others.exclude(pk=provider.pk)
        if others.exists():
            errors["entity_id"] = [
                ENTITY_ID_TAKEN.format(organisation=organisation.display_name, entity_id=entity_id)
            ]
    sso_url = (sso_url or "").strip()
    metadata_url = (metadata_url or "").strip()
    typed_certificate = (certificate or "").strip()
    pem = ""
    if typed_certificate:
        pem = normalised_certificate(typed_certificate)
        if pem is None:
            errors["certificate"] = [CERTIFICATE_INVALID]
    elif not metadata_url:
        pem = provider.saml_certificate if provider.pk else ""
    if metadata_url:
        if sso_url or typed_certificate:
            errors["metadata_url"] = [SAML_IDP_GIVEN_TWICE]
        elif problems := saml_url_problems(metadata_url):
            errors["metadata_url"] = problems
    elif not sso_url and not pem and "certificate" not in errors:
        errors["sso_url"] = [SAML_IDP_NEEDED]
    else:
        if not sso_url:
            errors["sso_url"] = [SSO_URL_NEEDED]
        elif problems := saml_url_problems(sso_url):
            errors["sso_url"] = problems
        if not pem and "certificate" not in errors:
            errors["certificate"] = [CERTIFICATE_NEEDED]
    attributes = (email_attribute or "").split()
    if len(" ".join(attributes)) > 300:
        errors["email_attribute"] = [EMAIL_ATTRIBUTE_INVALID]
    if new_members_role not in ("", Role.VIEWER.value):
        errors["new_members_role"] = [NEW_MEMBERS_ROLE_INVALID]
    cleaned, problems = _domain_problems(
        organisation=organisation,
        provider=provider,
        domains=domains,
        check_domain_owners=check_domain_owners,
    )
    if problems:
        errors["domains"] = problems
    _errors(errors)

    provider.protocol = Protocol.SAML
    provider.issuer = entity_id
    provider.client_id = ""
    provider.client_secret_env = ""
    provider.client_secret_encrypted = ""
    provider.saml_metadata_url = metadata_url
    provider.saml_sso_url = "" if metadata_url else sso_url
    provider.saml_certificate = "" if metadata_url else pem
    provider.saml_email_attribute = " ".join(attributes) or SAML_EMAIL_ATTRIBUTES
    provider.name = (name or "").strip() or provider.name or default_name(entity_id)
    provider.only_way_in = bool(only_way_in)
    provider.trust_email = False
    provider.new_members_role = new_members_role
    return cleaned


@transaction.atomic
def sso_saml_provider_add(
    *,
    organisation: Organisation,
    entity_id: str,
    domains: list[str],
    sso_url: str = "",
    certificate: str = "",
    metadata_url: str = "",
    email_attribute: str = "",
    name: str = "",
    only_way_in: bool = False,
    new_members_role: str = "",
    by=None,
    check_domain_owners: bool = True,
) -> tuple[SingleSignOnProvider, bool]:
    """Connect ``organisation`` to the SAML 2.0 identity provider ``entity_id`` for ``domains``
    (its single sign-on URL and signing certificate, or its metadata URL); a connection to that
    entity ID is changed to these settings instead. Returns (provider, created)."""
    entity_key = (entity_id or "").strip()
    provider = (
        SingleSignOnProvider.objects.select_for_update()
        .filter(organisation=organisation, issuer=entity_key)
        .first()
    )
    if provider is not None and provider.protocol != Protocol.SAML:
        raise ValidationError(
            {
                "entity_id": [
                    PROTOCOL_CHANGED.format(
                        organisation=organisation.display_name, entity_id=entity_key
                    )
                ]
            }
        )
    created = provider is None
    if created:
        provider = SingleSignOnProvider(organisation=organisation, created_by=by)
    domains = _apply_saml(
        provider,
        entity_id=entity_id,
        domains=domains,
        sso_url=sso_url,
        certificate=certificate,
        metadata_url=metadata_url,
        email_attribute=email_attribute,
        name=name,
        only_way_in=only_way_in,
        new_members_role=new_members_role,
        check_domain_owners=check_domain_owners,
    )
    if created:
        provider.key = _new_key(organisation)
    _save(provider, domains)
    log.info(
        "single sign-on provider %s: organisation=%s protocol=saml entity_id=%s by=%s",
        "added" if created else "changed",
        organisation.slug,
        provider.issuer,
        _by(by),
    )
    return provider, created


@transaction.atomic
def sso_saml_provider_change(
    *,
    provider: SingleSignOnProvider,
    entity_id: str,
    domains: list[str],
    sso_url: str = "",
    certificate: str = "",
    metadata_url: str = "",
    email_attribute: str = "",
    name: str = "",
    only_way_in: bool = False,
    new_members_role: str = "",
    by=None,
    check_domain_owners: bool = True,
) -> SingleSignOnProvider:
    """Change a SAML connection. A blank ``certificate`` keeps the current one."""
    provider = (
        SingleSignOnProvider.objects.select_for_update()
        .select_related("organisation")
        .get(pk=provider.pk)
    )
    old_issuer = provider.issuer
    domains = _apply_saml(
        provider,
        entity_id=entity_id,
        domains=domains,
        sso_url=sso_url,
        certificate=certificate,
        metadata_url=metadata_url,
        email_attribute=email_attribute,
        name=name,
        only_way_in=only_way_in,
        new_members_role=new_members_role,
        check_domain_owners=check_domain_owners,
    )
    _save(provider, domains)
    if provider.issuer != old_issuer:
        _forget_accounts(provider.key)
    log.info(
        "single sign-on provider changed: organisation=%s protocol=saml entity_id=%s by=%s",
        provider.organisation.slug,
        provider.issuer,
        _by(by),
    )
    return provider
