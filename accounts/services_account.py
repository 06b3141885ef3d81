"""Writes a person makes to their own account from the account page (issue 14): their name
and job title, and keeping their sign-in address before they ask to change it.

The security log line for a changed name or job title is written by ``riskreg.security``'s
signal on the user model (``ACCOUNT_FIELDS``), as for every other path that changes an account
(the admin, commands, the shell); nothing here logs it again."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import transaction

from registers.services.accounts import sign_in_address_add


def account_details_change(*, user, full_name: str, job_title: str):
    """The person's name and job title, as registers show them beside the risks they own."""
    with transaction.atomic():
        user.full_name = full_name.strip()
        user.job_title = job_title.strip()
        user.full_clean(exclude=["password"])
        user.save(update_fields=["full_name", "job_title"])
    return user


def sign_in_address_keep(*, user) -> EmailAddress:
    """The address the person signs in with, as django-allauth's confirmed primary address.

    Before an address change: allauth treats an unconfirmed address as one being changed *to*,
    and replaces it (blanking ``User.email``) when another is asked for. Every account has had
    its confirmed row since it was made (``registers.services.accounts``, migration
    ``accounts.0004``, decision 96); this puts it back for one whose row was lost or never made
    (one the migration left alone). The new address still changes nothing until its link is
    followed."""
    return sign_in_address_add(user=user)
