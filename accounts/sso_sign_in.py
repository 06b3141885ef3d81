"""Who may come in through an organisation's identity provider (issue 14).

Signing in with a provider never makes an account or a membership by itself. The provider must
have verified the address it returns, the address must be of a domain the provider covers, and
the person must already be a member of the provider's organisation, or hold an open invitation
to it (accepted here: the account is made, with no password), or the organisation must have
chosen to let anyone of its domains in as a viewer (``new_members_role``). Everyone else is
refused with a page saying why, and the refusal is in the security log. allauth's own sign-up
form is never used: ``may_sign_up`` is always False, because the account is made here or not at
all."""

from __future__ import annotations

import logging

from allauth.core.exceptions import ImmediateHttpResponse
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import render

from registers.models import Invitation, InvitationState, Membership
from registers.services.invitations import invitation_accept
from registers.services.memberships import member_add_with_role
from riskreg.security import client_ip

from . import sso
from .models import SingleSignOnProvider

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
PROVIDER_GONE = "This single sign-on connection is no longer set up. Sign in again."


def _claims_email(sociallogin) -> tuple[str, bool]:
    for address in sociallogin.email_addresses:
        if address.email:
            return address.email.strip().lower(), bool(address.verified)
    return "", False


def _refuse(request: HttpRequest, provider, message: str, reason: str, user=None):
    log.warning(
        "single sign-on refused: provider=%s reason=%s user=%s ip=%s",
        provider.key if provider else "-",
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


def _full_name(sociallogin) -> str:
    data = sociallogin.account.extra_data or {}
    claims = data.get("userinfo") or data.get("id_token") or data
    name = claims.get("name") or " ".join(
        part for part in (claims.get("given_name"), claims.get("family_name")) if part
    )
    return str(name or "")[:150]


def check_sign_in(request: HttpRequest, sociallogin) -> None:
    """allauth's ``pre_social_login``: let the person in (connecting the provider's account to
    theirs, making it from an invitation if need be) or raise a refusal page."""
    provider = sso.provider_by_key(sociallogin.account.provider)
    if provider is None:
        _refuse(request, None, PROVIDER_GONE, "provider-removed")
    organisation = provider.organisation
    email, verified = _claims_email(sociallogin)
    if not email or not verified:
        _refuse(request, provider, EMAIL_NOT_VERIFIED, "email-not-verified")
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
    with transaction.atomic():
        member = (
            user is not None
            and Membership.objects.filter(user=user, organisation=organisation).exists()
        )
        if not member:
            invitation = _open_invitation(provider, email)
            if invitation is not None:
                membership = invitation_accept(
                    invitation=invitation, full_name=_full_name(sociallogin), user=user
                )
                user = membership.user
                how = "invitation"
            elif provider.new_members_role:
                if user is None:
                    user = get_user_model().objects.create_user(
                        email=email, full_name=_full_name(sociallogin)
                    )
                member_add_with_role(
                    organisation=organisation,
                    email=email,
                    role=provider.new_members_role,
                    notify=False,
                )
                how = "domain"
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
