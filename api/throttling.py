"""One rate per token (RISKREG_API_RATE, default 600/min), or per person on a session.
https://www.django-rest-framework.org/api-guide/throttling/#custom-throttles"""

from rest_framework.throttling import SimpleRateThrottle


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_cache_key(self, request, view):
        token = request.auth
        if token is not None and hasattr(token, "token_hash"):
            ident = f"token-{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
