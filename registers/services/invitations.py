"""Invitations: every address is e-mailed a single-use link that expires, whether or not it
already has a riskreg account. Following it, a person without an account sets their name and a
password (or signs in with their organisation's single sign-on); a person with one signs in with
it and presses Join. Either way they become a member with the role they were invited as only
when they accept: an organisation never adds someone else's account to itself (decision 113),
and nothing it is shown says whether an address has an account anywhere.

Only a hash of each link's token is stored. Resending makes a new token and a new expiry (the
older link stops working); withdrawing or accepting closes the invitation. Every step is in the
security log (``riskreg.security``), never with the token."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from riskreg import mail

from ..models import Invitation, InvitationState, Membership, Organisation, Role
from .accounts import sign_in_address_add
from .memberships import member_add_with_role
from .organisations import role_words

log = logging.getLogger("riskreg.security")

INVITATION_EXPIRED = (
    "This invitation has expired. Ask the person who invited you, or an admin of {organisation}, "
    "to send you a new one."
)
INVITATION_USED = (
    "This invitation has already been used. If it was you, sign in with your e-mail address; "
    "if you have forgotten your password, reset it from the sign-in page."
)
INVITATION_WITHDRAWN = (
    "This invitation was withdrawn by {organisation}. Ask an admin of {organisation} if you "
    "think you should have access."
)
INVITATION_UNKNOWN = (
    "This invitation link is not valid: it may have been replaced by a newer invitation "
    "(only the latest e-mail's link works), or copied incompletely. Ask the person who invited "
    "you to send it again."
)
ALREADY_MEMBER = "{email} is already a member of {organisation}"
ALREADY_HAS_ACCOUNT = (
    "There is already a riskreg account for {email}: sign in with it to accept this invitation."
)
EMAIL_MAX_LENGTH = Invitation._meta.get_field("email").max_length
EMAIL_TOO_LONG = (
    "That e-mail address is {length} characters long: an e-mail address has at most {limit}"
)


@dataclass(frozen=True)
class InvitationResult:
    """What inviting an address did: the invitation sent (a new one, or the open one again)."""

    invitation: Invitation


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, _hash(token)


def acceptance_url(token: str) -> str:
    return mail.absolute(reverse("invitation_accept", kwargs={"token": token}))


def _normalised_email(email: str) -> str:
    email = (email or "").strip().lower()
    if len(email) > EMAIL_MAX_LENGTH:
        # Before the format check: Django's allows up to 320 characters, the column 254.
        raise ValidationError(
            {"email": EMAIL_TOO_LONG.format(length=len(email), limit=EMAIL_MAX_LENGTH)}
        )
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": f"{email!r} is not a valid e-mail address"}) from None
    return email


def _expiry(now):
    return now + timedelta(days=settings.RISKREG_INVITATION_DAYS)


def _send(invitation: Invitation, token: str) -> None:
    organisation = invitation.organisation
    context = {
        "invitation": invitation,
        "organisation": organisation,
        "role": invitation.get_role_display(),
        "role_words": role_words(invitation.role, registers_limited=invitation.registers_limited),
        "invited_by": invitation.invited_by,
        "acceptance_url": acceptance_url(token),
        "expires_at": timezone.localtime(invitation.expires_at),
    }
    mail.send_later(
        subject=f"You are invited to {organisation.display_name} on riskreg",
        text=render_to_string("registers/email/invitation.txt", context),
        html=render_to_string("registers/email/invitation.html", context),
        to=[invitation.email],
    )


def open_invitations(organisation: Organisation):
    """Invitations not yet accepted or withdrawn (expired ones included: they can be resent)."""
    return (
        Invitation.objects.filter(
            organisation=organisation, accepted_at__isnull=True, withdrawn_at__isnull=True
        )
        .select_related("invited_by")
        .order_by("email")
    )


@transaction.atomic
def invitation_send(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    registers_limited: bool = False,
    invited_by=None,
) -> InvitationResult:
    """Invite ``email`` as ``role``; an address already invited gets the invitation again (with
    the new role). An address with an account is invited like any other, never made a member
    here and now: only its owner, signed in, can accept (decision 113). The only refusal that
    depends on who the address is, ``ALREADY_MEMBER``, is about this organisation alone."""
    if role not in Role.values:
        raise ValidationError({"role": f"unknown role {role!r}; roles: {', '.join(Role.values)}"})
    email = _normalised_email(email)
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError(
            {"email": ALREADY_MEMBER.format(email=email, organisation=organisation.display_name)}
        )
    now = timezone.now()
    token, token_hash = _new_token()
    # Locks the invitation row only: invited_by is an outer join, which FOR UPDATE cannot lock.
    invitation = (
        open_invitations(organisation).select_for_update(of=("self",)).filter(email=email).first()
    )
    if invitation is None:
        invitation = Invitation(organisation=organisation, email=email, created_at=now)
    invitation.role = role
    invitation.registers_limited = registers_limited and role == Role.COORDINATOR
    invitation.invited_by = invited_by
    invitation.token_hash = token_hash
    invitation.sent_at = now
    invitation.expires_at = _expiry(now)
    invitation.full_clean(exclude=["invited_by"])
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        # Someone else invited the same address at the same moment: theirs stands.
        raise ValidationError({"email": f"{email} was invited a moment ago"}) from None
    _send(invitation, token)
    log.info(
        "invitation sent: invitation=%s organisation=%s role=%s by=%s",
        invitation.pk,
        organisation.slug,
        role,
        invited_by.pk if invited_by else "command",
    )
    return InvitationResult(invitation=invitation)


@transaction.atomic
def invitation_resend(*, invitation: Invitation, sent_by=None) -> Invitation:
    """A new link and a new expiry; the older link stops working."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.withdrawn_at:
        raise ValidationError("Only an invitation that is still open can be sent again")
    token, invitation.token_hash = _new_token()
    invitation.sent_at = timezone.now()
    invitation.expires_at = _expiry(invitation.sent_at)
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    _send(invitation, token)
    log.info(
        "invitation sent again: invitation=%s organisation=%s by=%s",
        invitation.pk,
        invitation.organisation.slug,
        sent_by.pk if sent_by else "command",
    )
    return invitation


