"""A person's links to their single sign-on provider's subject (allauth's ``SocialAccount``),
removed by a system administrator in the Django admin (decisions 128, 131).

A link says which subject of which connection signs in as the account; the person's next
sign-in there links it again, through the sign-in's checks (``accounts.sso_sign_in``). Its
removal is in the security log (``riskreg.security``), by ids and the connection's key: never
the subject's identifier or the claims the provider sent. Links removed with their connection
are ``accounts.services_sso.common.forget_accounts``'s, under the connection's own log line.
"""

from __future__ import annotations

import logging

from allauth.socialaccount.models import SocialAccount
from django.db import transaction

log = logging.getLogger("riskreg.security")


def _by(by) -> str:
    return str(by.pk) if by is not None else "command"


@transaction.atomic
def sso_link_remove(*, link: SocialAccount, by) -> None:
    """Delete one link, ``by`` the superuser doing it (None: a command), and log it."""
    user_id, provider = link.user_id, link.provider
    deleted, _ = SocialAccount.objects.filter(pk=link.pk).delete()
    if deleted:
        log.warning(
            "single sign-on link removed: user=%s provider=%s by=%s", user_id, provider, _by(by)
        )
