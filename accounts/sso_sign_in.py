"""Who may come in through an organisation's identity provider (issue 14).

Signing in with a provider never makes an account or a membership by itself. The answer must
come from the issuer the organisation connected, the provider must have verified the address it
returns (``email_verified``; Microsoft Entra ID's ``xms_edov`` where that is absent; or, where the
organisation chose to trust the provider's addresses, neither, unless one says "not verified"),
the address must be of a domain the provider covers, and
the person must already be a member of the provider's organisation, or hold an open invitation
to it (accepted here: the account is made, with no password), or the organisation must have
chosen to let anyone of its domains in as a viewer (``new_members_role``). An account that is
more than the organisation's (a member of another organisation, a superuser's or a staff
account) is never signed in by its provider, whose owner could otherwise take it over
(``sso.beyond_connection``, decision 114); an account made here is the organisation's.
Everyone else is refused with a page saying why, and the refusal is in the security log.
allauth's own sign-up form is never used: ``may_sign_up`` is always False, because the account
is made here or not at all.

A SAML 2.0 connection has no ``email_verified``: python3-saml has checked the answer is signed
with the identity provider's certificate and comes from its entity ID (the issuer), so the
address it asserts counts as verified, and the same domain, membership and invitation rules
follow (docs/decisions.md 32)."""

from __future__ import annotations

import logging

from allauth.core.exceptions import ImmediateHttpResponse
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import render

from registers.models import Invitation, InvitationState, Membership
from registers.services.invitations import invitation_accept
from registers.services.memberships import member_add_with_role
from riskreg.security import client_ip

from . import sso
from .models import SingleSignOnProvider
from .services_sso import normalised_issuer

log = logging.getLogger("riskreg.security")

EMAIL_NOT_VERIFIED = (
    "Your organisation's sign-in service did not confirm your e-mail address, so riskreg cannot "
    "tell who you are. Ask your IT service desk to make sure your account has a verified e-mail."
)
DOMAIN_NOT_COVERED = (
    "You signed in as {email}, which is not an address {organisation} signs in with single "
    "sign-on. Sign in with the address you were invited with."
)
NOT_INVITED = (
    "You signed in as {email}, but nobody has invited you to {organisation} on riskreg. Ask an "
    "admin or risk coordinator of {organisation} to invite you; then sign in again."
)
SAML_EMAIL_MISSING = (
    "Your organisation's sign-in service did not send your e-mail address, so riskreg cannot "
    "tell who you are. Ask your IT service desk to send it as the attribute {attribute}."
)
# Neither the other organisation nor whether the account is a superuser's is named (decision 114).
ACCOUNT_BEYOND_CONNECTION = (
    "You signed in as {email}, but your riskreg account is not {organisation}'s alone, so "
    "{organisation}'s sign-in service cannot sign it in. Sign in on riskreg's sign-in page with "
    "your riskreg password (and your second factor, if you have one) instead; if you have no "
    'password, choose one with "Forgot your password?" there.'
)
PROVIDER_GONE = "This single sign-on connection is no longer set up. Sign in again."
WRONG_ISSUER = (
    "riskreg expected {organisation}'s sign-in service to be {issuer}, but the answer came from "
    "{answered}. Ask an admin of {organisation} to check the issuer URL on riskreg's single "
    "sign-on settings page."
)


def _sources(sociallogin) -> list[dict]:
    """What the provider said about the person: the userinfo answer and the ID token's claims
    (allauth keeps both; older rows kept the claims alone)."""
    data = sociallogin.account.extra_data or {}
    sources = [data.get(name) for name in ("userinfo", "id_token")]
    sources = [source for source in sources if isinstance(source, dict)]
    return sources or [data]


def _truth(value) -> bool | None:
    """A claim's yes or no (JSON true/false, or the strings some providers send), else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _vouched(sources: list[dict], claim: str) -> bool | None:
    """True if a source says yes and none says no; False if any says no; None if none says."""
    answers = [_truth(source.get(claim)) for source in sources]
    answers = [answer for answer in answers if answer is not None]
    if not answers:
        return None
    return all(answers)


def email_verified(provider: SingleSignOnProvider, sources: list[dict]) -> bool:
    """Whether the provider vouches for the address: ``email_verified`` when it sends it;
    otherwise Microsoft Entra ID's ``xms_edov`` (the address's domain is one the tenant has
    proved it owns); otherwise only if the organisation chose to trust this provider's
    addresses (``trust_email``). A provider that says "not verified" is always believed."""
    for claim in ("email_verified", "xms_edov"):
        said = _vouched(sources, claim)
        if said is not None:
            return said
    return provider.trust_email


def _claims_email(sources: list[dict]) -> str:
    for source in sources:
        email = source.get("email")
        if isinstance(email, str) and email.strip():
            return email.strip().lower()
    return ""


def _issuer(sociallogin) -> str:
    claims = (sociallogin.account.extra_data or {}).get("id_token")
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    return normalised_issuer(issuer) if isinstance(issuer, str) else ""


def _refuse(request: HttpRequest, provider, message: str, reason: str, user=None):
    log.warning(
        "single sign-on refused: provider=%s organisation=%s reason=%s user=%s ip=%s",
        provider.key if provider else "-",
        provider.organisation.slug if provider else "-",
        reason,
        user.pk if user is not None else "-",
        client_ip(request) or "-",
    )
    response = render(
        request,
        "accounts/sso_refused.html",
        {"message": message, "provider": provider},
        status=403,
    )
    raise ImmediateHttpResponse(response)


def _open_invitation(provider: SingleSignOnProvider, email: str) -> Invitation | None:
    invitation = (
        Invitation.objects.filter(
            organisation=provider.organisation,
            email__iexact=email,
            accepted_at__isnull=True,
            withdrawn_at__isnull=True,
        )
        .select_related("organisation")
        .first()
    )
    if invitation is not None and invitation.state == InvitationState.PENDING:
        return invitation
    return None


def _saml_email(sociallogin) -> str:
    """The address the signed assertion gave (allauth's SAML provider puts the attribute the
    connection names, or an e-mail NameID, in ``email_addresses`` and on the unsaved user)."""
    for address in sociallogin.email_addresses:
        if address.email and address.email.strip():
            return address.email.strip().lower()
    return (getattr(sociallogin.user, "email", "") or "").strip().lower()


def _full_name(provider: SingleSignOnProvider, sociallogin) -> str:
    if sso.is_saml(provider):
        user = sociallogin.user
        name = " ".join(part for part in (user.first_name, user.last_name) if part)
        return name[:150]
    data = sociallogin.account.extra_data or {}
    claims = data.get("userinfo") or data.get("id_token") or data
    name = claims.get("name") or " ".join(
        part for part in (claims.get("given_name"), claims.get("family_name")) if part
    )
    return str(name or "")[:150]


def _make_member(provider, sociallogin, email: str, user, invitation):
    """The membership an open invitation gives (accepting it), or the domain option's; returns
    the person's account, made here if they had none, and how they became a member."""
    if invitation is not None:
        membership = invitation_accept(
            invitation=invitation, full_name=_full_name(provider, sociallogin), user=user
        )
        return membership.user, "invitation"
    membership = member_add_with_role(
        organisation=provider.organisation,
        email=email,
        role=provider.new_members_role,
        full_name=_full_name(provider, sociallogin),
        notify=False,
    )
    # A new account's address is verified (member_add, decision 96): the provider vouched for
    # it, as an invitation link would have.
    return membership.user, "domain"


