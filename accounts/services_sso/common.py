"""What every single sign-on connection has, whatever its protocol: the e-mail domains it signs
in, its name, whether it is the only way in, who becomes a member at first sign-in; finding or
making the row, saving it with its domains, and the security log line."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers import registry
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from registers.models import Invitation, Organisation, Role, User

from .. import sso
from ..models import SingleSignOnDomain, SingleSignOnProvider

log = logging.getLogger("riskreg.security")

DOMAIN_NEEDED = "Enter at least one e-mail domain, such as example.gov.uk"
DOMAIN_INVALID = "{domain!r} is not an e-mail domain (the part after the @, such as example.gov.uk)"
DOMAIN_TAKEN = (
    "The domain {domain} is already signed in by another single sign-on connection: a domain "
    "can have only one"
)
# One message for every reason (a member of another organisation, an invitation to one, a
# system administrator's account), so it tells no more than that someone of the domain is on
# riskreg beyond this organisation, never who nor why (decision 133).
DOMAIN_MEMBERS_ELSEWHERE = (
    "People with {domain} addresses are already on riskreg beyond this organisation (members or "
    "invited members of other organisations, or riskreg's system administrators), so only the "
    "server's operator can connect this domain (manage.py sso_provider add): ask them"
)
NEW_MEMBERS_ROLE_INVALID = "Members made at first sign-in can only be viewers (or nobody)"
PROTOCOL_CHANGED = (
    "{organisation} is connected to {entity_id} with another protocol: remove that connection first"
)

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
KNOWN_PROVIDER_NAMES = {
    "login.microsoftonline.com": "Microsoft Entra ID",
    "accounts.google.com": "Google",
}
DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


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


def _beyond_organisation(organisation: Organisation, domain: str) -> bool:
    """Whether someone with an address of ``domain`` is on riskreg beyond ``organisation``: an
    account its connection could not vouch for (``sso.beyond_connection``'s test: a superuser's
    or a staff account, or a member of another organisation), by its sign-in address or a
    confirmed one, as sign-in finds it (``accounts_by_sign_in_address``); or an open invitation
    to another organisation. Connecting the domain would send them to this organisation's
    identity provider from the sign-in page, which could then ask for their riskreg password
    (decision 133), or sign in as them (decision 31). Two queries."""
    at_domain = f"@{domain}"
    confirmed = EmailAddress.objects.filter(
        email__endswith=at_domain,
        verified=True,  # allauth stores its rows lowered
    ).values("user_id")
    accounts = (
        User.objects.filter(Q(email__iendswith=at_domain) | Q(pk__in=confirmed))
        .filter(sso.beyond_organisation(organisation.pk))
        .exists()
    )
    if accounts:
        return True
    return (
        Invitation.objects.filter(
            email__iendswith=at_domain,
            accepted_at__isnull=True,
            withdrawn_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .exclude(organisation=organisation)
        .exists()
    )


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
            if _beyond_organisation(organisation, domain):
                problems.append(DOMAIN_MEMBERS_ELSEWHERE.format(domain=domain))
    return cleaned, problems


def check_common(
    provider: SingleSignOnProvider,
    errors: dict[str, list[str]],
    *,
    domains: list[str],
    new_members_role: str,
    check_domain_owners: bool,
) -> list[str]:
    """Adds the problems every protocol shares to a protocol's own ``errors``, then raises one
    ValidationError naming every problem, field by field, if there are any. Returns the domains
    as stored."""
    if new_members_role not in ("", Role.VIEWER.value):
        errors["new_members_role"] = [NEW_MEMBERS_ROLE_INVALID]
    cleaned, problems = _domain_problems(
        organisation=provider.organisation,
        provider=provider,
        domains=domains,
        check_domain_owners=check_domain_owners,
    )
    if problems:
        errors["domains"] = problems
    if errors:
        raise ValidationError(errors)
    return cleaned


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


def log_write(action: str, *, organisation: Organisation, label: str, issuer: str, by) -> None:
    """The security log's line for a connection added, changed or removed (never its secret).
    ``label`` names the identifier: ``issuer``, or ``protocol=saml entity_id``."""
    log.info(
        "single sign-on provider %s: organisation=%s %s=%s by=%s",
        action,
        organisation.slug,
        label,
        issuer,
        _by(by),
    )


def forget_accounts(key: str) -> None:
    """People's links to a provider name its subjects (``sub``), which mean something only to
    that issuer: when the issuer changes or the connection goes, the links go too, so a subject
    of another issuer under the same key can never reach someone's account."""
    SocialAccount.objects.filter(provider=key).delete()


def connection(
    *,
    organisation: Organisation,
    protocol: str,
    identifier: str,
    field: str,
    by,
) -> tuple[SingleSignOnProvider, bool]:
    """The organisation's connection to ``identifier`` (issuer or entity ID), locked, or a new
    unsaved one made by ``by``; (provider, created). One of another protocol is refused on
    ``field``: a connection never changes protocol."""
    provider = (
        SingleSignOnProvider.objects.select_for_update()
        .filter(organisation=organisation, issuer=identifier)
        .first()
    )
    if provider is not None and provider.protocol != protocol:
        raise ValidationError(
            {
                field: [
                    PROTOCOL_CHANGED.format(
                        organisation=organisation.display_name, entity_id=identifier
                    )
                ]
            }
        )
    if provider is None:
        return SingleSignOnProvider(organisation=organisation, created_by=by), True
    return provider, False


def locked(provider: SingleSignOnProvider) -> SingleSignOnProvider:
    """The connection re-read and locked for a change or removal."""
    return (
        SingleSignOnProvider.objects.select_for_update(of=("self",))  # not its organisation
        .select_related("organisation")
        .get(pk=provider.pk)
    )


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


def write_connection(
    provider: SingleSignOnProvider,
    *,
    apply: Callable[..., list[str]],
    log_label: str,
    created: bool,
    name: str,
    only_way_in: bool,
    new_members_role: str,
    by,
    **settings,
) -> None:
    """Check and save a connection: ``apply`` checks the protocol's ``settings`` with the shared
    ones (``check_common``), raising every problem at once, and sets the protocol's fields; then
    the fields every connection has are set, a new one is given its key, it is saved with its
    domains, people's links are forgotten if the issuer changed, and the write is logged."""
    old_issuer = provider.issuer
    domains = apply(provider, new_members_role=new_members_role, **settings)
    provider.name = (name or "").strip() or provider.name or default_name(provider.issuer)
    provider.only_way_in = bool(only_way_in)
    provider.new_members_role = new_members_role
    if created:
        provider.key = _new_key(provider.organisation)
    _save(provider, domains)
    if not created and provider.issuer != old_issuer:
        forget_accounts(provider.key)
    log_write(
        "added" if created else "changed",
        organisation=provider.organisation,
        label=log_label,
        issuer=provider.issuer,
        by=by,
    )


@transaction.atomic
def sso_provider_remove(*, provider: SingleSignOnProvider, by=None) -> None:
    """Disconnect: its domains sign in with passwords again (people who have none reset one)."""
    provider = locked(provider)
    organisation, issuer, key = provider.organisation, provider.issuer, provider.key
    provider.delete()
    forget_accounts(key)
    log_write("removed", organisation=organisation, label="issuer", issuer=issuer, by=by)
