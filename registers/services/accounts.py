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
person signs in with. Decision 96 says why."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction

ADDRESS_HELD = (
    "{email} is a confirmed address of another account: change that account's address first"
)


@transaction.atomic
def sign_in_address_add(*, user) -> EmailAddress:
    """Make ``user.email`` the account's primary, verified allauth address (idempotent).

    Any other primary row (an address the account had before its ``User.email`` was changed
    outside allauth) stops being primary; rows for other addresses are otherwise left as they
    are (a change the person asked for and has not confirmed stays pending). Refused with a
    ValidationError if another account holds the address as a verified one (allauth allows one).
    """
    email = user.email.strip().lower()
    if not email:
        raise ValidationError({"email": "an account needs an e-mail address"})
    if EmailAddress.objects.filter(email=email, verified=True).exclude(user=user).exists():
        raise ValidationError({"email": ADDRESS_HELD.format(email=email)})
    # Demote first: one primary row per account is a constraint, checked row by row.
    EmailAddress.objects.filter(user=user, primary=True).exclude(email=email).update(primary=False)
    address, _ = EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return address
