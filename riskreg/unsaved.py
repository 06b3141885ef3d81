"""What a person typed into a form is not lost when their session ended while the form was open
(docs/decisions.md, decision 19).

A form posted without a valid session is answered, as before, by the sign-in page (login_required),
and nothing is saved. On the way, this middleware keeps the posted values (never the CSRF token,
passwords or files) in the browser's new session, under a random single-use token, for an hour.
Signing in keeps the session's data (django.contrib.auth.login cycles the key), and ``next`` leads
back to the form with the token: the form page, after its usual access checks, shows the values
again as a bound form, saying nothing was saved. Pages that cannot show a form again (buttons that
only post) lead to a page that lists what was typed, for copying.

A form posted after the person signed in again in another tab fails the CSRF check (signing in
changes the CSRF token): when the post came from this site (its Origin header), the values are
kept the same way and the person is sent back to the form instead of a bare 403.

Either way, only a post from this site (its Origin header) is kept: another site's post, which a
browser sends without the session cookie, wrote a new session over the person's and planted its
own text as theirs (decision 122).

The values stay in the session of the browser they were typed in: whoever can use that browser
could already read them in the open form.
"""

from __future__ import annotations

import secrets
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render, resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

SESSION_KEY = "riskreg_unsaved"
QUERY_PARAMETER = "unsaved"  # carries the token of the kept values
KEEP_SECONDS = 60 * 60
MAX_KEPT = 5  # forms per session: older ones give way
MAX_CHARACTERS = 100_000  # what one form may keep: more is not kept, and the page says so
# Pages whose GET shows the form again from kept values (they call ``restore``).
RESTORING_PAGES = frozenset(
    {"risk_edit", "risk_create", "risk_review", "appetite_statement_edit", "quick_update"}
)
# Signing out: what it posts (``next``, say) is no typing to keep, and "You were signed out
# before your changes were saved" would be false (decision 133).
SIGN_OUT_VIEWS = frozenset({"logout", "account_logout", "admin:logout"})

SIGNED_OUT_KEPT = (
    "You were signed out before this was saved. Nothing was saved: check your changes below "
    "and save again."
)
SIGNED_OUT_SIGN_IN = (
    "You were signed out before your changes were saved. Nothing was saved. Sign in again to "
    "get back what you typed."
)
SIGN_IN_CHANGED = (
    "You signed in again in another tab before this was saved. Nothing was saved: check your "
    "changes below and save again."
)
NOT_KEPT = (
    "You were signed out before your changes were saved. Nothing was saved, and what you typed "
    "was too long to keep: go back in your browser to copy it."
)


def _is_secret(name: str) -> bool:
    name = name.lower()
    return any(word in name for word in ("csrf", "password", "token", "secret"))


def _keep(request: HttpRequest, *, signed_out: bool) -> str | None:
    """Keep the posted values in the session; the token, or None when they are too long."""
    data = {name: request.POST.getlist(name) for name in request.POST if not _is_secret(name)}
    if not data:
        return None
    if sum(len(name) + sum(len(v) for v in values) for name, values in data.items()) > (
        MAX_CHARACTERS
    ):
        return None
    referer = request.headers.get("Referer", "")
    back = ""
    if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        path = urlsplit(referer).path
        # a path of this host may still read as another site's address ("//evil.example/x")
        if url_has_allowed_host_and_scheme(path, allowed_hosts={request.get_host()}):
            back = path
    token = secrets.token_urlsafe(16)
    kept = {
        key: entry
        for key, entry in request.session.get(SESSION_KEY, {}).items()
        if entry["at"] > time.time() - KEEP_SECONDS
    }
    for key in sorted(kept, key=lambda key: kept[key]["at"])[: max(0, len(kept) - MAX_KEPT + 1)]:
        del kept[key]
    kept[token] = {
        "path": request.path,
        "back": back,
        "data": data,
        "at": time.time(),
        "signed_out": signed_out,
    }
    request.session[SESSION_KEY] = kept
    return token


def _view_name(request: HttpRequest) -> str | None:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return None


