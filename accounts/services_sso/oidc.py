"""OpenID Connect connections: the issuer, the client id and the client secret (typed in and
stored encrypted, or named by an environment variable and not stored at all)."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from django.db import transaction

from registers.models import Organisation

from .. import secrets
from ..models import Protocol, SingleSignOnProvider
from .common import LOOPBACK_HOSTS, check_common, connection, locked, write_connection

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

# Microsoft Entra ID's tenant-independent endpoints: their discovery documents name no one
# issuer, and anyone of any tenant could sign in through them.
ENTRA_HOSTS = {"login.microsoftonline.com", "login.microsoft.com", "sts.windows.net"}
ENTRA_SHARED_TENANTS = {"common", "organizations", "consumers"}
ENVIRONMENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LOG_LABEL = "issuer"


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


def _apply(
    provider: SingleSignOnProvider,
    *,
    issuer: str,
    client_id: str,
    domains: list[str],
    client_secret: str,
    client_secret_env: str,
    trust_email: bool,
    new_members_role: str,
    check_domain_owners: bool,
) -> list[str]:
    """Check everything, then set the OpenID Connect fields; returns the domains to keep.
    Raises one ValidationError naming every problem, field by field."""
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
    cleaned = check_common(
        provider,
        errors,
        domains=domains,
        new_members_role=new_members_role,
        check_domain_owners=check_domain_owners,
    )

    provider.issuer = issuer
    provider.client_id = client_id
    if client_secret:
        provider.client_secret_encrypted = secrets.encrypt(client_secret)
        provider.client_secret_env = ""
    elif client_secret_env:
        provider.client_secret_env = client_secret_env
        provider.client_secret_encrypted = ""
    provider.trust_email = bool(trust_email)
    return cleaned


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

    ``check_domain_owners``: an organisation admin may not take a domain whose people are
    already on riskreg beyond the organisation (``common._beyond_organisation``: whoever
    controls the provider could then sign in as them, or ask for their riskreg password); the
    server's operator, who runs the command, vouches for the domain instead (False)."""
    provider, created = connection(
        organisation=organisation,
        protocol=Protocol.OIDC,
        identifier=normalised_issuer(issuer),
        field="issuer",
        by=by,
    )
    write_connection(
        provider,
        apply=_apply,
        log_label=LOG_LABEL,
        created=created,
        issuer=issuer,
        client_id=client_id,
        domains=domains,
        name=name,
        client_secret=client_secret,
        client_secret_env=client_secret_env,
        only_way_in=only_way_in,
        trust_email=trust_email,
        new_members_role=new_members_role,
        by=by,
        check_domain_owners=check_domain_owners,
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
    provider = locked(provider)
    write_connection(
        provider,
        apply=_apply,
        log_label=LOG_LABEL,
        created=False,
        issuer=issuer,
        client_id=client_id,
        domains=domains,
        name=name,
        client_secret=client_secret,
        client_secret_env=client_secret_env,
        only_way_in=only_way_in,
        trust_email=trust_email,
        new_members_role=new_members_role,
        by=by,
        check_domain_owners=check_domain_owners,
    )
    return provider
