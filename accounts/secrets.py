"""Client secrets of single sign-on providers, encrypted at rest.

A secret typed into the sign-in settings page is stored as a Fernet token under a key stretched
from ``RISKREG_SECRETS_KEY`` (``SECRET_KEY`` when unset); one set by the ``sso_provider`` command
is not stored at all: the provider row names the environment variable that holds it. Neither is
ever shown back: pages say only where the secret comes from.

The two-factor secrets allauth keeps (an authenticator app's key, the seed of recovery codes)
are encrypted the same way, under their own purpose (``accounts.mfa_adapter``)."""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_CHANGED = (
    "The client secret stored for this provider cannot be read with this installation's key "
    "(RISKREG_SECRETS_KEY or SECRET_KEY changed): an admin must type it again."
)


# What a key is for goes into it, so one purpose's token never decrypts as another's.
SSO_CLIENT_SECRETS = b"riskreg sso client secrets"
TWO_FACTOR_SECRETS = b"riskreg two-factor secrets"


def _fernet(purpose: bytes) -> Fernet:
    material = (settings.RISKREG_SECRETS_KEY or settings.SECRET_KEY).encode()
    key = hashlib.sha256(purpose + b"\0" + material).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str, *, purpose: bytes = SSO_CLIENT_SECRETS) -> str:
    return _fernet(purpose).encrypt(secret.encode()).decode()


def decrypt(token: str, *, purpose: bytes = SSO_CLIENT_SECRETS) -> str:
    try:
        return _fernet(purpose).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(KEY_CHANGED) from None


def from_environment(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"the environment variable {name} holds no client secret")
    return value
