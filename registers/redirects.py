"""Old links to a renamed register keep working: a GET or HEAD of any page whose URL names a
register by a slug it had before an admin changed it (``permissions.RegisterMoved``, raised by
the register lookups) is redirected to the same page, query string and all, under the register's
current slug. Anything else (a POST, a slug no register of the organisation ever had) stays the
404 it was.

The redirect is a 302, not a 301: a slug can change again, or back, and a browser that cached a
permanent a -> b would loop once b is renamed back to a."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse

from .permissions import RegisterMoved

REDIRECTED_METHODS = ("GET", "HEAD")


class OldRegisterSlugMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, RegisterMoved) or request.method not in REDIRECTED_METHODS:
            return None
        match = getattr(request, "resolver_match", None)
        if match is None or "register" not in match.kwargs:
            return None
        try:
            url = reverse(
                match.view_name,
                args=match.args,
                kwargs={**match.kwargs, "register": exception.slug},
            )
        except NoReverseMatch:
            return None
        query = request.META.get("QUERY_STRING", "")
        return HttpResponseRedirect(f"{url}?{query}" if query else url)