@transaction.atomic
def invitation_withdraw(*, invitation: Invitation, withdrawn_by=None) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise ValidationError("This invitation has been accepted: remove the member instead")
    if invitation.withdrawn_at:
        return invitation
    invitation.withdrawn_at = timezone.now()
    invitation.withdrawn_by = withdrawn_by
    invitation.save(update_fields=["withdrawn_at", "withdrawn_by"])
    log.info(
        "invitation withdrawn: invitation=%s organisation=%s by=%s",
        invitation.pk,
        invitation.organisation.slug,
        withdrawn_by.pk if withdrawn_by else "command",
    )
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=_hash(token or ""))
        .first()
    )


def refusal_for(invitation: Invitation | None) -> str | None:
    """Why this link cannot be accepted now, in the words the acceptance page shows; None if it
    can."""
    if invitation is None:
        return INVITATION_UNKNOWN
    name = invitation.organisation.display_name
    state = invitation.state
    if state == InvitationState.ACCEPTED:
        return INVITATION_USED
    if state == InvitationState.WITHDRAWN:
        return INVITATION_WITHDRAWN.format(organisation=name)
    if state == InvitationState.EXPIRED:
        return INVITATION_EXPIRED.format(organisation=name)
    return None


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    full_name: str,
    password: str | None = None,
    job_title: str = "",
    user=None,
) -> Membership:
    """Accept: make the account (with this password, or none for single sign-on) unless ``user``
    is given (single sign-on found or made it), the membership with the invited role, and mark
    the address verified (the link reached it)."""
    invitation = (  # the invitation's row alone, not its organisation's
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=invitation.pk)
    )
    refusal = refusal_for(invitation)
    if refusal:
        raise ValidationError(refusal)
    user_model = get_user_model()
    if user is None:
        if user_model.objects.filter(email__iexact=invitation.email).exists():
            raise ValidationError(ALREADY_HAS_ACCOUNT.format(email=invitation.email))
        user = user_model(email=invitation.email, full_name=full_name.strip(), job_title=job_title)
        if password:
            password_validation.validate_password(password, user)
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
    elif user.email.lower() != invitation.email:
        raise ValidationError(
            f"This invitation is for {invitation.email}, not {user.email}: sign in with the "
            "address it was sent to"
        )
    sign_in_address_add(user=user)  # verified: the link reached it
    membership = member_add_with_role(
        organisation=invitation.organisation,
        email=invitation.email,
        role=invitation.role,
        registers_limited=invitation.registers_limited,
        added_by=invitation.invited_by,
        notify=False,  # they know: they have just accepted
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    log.info(
        "invitation accepted: invitation=%s organisation=%s user=%s",
        invitation.pk,
        invitation.organisation.slug,
        user.pk,
    )
    return membership
