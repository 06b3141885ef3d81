"""An account's sign-in address as django-allauth keeps it (decision 96).

allauth reads a person's addresses from its own table (``EmailAddress``), not from
``User.email``: for two-factor set-up, password reset links, the e-mail change form. An account
with no row there gets one made by whichever allauth page reads it first, unverified, on a GET,
and an unverified address stops the person adding a second factor. So every path that makes an
account (``member_add``, an invitation's acceptance, single sign-on, the demo's seeding, the
user manager behind ``createsuperuser``, the Django admin) calls ``sign_in_address_add`` in the
same transaction, and migration ``accounts.0004`` made the rows missing from before.

The address counts as verified: the organisation that added the person (or the invitation link,
or the identity provider, or whoever runs the server) vouches for it, and it is the address the
person signs in with. Decision 96 says why.

An existing account's address changed other than by allauth's own change flow (which confirms the
new address by a link and then removes the old rows itself) goes through
``sign_in_address_change``: allauth's sign-in and password reset find the account by its verified
rows before ``User.email``, so an old address left verified would still sign in as the account and
be sent its reset links; it removes the account's other rows, confirmed or not (decision 100).
Which account an address finds, for those flows: ``registers.selectors.sign_in``."""

from __future__ import annotations

import logging

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower

log = logging.getLogger("riskreg.security")

ADDRESS_NEEDED = "an account needs an e-mail address"
ADDRESS_HELD = (
    "{email} is a confirmed address of another account: change that account's address first"
)
ADDRESS_TAKEN = "{email} is the address another account signs in with"


def sign_in_address_clean(*, email: str, user=None) -> str:
    """``email`` lowered and trimmed, if it may be ``user``'s sign-in address (``user`` None or
    unsaved: an account about to be made); else a ValidationError on ``email``: blank, another
    account's sign-in address, or another account's verified allauth address (allauth would
    sign that account in, and send it reset links, by it)."""
    email = (email or "").strip().lower()
    if not email:
        raise ValidationError({"email": ADDRESS_NEEDED})
    accounts = get_user_model()._default_manager.annotate(address=Lower("email"))
    held = EmailAddress.objects.filter(email__iexact=email, verified=True)
    if user is not None and user.pk is not None:
        accounts, held = accounts.exclude(pk=user.pk), held.exclude(user=user)
    if accounts.filter(address=email).exists():
        raise ValidationError({"email": ADDRESS_TAKEN.format(email=email)})
    if held.exists():
        raise ValidationError({"email": ADDRESS_HELD.format(email=email)})
    return email


@transaction.atomic
def sign_in_address_add(*, user, new_account: bool = False) -> EmailAddress:
    """Make ``user.email`` the account's primary, verified allauth address (idempotent).

    Any other primary row (an address the account had before its ``User.email`` was changed
    outside allauth) stops being primary; rows for other addresses are otherwise left as they
    are (a change the person asked for and has not confirmed stays pending). Refused with a
    ValidationError if another account holds the address as a verified one (allauth allows one).

    ``new_account``: the account was made in this transaction, so it has no allauth row yet;
    the row is inserted, with nothing to demote or update first (4 queries fewer, decision 141).
    """
    email = user.email.strip().lower()
    if not email:
        raise ValidationError({"email": ADDRESS_NEEDED})
    if EmailAddress.objects.filter(email=email, verified=True).exclude(user=user).exists():
        raise ValidationError({"email": ADDRESS_HELD.format(email=email)})
    if new_account:
        return EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    # Demote first: one primary row per account is a constraint, checked row by row.
    EmailAddress.objects.filter(user=user, primary=True).exclude(email=email).update(primary=False)
    address, _ = EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return address


@transaction.atomic
def sign_in_address_change(*, user, email: str, by=None) -> EmailAddress:
    """Make ``email`` the sign-in address of an existing account, replacing its allauth rows:
    the new address becomes its one verified, primary address and every other row goes,
    confirmed or not (decision 100). An admin's change is how an account is recovered: a change
    asked for on the e-mail page and not confirmed (by whoever held the session, or mistyped)
    goes too, so its confirmation link confirms nothing; the person asks again if it was theirs.

    ``by`` is who made the change (None: a command or the shell), for the security log; the
    change of ``User.email`` itself is logged by ``riskreg.security``'s signal like every other
    account change. Refused with a ValidationError on ``email`` (``sign_in_address_clean``)."""
    email = sign_in_address_clean(email=email, user=user)
    user_model = type(user)
    old = (
        user_model._default_manager.select_for_update()
        .filter(pk=user.pk)
        .values_list("email", flat=True)
        .get()
    )
    user.email = email
    if old != email:
        user.save(update_fields=["email"])
    _, deleted = EmailAddress.objects.filter(user=user).exclude(email=email).delete()
    address = sign_in_address_add(user=user)
    log.warning(
        "sign-in address replaced: user=%s removed=%d by=%s",
        user.pk,
        deleted.get(EmailAddress._meta.label, 0),
        by.pk if by is not None else "command",
    )
    return address
