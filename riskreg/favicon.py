"""``/favicon.ico``: where the site's icon is, for whatever asks the old address (a browser
opening a download, a feed reader, a bookmark): a small redirect to ``static/favicon.svg``, the
icon base.html names. It was the full 404 page, about 50 KB, on a person's first visit.

No login, no session, nothing read: like ``/healthz``, it answers anyone the same."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

ICON = "favicon.svg"
ICON_CACHE_SECONDS = 24 * 60 * 60  # the file's address changes with each release's hash


@require_safe
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    response = HttpResponseRedirect(static(ICON))
    patch_cache_control(response, public=True, max_age=ICON_CACHE_SECONDS)
    return response