def _return_to(request: HttpRequest, token: str) -> str:
    if _view_name(request) in RESTORING_PAGES:
        return f"{request.path}?{urlencode({QUERY_PARAMETER: token})}"
    return reverse("unsaved", args=[token])


def _with_next(location: str, next_url: str) -> str:
    parts = urlsplit(location)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "next"] + [("next", next_url)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _same_origin(request: HttpRequest) -> bool:
    origin = request.headers.get("Origin", "")
    return bool(origin) and origin == f"{request.scheme}://{request.get_host()}"


class UnsavedFormMiddleware:
    """Keeps a form's values when its post meets a sign-in page or a changed CSRF token. Sits
    after CsrfViewMiddleware, AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method != "POST":
            return response
        if not request.user.is_authenticated and response.status_code == 302:
            return self._signed_out(request, response)
        if (
            response.status_code == 403
            and not getattr(request, "_unsaved_view_reached", False)
            and request.user.is_authenticated
            and _same_origin(request)
        ):
            # CsrfViewMiddleware refused the post before any view ran (this middleware's
            # process_view comes after it), from a page of this site: the token changed.
            token = _keep(request, signed_out=False)
            if token is not None:
                return HttpResponseRedirect(_return_to(request, token))
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request._unsaved_view_reached = True

    def _signed_out(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        login = resolve_url(settings.LOGIN_URL)
        location = response.get("Location", "")
        if urlsplit(location).path != login or request.path == login:
            return response
        if not _same_origin(request):
            # A post from another site (or one naming none) keeps nothing: keeping it wrote a new
            # session over the person's, signing them out, and showed its text back as "what you
            # typed" (decision 122).
            return response
        if not any(not _is_secret(name) for name in request.POST):
            return response  # nothing typed
        if _view_name(request) in SIGN_OUT_VIEWS:
            return response
        token = _keep(request, signed_out=True)
        if token is None:
            messages.warning(request, NOT_KEPT)
            return response
        messages.warning(request, SIGNED_OUT_SIGN_IN)
        location = _with_next(location, _return_to(request, token))
        if request.headers.get("HX-Request") == "true":
            # htmx would swap the sign-in page into the row: have it load the page instead.
            redirect = HttpResponse(status=200)
            redirect["HX-Redirect"] = location
            return redirect
        return HttpResponseRedirect(location)


def _take(request: HttpRequest, token: str, *, path: str | None, pop: bool) -> dict | None:
    kept = request.session.get(SESSION_KEY, {})
    entry = kept.get(token)
    if entry is None or entry["at"] <= time.time() - KEEP_SECONDS:
        return None
    if path is not None and entry["path"] != path:
        return None
    if pop:
        del kept[token]
        request.session[SESSION_KEY] = kept
    return entry


def restore(request: HttpRequest) -> QueryDict | None:
    """The values kept for this page (once: the token is used up), with the message saying
    nothing was saved; None when there are none. The caller has already checked the person may
    use the page, and binds its form to the values so that they are checked and shown again."""
    token = request.GET.get(QUERY_PARAMETER)
    if not token or request.method != "GET":
        return None
    entry = _take(request, token, path=request.path, pop=True)
    if entry is None:
        return None
    data = QueryDict(mutable=True)
    for name, values in entry["data"].items():
        data.setlist(name, values)
    messages.warning(request, SIGNED_OUT_KEPT if entry["signed_out"] else SIGN_IN_CHANGED)
    return data


@login_required
def unsaved_view(request: HttpRequest, token: str) -> HttpResponse:
    """What was typed into a form that could not be saved, for copying."""
    entry = _take(request, token, path=None, pop=False)
    if entry is None:
        raise Http404("Nothing kept")
    rows = [
        (name.replace("_", " ").capitalize(), "\n".join(values))
        for name, values in entry["data"].items()
        if any(value.strip() for value in values)
    ]
    return render(
        request,
        "unsaved.html",
        {"rows": rows, "back": entry["back"] or "/", "signed_out": entry["signed_out"]},
    )
