"""``Authorization: Bearer <token>`` for the API (DRF authentication class).

https://www.django-rest-framework.org/api-guide/authentication/#custom-authentication
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken
from .services import hash_token

security_log = logging.getLogger("riskreg.security")

# last_used_at is written at most this often, so a busy script does not write on every call.
LAST_USED_EVERY = dt.timedelta(minutes=1)
BAD_TOKEN_MESSAGE = "Invalid, expired or revoked token."  # noqa: S105 (a message)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            security_log.warning(
                "api refused: malformed Bearer header from %s", request.META.get("REMOTE_ADDR", "-")
            )
            raise exceptions.AuthenticationFailed("The Authorization header is 'Bearer <token>'.")
        token = (
            ApiToken.objects.select_related("user").filter(token_hash=hash_token(header[1])).first()
        )
        now = timezone.now()
        if token is None or token.revoked_at is not None or token.expires_at <= now:
            security_log.warning(
                "api refused: %s token (prefix %s) from %s",
                "unknown" if token is None else ("revoked" if token.revoked_at else "expired"),
                header[1][:10],
                request.META.get("REMOTE_ADDR", "-"),
            )
            raise exceptions.AuthenticationFailed(BAD_TOKEN_MESSAGE)
        if not token.user.is_active:
            security_log.warning("api refused: token=%s of an inactive user", token.pk)
            raise exceptions.AuthenticationFailed(BAD_TOKEN_MESSAGE)
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
