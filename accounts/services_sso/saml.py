"""SAML 2.0 connections: the identity provider's entity ID, and its single sign-on URL and
signing certificate or the URL of its metadata; the attribute that holds the e-mail address."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.db import transaction

from registers.models import Organisation

from ..models import SAML_EMAIL_ATTRIBUTES, Protocol, SingleSignOnProvider
from .common import LOOPBACK_HOSTS, check_common, connection, locked, write_connection

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

PEM_BLOCK = re.compile(
    r"-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----"
)
LOG_LABEL = "protocol=saml entity_id"


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


def _apply(
    provider: SingleSignOnProvider,
    *,
    entity_id: str,
    domains: list[str],
    sso_url: str,
    certificate: str,
    metadata_url: str,
    email_attribute: str,
    new_members_role: str,
    check_domain_owners: bool,
) -> list[str]:
    """Check everything, then set the SAML fields; returns the domains to keep. Raises one
    ValidationError naming every problem, field by field. A blank certificate keeps the
    current one."""
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
    cleaned = check_common(
        provider,
        errors,
        domains=domains,
        new_members_role=new_members_role,
        check_domain_owners=check_domain_owners,
    )

    provider.protocol = Protocol.SAML
    provider.issuer = entity_id
    provider.client_id = ""
    provider.client_secret_env = ""
    provider.client_secret_encrypted = ""
    provider.saml_metadata_url = metadata_url
    provider.saml_sso_url = "" if metadata_url else sso_url
    provider.saml_certificate = "" if metadata_url else pem
    provider.saml_email_attribute = " ".join(attributes) or SAML_EMAIL_ATTRIBUTES
    provider.trust_email = False
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
    provider, created = connection(
        organisation=organisation,
        protocol=Protocol.SAML,
        identifier=(entity_id or "").strip(),
        field="entity_id",
        by=by,
    )
    write_connection(
        provider,
        apply=_apply,
        log_label=LOG_LABEL,
        created=created,
        entity_id=entity_id,
        domains=domains,
        sso_url=sso_url,
        certificate=certificate,
        metadata_url=metadata_url,
        email_attribute=email_attribute,
        name=name,
        only_way_in=only_way_in,
        new_members_role=new_members_role,
        by=by,
        check_domain_owners=check_domain_owners,
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
    provider = locked(provider)
    write_connection(
        provider,
        apply=_apply,
        log_label=LOG_LABEL,
        created=False,
        entity_id=entity_id,
        domains=domains,
        sso_url=sso_url,
        certificate=certificate,
        metadata_url=metadata_url,
        email_attribute=email_attribute,
        name=name,
        only_way_in=only_way_in,
        new_members_role=new_members_role,
        by=by,
        check_domain_owners=check_domain_owners,
    )
    return provider
