"""Which account an address finds, for django-allauth's flows that send it a secret or sign it
in: a password reset link, signing in with a password (decision 100).

An account is found by its sign-in address (``User.email``, whatever its case) or by one of its
confirmed allauth addresses; never by an unconfirmed one. allauth's own look-up
(``filter_users_by_email(..., prefer_verified=True)``) falls back to unconfirmed rows when nobody
has the address confirmed, and an unconfirmed row is only an address someone asked to change to:
with a stolen session, or mistyped. Found by it, that mailbox got the account's reset links."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower


def accounts_by_sign_in_address(*, email: str, is_active: bool | None = None) -> list:
    """The accounts ``email`` signs in as, by id (at most one where the database's constraints
    hold: ``user_email_ci_unique``, and allauth allows one verified row of an address)."""
    email = (email or "").strip().lower()
    if not email:
        return []
    # allauth stores its rows lowered, and looks them up lowered (its own index).
    confirmed = EmailAddress.objects.filter(email=email, verified=True).values("user_id")
    accounts = (
        get_user_model()
        ._default_manager.alias(address=Lower("email"))
        .filter(Q(address=email) | Q(pk__in=confirmed))
    )
    if is_active is not None:
        accounts = accounts.filter(is_active=is_active)
    return list(accounts.order_by("pk"))
