"""django-allauth's authentication backend, finding the account an address signs in as by its
sign-in address or a confirmed address only (``AUTHENTICATION_BACKENDS``, decision 100).

allauth's own backend looks the address up with ``filter_users_by_email(...,
prefer_verified=True)``, which falls back to unconfirmed rows when nobody has the address
confirmed: an address someone asked to change to (with a stolen session, or mistyped) signed in
as the account with its password. Everything else (the password check, the timing-attack
mitigation, the inactive-account stash its sign-in stages read) stays allauth's.

An account whose organisation lets its people in only through its own identity provider
("single sign-on only") is not signed in by its password: the right password is answered as a
wrong one, after the same password check, so the sign-in page, its timing and django-axes' count
of failures are those of a wrong password (``user_login_failed``) and nobody learns from them
whether the address has an account, nor whether it is also another organisation's. An account
that provider may not sign in (``sso.beyond_connection``) keeps its password (decision 114).

``_authenticate_by_email`` is not a documented hook: if allauth renames it this override stops
being called, and tests/accounts/test_pending_address.py fails (a pending address signs in)."""

from __future__ import annotations

from allauth.account import app_settings
from allauth.account.app_settings import LoginMethod
from allauth.account.auth_backends import AuthenticationBackend as AllauthAuthenticationBackend

from registers.selectors.sign_in import accounts_by_sign_in_address

from . import sso


class AuthenticationBackend(AllauthAuthenticationBackend):
    def _authenticate_by_email(self, email: str, password: str):
        if not email or LoginMethod.EMAIL not in app_settings.LOGIN_METHODS:
            return None
        for user in accounts_by_sign_in_address(email=email):
            # Asked whatever the password, so a right one refused takes a wrong one's time.
            refused = _only_through_provider(user)
            if self._check_password(user, password):
                return None if refused else user
        return None


def _only_through_provider(user) -> bool:
    """Whether the account signs in only through its organisation's provider (one query, two for
    an address of a connected domain)."""
    provider = sso.provider_for_user(user)
    return provider is not None and provider.only_way_in
