"""django-allauth's authentication backend, finding the account an address signs in as by its
sign-in address or a confirmed address only (``AUTHENTICATION_BACKENDS``, decision 100).

allauth's own backend looks the address up with ``filter_users_by_email(...,
prefer_verified=True)``, which falls back to unconfirmed rows when nobody has the address
confirmed: an address someone asked to change to (with a stolen session, or mistyped) signed in
as the account with its password. Everything else (the password check, the timing-attack
mitigation, the inactive-account stash its sign-in stages read) stays allauth's.

``_authenticate_by_email`` is not a documented hook: if allauth renames it this override stops
being called, and tests/accounts/test_pending_address.py fails (a pending address signs in)."""

from __future__ import annotations

from allauth.account import app_settings
from allauth.account.app_settings import LoginMethod
from allauth.account.auth_backends import AuthenticationBackend as AllauthAuthenticationBackend

from registers.selectors.sign_in import accounts_by_sign_in_address


class AuthenticationBackend(AllauthAuthenticationBackend):
    def _authenticate_by_email(self, email: str, password: str):
        if not email or LoginMethod.EMAIL not in app_settings.LOGIN_METHODS:
            return None
        for user in accounts_by_sign_in_address(email=email):
            if self._check_password(user, password):
                return user
        return None
