"""The person's notifications (issue 17): one list across every organisation they belong to
(each notice names its organisation), marked read when followed or by a button, and their
e-mail preferences per kind of event. Not under /o/<org>/: a notice is the person's own, and
reached only through ``permissions.notice_for_user``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from riskreg.forms import posted

from .. import permissions, selectors
from ..forms_notices import NoticePreferencesForm
from ..services.notices import (
    PREFERENCES_PATH,
    notice_mark_read,
    notice_preferences_set,
)

NOTICES_PER_PAGE = 25
ALL_READ = "Every notification is marked as read."
PREFERENCES_SAVED = "Your notification e-mail choices have been saved."


def _back(request: HttpRequest) -> str:
    """Where a button on the list returns to: the list page it was pressed on (its filter and
    page kept), never anywhere else."""
    wanted = request.POST.get("next", "")
    here = reverse("notifications")
    if wanted.startswith(here) and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}
    ):
        return wanted
    return here


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    notices = selectors.notices_for_user(user=request.user, unread_only=unread_only)
    page = Paginator(notices, NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    shown = selectors.notices_shown(
        page.object_list, memberships=permissions.memberships_for_request(request)
    )
    return render(
        request,
        "registers/notifications.html",
        {
            "page": page,
            "notices": shown,
            "unread_only": unread_only,
            "here": request.get_full_path(),
        },
    )


@login_required
@require_POST
def notice_read(request: HttpRequest, notice: int) -> HttpResponse:
    """Mark the notice read; with ``open``, go on to what it is about."""
    found = permissions.notice_for_user(user=request.user, pk=notice)
    notice_mark_read(user=request.user, notice=found)
    # A path of this site only: "//host" and "/\host" (which browsers read as "//host") are
    # other sites, refused as ``_back`` refuses them.
    if (
        "open" in request.POST
        and found.url.startswith("/")
        and url_has_allowed_host_and_scheme(found.url, allowed_hosts={request.get_host()})
    ):
        return redirect(found.url)
    return redirect(_back(request))


@login_required
@require_POST
def notices_read_all(request: HttpRequest) -> HttpResponse:
    notice_mark_read(user=request.user)
    messages.success(request, ALL_READ)
    return redirect(_back(request))


@login_required
@require_http_methods(["GET", "POST"])
def notice_preferences(request: HttpRequest) -> HttpResponse:
    form = NoticePreferencesForm(
        posted(request), deliveries=selectors.notice_deliveries(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        notice_preferences_set(user=request.user, deliveries=form.cleaned_data)
        messages.success(request, PREFERENCES_SAVED)
        return redirect("notice_preferences")
    return render(
        request,
        "registers/notice_preferences.html",
        {"form": form, "rows": form.rows()},
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("notifications/", notifications, name="notifications"),
    path(PREFERENCES_PATH.strip("/") + "/", notice_preferences, name="notice_preferences"),
    path("notifications/read-all/", notices_read_all, name="notices_read_all"),
    path("notifications/<int:notice>/read/", notice_read, name="notice_read"),
]
