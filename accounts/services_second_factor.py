"""Writes about second factors: an organisation's rule for who must have one, and the reset of a
member's second factor by an admin (a lost phone, a broken security key), or of any account's by
a superuser in the Django admin (``second_factor_reset_by_system_administrator``).

Both are in the security log (``riskreg.security``) by ids and slugs only; the reset also tells the
person by e-mail, so a reset they did not ask for does not go unnoticed. A person's own changes
(adding and removing their factors on allauth's pages) are logged by ``accounts.second_factor_log``.
"""

from __future__ import annotations

import logging

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from registers.calendar import organisation_zone
from registers.models import Membership, Organisation, Role, SecondFactorRule
from riskreg import mail

from .middleware import second_factor_required

log = logging.getLogger("riskreg.security")

RULE_UNKNOWN = "Choose who must sign in with a second factor"
# One answer for a superuser's, a staff account and a member of another organisation: which
# one it is is not the organisation's to learn (decision 113: never say whether an address has
# an account elsewhere; decision 114, amended).
RESET_FOR_SYSTEM_ADMINISTRATORS = (
    "Only riskreg's system administrators can reset this account's two-factor sign-in. Ask "
    "whoever runs riskreg."
)
RESET_NOT_A_MEMBER = "{name} is not a member of {organisation}"
RESET_SUBJECT = "Your two-factor sign-in to riskreg was reset"


def _name(user) -> str:
    return user.get_full_name()


@transaction.atomic
def second_factor_rule_set(*, organisation: Organisation, rule: str, by) -> bool:
    """Set who in ``organisation`` must sign in with a second factor. True if it changed.

    People already signed in meet a stricter rule on their next page: the organisation's save
    renews the token the middleware's kept answers hold under (decision 104)."""
    if rule not in SecondFactorRule.values:
        raise ValidationError({"rule": RULE_UNKNOWN})
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if locked.second_factor_required == rule:
        return False
    locked.second_factor_required = rule
    locked._change_reason = f"second factor required for: {SecondFactorRule(rule).label}"
    locked._history_user = by
    locked.save(update_fields=["second_factor_required"])
    organisation.second_factor_required = rule
    log.info(
        "second factor rule changed: organisation=%s rule=%s by=%s",
        organisation.slug,
        rule,
        by.pk,
    )
    return True


def reset_refusal(*, user, organisation: Organisation, by) -> str:
    """Why ``by`` may not reset ``user``'s second factor in ``organisation`` ("" if they may).
    Who may reset at all is the access check's (``OrganisationAccess.can_reset_second_factors``);
    this is the rule about whose (decision 114). A second factor belongs to the account, not
    to a membership: a reset deletes it for every organisation the person is in. So an
    organisation's admin resets only an account that is their organisation's alone: never a
    superuser's or a staff account's (the installation's administrators), nor the account of
    someone who is also a member of another organisation, whose admin did not ask for it.
    Those are for the installation's administrators: a superuser who is a member of the
    organisation (its pages are a member's), or the ``reset_second_factor`` command; all three
    get the same words (``RESET_FOR_SYSTEM_ADMINISTRATORS``), which say not which."""
    if by is None or by.is_superuser:  # the command (the server's operator), or a superuser
        return ""
    if user.is_superuser or user.is_staff:
        return RESET_FOR_SYSTEM_ADMINISTRATORS
    elsewhere = Membership.objects.filter(user=user).exclude(organisation=organisation)
    if elsewhere.exists():
        return RESET_FOR_SYSTEM_ADMINISTRATORS
    return ""


@transaction.atomic
def second_factor_reset(*, user, organisation: Organisation, by=None) -> int:
    """Delete every second factor of ``user`` (authenticator app, security keys and passkeys,
    recovery codes), so they can sign in with their password alone and set up a new one; if
    an organisation requires them to have one, the middleware takes them to set it up at once.

    ``by`` is the admin doing it, or None for the ``reset_second_factor`` command (run by
    whoever runs the server: for a superuser outside the organisation, or an organisation whose
    only admin lost their phone). Returns how many allauth authenticators were deleted; 0
    deletes nothing, logs nothing and sends nothing."""
    # The account's row is the lock (as allauth's recovery-code flow takes it), so a factor
    # added while the reset runs is either deleted with the others or added after it. A
    # membership of another organisation inserted meanwhile does not wait at its insert:
    # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so its check, which takes FOR KEY
    # SHARE on this row, runs at its commit, and that commit waits for the reset's. Either it
    # committed before this lock (and the refusal below sees it) or it commits after the reset,
    # as a membership added later would.
    account = get_user_model()._default_manager.select_for_update().get(pk=user.pk)
    refusal = reset_refusal(user=account, organisation=organisation, by=by)
    if refusal:
        raise ValidationError(refusal)
    if not Membership.objects.filter(user=user, organisation=organisation).exists():
        raise ValidationError(
            RESET_NOT_A_MEMBER.format(name=_name(user), organisation=organisation.display_name)
        )
    return _delete_and_tell(user=user, organisation=organisation, by=by)


@transaction.atomic
def second_factor_reset_by_system_administrator(*, user, by) -> int:
    """The Django admin's reset (decision 128): a superuser deleting any of an account's second
    factors there resets them all, as a reset on a member's page does, with the same security
    log line (``organisation=-``: it is made in no organisation's name) and the same e-mail to
    the person. Superusers are riskreg's system administrators, who reset any account's
    (decision 114), also one that belongs to no organisation (another superuser's), which no
    member page or ``reset_second_factor --org`` reaches. Anyone else is refused."""
    if by is None or not by.is_superuser:
        raise ValidationError(RESET_FOR_SYSTEM_ADMINISTRATORS)
    get_user_model()._default_manager.select_for_update().get(pk=user.pk)  # as above
    return _delete_and_tell(user=user, organisation=None, by=by)


def _delete_and_tell(*, user, organisation: Organisation | None, by) -> int:
    deleted, _ = Authenticator.objects.filter(user=user).delete()
    if not deleted:
        return 0
    log.warning(
        "second factor reset: user=%s organisation=%s by=%s",
        user.pk,
        organisation.slug if organisation is not None else "-",
        by.pk if by is not None else "command",
    )
    _tell(user=user, organisation=organisation, by=by)
    return deleted


def _tell(*, user, organisation: Organisation | None, by) -> None:
    by_admin = (
        by is not None
        and organisation is not None
        and Membership.objects.filter(user=by, organisation=organisation, role=Role.ADMIN).exists()
    )
    context = {
        "by_role": (
            f"an admin of {organisation.name}" if by_admin else "a system administrator of riskreg"
        ),
        "user": user,
        "organisation": organisation,
        "by": by,
        "reset_at": (
            timezone.localtime(timezone=organisation_zone(organisation))
            if organisation is not None
            else timezone.localtime()
        ),
        "required": second_factor_required(user),
        "setup_url": mail.absolute(reverse("second_factor_setup")),
    }
    mail.send_later(
        subject=RESET_SUBJECT,
        text=render_to_string("accounts/email/second_factor_reset.txt", context),
        html=render_to_string("accounts/email/second_factor_reset.html", context),
        to=[user.email],
    )
