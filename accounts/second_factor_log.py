"""A person's own changes to their second factors, in the security log (``riskreg.security``).

allauth's two-factor pages send signals when an authenticator app, a security key or a set of
recovery codes is added, removed or (recovery codes) made anew, and when a code is wrong; these
receivers write one line each, naming the account by id and the kind of factor, never a code, a
secret or a key's name (people name keys after themselves and their devices). An admin's reset
of someone else's is logged by ``accounts.services_second_factor``.

After a removal the middleware works out at once, in the session that removed it, whether the
person still has the second factor their organisation requires (their other sessions do on their
next page: the deletion renews the person's token, ``accounts.middleware``)."""

from __future__ import annotations

import logging

from allauth.mfa import signals
from allauth.mfa.models import Authenticator

from riskreg.security import client_ip

from . import middleware

log = logging.getLogger("riskreg.security")


def _line(what: str, user, authenticator: Authenticator, request) -> str:
    address = (client_ip(request) if request is not None else None) or "-"
    # type: allauth's name for the kind: totp, webauthn or recovery_codes.
    return f"second factor {what}: user={user.pk} type={authenticator.type} ip={address}"


def on_added(sender, request, user, authenticator, **kwargs) -> None:
    log.info(_line("added", user, authenticator, request))


def on_removed(sender, request, user, authenticator, **kwargs) -> None:
    log.warning(_line("removed", user, authenticator, request))
    if request is not None and hasattr(request, "session") and request.user.is_authenticated:
        middleware.remember(request)


def on_replaced(sender, request, user, authenticator, **kwargs) -> None:
    """New recovery codes in place of the old ones (the only "reset" allauth sends)."""
    log.info(_line("replaced", user, authenticator, request))


def on_failed(sender, request, user, authenticator, **kwargs) -> None:
    log.warning(_line("code wrong", user, authenticator, request))


def connect_receivers() -> None:
    """Called once from ``accounts.apps.AccountsConfig.ready``."""
    dispatch = "riskreg.second_factor."
    signals.authenticator_added.connect(on_added, dispatch_uid=dispatch + "added")
    signals.authenticator_removed.connect(on_removed, dispatch_uid=dispatch + "removed")
    signals.authenticator_reset.connect(on_replaced, dispatch_uid=dispatch + "replaced")
    signals.authentication_failed.connect(on_failed, dispatch_uid=dispatch + "failed")
