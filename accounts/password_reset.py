"""Password reset on django-allauth's pages (issue 14): the security log's lines for it.

- A request (``accounts.forms_password.PasswordResetRequestForm.save``, after allauth's rate
  limits let it through) is logged with the account's id, or ``unknown-account`` when the
  address has no active account. The address typed is never logged: people type other things
  into that box, and the log would otherwise say which addresses were tried.
- A completed reset (allauth's ``password_reset`` signal, sent once a link has set the new
  password) is logged with the account's id.

Never a token, a link or a password. The person's other sessions end by themselves: Django
keeps a hash of the password in each session, so once the password changes every session
signed in with the old one is signed out at its next request (tested in
tests/accounts/test_password_reset.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from allauth.account.signals import password_reset
from django.http import HttpRequest

from riskreg.security import client_ip

log = logging.getLogger("riskreg.security")

UNKNOWN_ACCOUNT = "unknown-account"


def log_requested(request: HttpRequest, users: Iterable) -> None:
    ip = client_ip(request) or "-"
    ids = [str(user.pk) for user in users] or [UNKNOWN_ACCOUNT]
    for user_id in ids:
        log.info("password reset requested: user=%s ip=%s", user_id, ip)


def _on_password_reset(sender, request: HttpRequest, user, **kwargs) -> None:
    log.info("password reset completed: user=%s ip=%s", user.pk, client_ip(request) or "-")


def connect_receivers() -> None:
    """Called once from ``accounts.apps.AccountsConfig.ready``."""
    password_reset.connect(_on_password_reset, dispatch_uid="accounts.password_reset.completed")


def duration_words(seconds: int) -> str:
    """ "1 hour", "90 minutes", "2 days": how long a link works, as the e-mail says it."""
    minutes = max(1, seconds // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
