"""A session idle for ``SESSION_COOKIE_AGE`` ends, without a database write on every page
(docs/decisions.md, decision 68).

Django's ``SESSION_SAVE_EVERY_REQUEST`` pushes a session's expiry a full age ahead by saving it on
every request: with the database sessions three queries a page (an UPDATE in its own
transaction), and with cached_db a database write and a cache write. Instead, a session is saved
when it changes, as Django does anyway, and otherwise only once its last save is
``RISKREG_SESSION_REFRESH_SECONDS`` old: the time of the last save is kept in the session itself,
and this middleware, just inside ``SessionMiddleware``, touches it on the way out when it is due,
so that ``SessionMiddleware`` saves the session (and sends the cookie again with the new expiry).

The expiry therefore trails the last request by at most the refresh interval: a person idle for
``SESSION_COOKIE_AGE`` is signed out between that age less the interval and that age after their
last page, never later. A session nobody uses is never touched; an empty one (signed out, or
anonymous with nothing in it) is never created by this.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# When the session was last saved (seconds since the epoch): in the session's own data, so every
# session engine (database, cached_db, cache) keeps it with the session.
SAVED_AT = "_riskreg_saved_at"


def on_signed_in(sender, request, user, **kwargs) -> None:
    """At sign-in (``user_logged_in``): the session is saved then (its key changes), so record
    when. Also stamps the sessions Django's test client makes with ``force_login``, which do not
    pass through the middleware, so their first page does not save them again."""
    session = getattr(request, "session", None) if request is not None else None
    if session is not None:
        session[SAVED_AT] = int(time.time())


class SessionRefreshMiddleware:
    """Goes right after ``django.contrib.sessions.middleware.SessionMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.refresh_seconds = settings.RISKREG_SESSION_REFRESH_SECONDS

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # No session (a health check removes it), or one this request never read: nothing to
        # keep alive, and reading it now would cost a query for nothing.
        session = getattr(request, "session", None)
        if session is None or not session.accessed or session.is_empty():
            return response
        now = int(time.time())
        if session.modified or now - session.get(SAVED_AT, 0) >= self.refresh_seconds:
            # Saved now either way (changed, or due): record when, which makes it due.
            session[SAVED_AT] = now
        return response
