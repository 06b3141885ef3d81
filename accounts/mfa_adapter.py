"""riskreg's rules in django-allauth's two-factor pages (``MFA_ADAPTER``).

- Messages and the default name of a security key in plain words.
- An authenticator app's key and the recovery codes' seed are stored encrypted
  (``accounts.secrets``, the installation's key), not in clear where a database copy or the
  admin's view of allauth's table would show them.
- A person whose organisation requires a second factor cannot turn off their authenticator app
  while it is their only one (allauth asks the adapter before deactivating an app; removing a
  security key it does not ask about, so ``accounts.second_factor_log`` makes the middleware
  look again at once after any removal)."""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.core.exceptions import ImproperlyConfigured

from . import secrets
from .middleware import second_factor_required
from .selectors_second_factor import FACTOR_TYPES

INCORRECT_CODE = (
    "That code is not right. Type the code your authenticator app shows now: each code works "
    "for 30 seconds, and only once."
)
LAST_FACTOR_REQUIRED = (
    "Your organisation requires you to sign in with a second factor, so you cannot turn off "
    "your authenticator app while it is your only one. Add a security key first if you want to "
    "stop using the app."
)


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return secrets.encrypt(text, purpose=secrets.TWO_FACTOR_SECRETS)

    def decrypt(self, encrypted_text: str) -> str:
        """A secret the installation's key no longer opens reads as empty: the person's codes
        are refused, and an admin resets their second factor (README)."""
        try:
            return secrets.decrypt(encrypted_text, purpose=secrets.TWO_FACTOR_SECRETS)
        except ImproperlyConfigured:
            return ""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": INCORRECT_CODE,
        "cannot_delete_authenticator": LAST_FACTOR_REQUIRED,
    }

    def generate_authenticator_name(self, user, type: Authenticator.Type) -> str:  # noqa: A002
        """The name a new security key gets if the person gives none ("Master key" in allauth)."""
        count = Authenticator.objects.filter(user_id=user.pk, type=type).count()
        return "Security key" if count == 0 else f"Security key {count + 1}"

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type not in FACTOR_TYPES:
            return True
        user = authenticator.user
        others = Authenticator.objects.filter(user=user, type__in=FACTOR_TYPES).exclude(
            pk=authenticator.pk
        )
        return others.exists() or not second_factor_required(user)