def check_sign_in(request: HttpRequest, sociallogin) -> None:
    """allauth's ``pre_social_login``: let the person in (connecting the provider's account to
    theirs, making it from an invitation if need be) or raise a refusal page."""
    provider = sso.provider_by_key(sociallogin.account.provider)
    if provider is None:
        _refuse(request, None, PROVIDER_GONE, "provider-removed")
    if sso.is_saml(provider):
        # Signed by the connection's certificate, from its entity ID: checked by python3-saml.
        email = _saml_email(sociallogin)
        if not email:
            _refuse(
                request,
                provider,
                SAML_EMAIL_MISSING.format(attribute=sso.saml_email_attributes(provider)[0]),
                "email-missing",
            )
    else:
        email = _oidc_email(request, provider, sociallogin)
    _admit(request, provider, sociallogin, email)


def _oidc_email(request: HttpRequest, provider: SingleSignOnProvider, sociallogin) -> str:
    """The address an OpenID Connect provider vouched for, or a refusal page."""
    organisation = provider.organisation
    answered = _issuer(sociallogin)
    if answered != provider.issuer:
        _refuse(
            request,
            provider,
            WRONG_ISSUER.format(
                organisation=organisation.display_name,
                issuer=provider.issuer,
                answered=answered or "an answer naming no issuer",
            ),
            "wrong-issuer",
        )
    sources = _sources(sociallogin)
    email = _claims_email(sources)
    if not email or not email_verified(provider, sources):
        _refuse(request, provider, EMAIL_NOT_VERIFIED, "email-not-verified")
    return email


def _admit(request: HttpRequest, provider: SingleSignOnProvider, sociallogin, email: str):
    """The rules for both protocols once the provider has vouched for ``email``."""
    organisation = provider.organisation
    if not provider.domains.filter(domain=sso.email_domain(email)).exists():
        _refuse(
            request,
            provider,
            DOMAIN_NOT_COVERED.format(email=email, organisation=organisation.display_name),
            "domain-not-covered",
        )
    user = get_user_model().objects.filter(email__iexact=email).first()
    if sociallogin.is_existing and sociallogin.user.pk != getattr(user, "pk", None):
        # The provider's account was linked to someone whose address has since changed.
        _refuse(
            request,
            provider,
            DOMAIN_NOT_COVERED.format(email=email, organisation=organisation.display_name),
            "address-changed",
            user=sociallogin.user,
        )
    if sso.beyond_connection(provider, user):
        # A superuser's or staff account, or a member of another organisation: whoever controls
        # this organisation's provider must not be able to sign in as them (decision 114).
        _refuse(
            request,
            provider,
            ACCOUNT_BEYOND_CONNECTION.format(email=email, organisation=organisation.display_name),
            "account-beyond-connection",
            user=user,
        )
    with transaction.atomic():
        member = (
            user is not None
            and Membership.objects.filter(user=user, organisation=organisation).exists()
        )
        if not member:
            invitation = _open_invitation(provider, email)
            if invitation is not None or provider.new_members_role:
                try:
                    user, how = _make_member(provider, sociallogin, email, user, invitation)
                except ValidationError as refusal:
                    # Accepted or withdrawn a moment ago, or an address riskreg cannot take.
                    _refuse(request, provider, " ".join(refusal.messages), "membership-refused")
            else:
                _refuse(
                    request,
                    provider,
                    NOT_INVITED.format(email=email, organisation=organisation.display_name),
                    "not-invited",
                    user=user,
                )
            log.info(
                "single sign-on made a member: provider=%s organisation=%s user=%s by=%s",
                provider.key,
                organisation.slug,
                user.pk,
                how,
            )
        if not sociallogin.is_existing:
            sociallogin.connect(request, user)
    log.info(
        "single sign-on accepted: provider=%s user=%s ip=%s",
        provider.key,
        user.pk,
        client_ip(request) or "-",
    )


def may_sign_up(request: HttpRequest, sociallogin) -> bool:
    return False
