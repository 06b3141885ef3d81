"""Comment threads on the risk page (issue 17): add, change (its author, for a few minutes) and
delete (its author or an admin) in place with htmx, or by plain forms that redirect back to the
comment on the risk page (JavaScript off). The people to mention are suggested as one types.

Every comment is reached through ``permissions.comment_for_user`` under a risk fetched for the
person; a thread the person may not read (OFFICIAL-SENSITIVE, not cleared) is refused (403)
like the rest of the risk's detail, and nothing is written on GET.
"""

from __future__ import annotations

from typing import NoReturn

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from riskreg.forms import posted, sentence
from riskreg.refusals import Refusal

from .. import permissions
from ..forms_comments import CommentEditForm, CommentForm
from ..selectors.comments import comment_flags, mention_candidates
from ..services.comments import comment_add, comment_delete, comment_edit
from .comment_context import comments_context, new_comment_form
from .risk_common import (
    GET_POST,
    RISK,
    allow,
    allow_sensitive,
    fetch_risk,
    is_htmx,
    render_risk_page,
    risk_url,
)

COMMENT = f"{RISK}comments/<int:comment>/"
ADDED = "Comment added."
CHANGED = "Comment changed."
DELETED = "Comment deleted."
COMMENT_EDIT_OWN_ONLY = (
    "Only a comment's author may change it, and only in the "
    f"{permissions.COMMENT_EDIT_WINDOW.seconds // 60} minutes after writing it."
)
COMMENT_DELETE_OWN_ONLY = "Only a comment's author or an organisation admin may delete it."
COMMENT_GONE = "This comment has been deleted: there is nothing left to change or delete."


def _refuse(access, comment, what: str, not_theirs: str) -> NoReturn:
    """403 saying why: the comment is deleted, the register archived, or their role may not
    comment at all; else the comment is not theirs (or its time to change has passed), which
    asking a coordinator would not mend."""
    if comment.deleted_at is not None:
        raise Refusal(COMMENT_GONE)
    allow(access.can_comment(comment.risk), what, register=comment.risk.register)
    raise Refusal(not_theirs)


def _treatments(risk):
    controls = list(risk.controls.only("pk", "description", "risk_id"))
    actions = list(risk.actions.only("pk", "description", "risk_id"))
    return controls, actions


def _fetch(request: HttpRequest, org: str, ref: str, *, write: bool = False):
    access, risk = fetch_risk(request, org, ref)
    if not access.can_read_comments(risk):
        allow_sensitive(access, risk)  # the one reason today; any other is refused below
        allow(False, "read this risk's comments")
    if write:
        allow(access.can_comment(risk), "comment on this risk", register=risk.register)
    return access, risk


def _fetch_comment(request: HttpRequest, org: str, ref: str, pk: int):
    access, risk = _fetch(request, org, ref)
    comment = permissions.comment_for_user(user=request.user, risk=risk, pk=pk)
    return access, risk, comment


def _section(request, access, risk, *, status: int = 200, **state) -> HttpResponse:
    controls, actions = _treatments(risk)
    context = {"organisation": access.organisation, "risk": risk}
    context |= comments_context(access, risk, controls=controls, actions=actions, **state)
    response = render(request, "registers/partials/comment_section.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _item(request, access, risk, comment, *, status: int = 200) -> HttpResponse:
    comment_flags([comment], access=access)
    context = {
        "organisation": access.organisation,
        "risk": risk,
        "comment": comment,
        "can_comment": access.can_comment(risk),
    }
    response = render(request, "registers/partials/comment_item.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@GET_POST
def comment_add_view(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = _fetch(request, org, ref, write=True)
    controls, actions = _treatments(risk)
    about = request.GET.get("about", "")
    if request.method == "GET":
        # htmx: the form alone, about the control or action its row's "Comment" link names;
        # without JavaScript: the risk page with the same form.
        if is_htmx(request):
            form = new_comment_form(risk, controls=controls, actions=actions, about=about)
            context = {"organisation": access.organisation, "risk": risk, "comment_form": form}
            return render(request, "registers/partials/comment_form.html", context)
        url = reverse("risk", args=[access.organisation.slug, risk.ref])
        query = f"?comment_on={about}" if about else ""
        return redirect(f"{url}{query}#add-comment")
    form = CommentForm(posted(request), controls=controls, actions=actions)
    if form.is_valid():
        target = form.about_target()
        things = {"control": controls, "action": actions}
        about_thing = None
        if target is not None:
            about_thing = next(t for t in things[target[0]] if t.pk == target[1])
        try:
            comment = comment_add(
                risk=risk,
                user=request.user,
                body=form.cleaned_data["body"],
                control=about_thing if target and target[0] == "control" else None,
                action=about_thing if target and target[0] == "action" else None,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if is_htmx(request):
                return _section(request, access, risk, comments_message=ADDED)
            messages.success(request, ADDED)
            return redirect(risk_url(risk, f"comment-{comment.pk}"))
    if is_htmx(request):
        return _section(request, access, risk, status=400, comment_form=form)
    return render_risk_page(request, access, risk, status=400, comment_form=form)


@login_required
@require_GET
def comment_detail(request: HttpRequest, org: str, ref: str, comment: int) -> HttpResponse:
    access, risk, found = _fetch_comment(request, org, ref, comment)
    if is_htmx(request):
        return _item(request, access, risk, found)
    return redirect(risk_url(risk, f"comment-{found.pk}"))


@login_required
@GET_POST
def comment_edit_view(request: HttpRequest, org: str, ref: str, comment: int) -> HttpResponse:
    access, risk, found = _fetch_comment(request, org, ref, comment)
    if not access.can_edit_comment(found):
        _refuse(access, found, "change this comment", COMMENT_EDIT_OWN_ONLY)
    if request.method == "GET":
        found.edit_form = CommentEditForm(initial={"body": found.body}, comment=found)
        if is_htmx(request):
            return _item(request, access, risk, found)
        return render_risk_page(request, access, risk, comment_editing=found)
    form = CommentEditForm(posted(request), comment=found)
    if form.is_valid():
        try:
            found = comment_edit(comment=found, user=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if is_htmx(request):
                found = permissions.comment_for_user(user=request.user, risk=risk, pk=found.pk)
                return _item(request, access, risk, found)
            messages.success(request, CHANGED)
            return redirect(risk_url(risk, f"comment-{found.pk}"))
    found.edit_form = form
    if is_htmx(request):
        return _item(request, access, risk, found, status=400)
    return render_risk_page(request, access, risk, status=400, comment_editing=found)


@login_required
@GET_POST
def comment_delete_view(request: HttpRequest, org: str, ref: str, comment: int) -> HttpResponse:
    access, risk, found = _fetch_comment(request, org, ref, comment)
    if not access.can_delete_comment(found):
        _refuse(access, found, "delete this comment", COMMENT_DELETE_OWN_ONLY)
    if request.method == "GET":
        found.deleting = True
        if is_htmx(request):
            return _item(request, access, risk, found)
        return render_risk_page(request, access, risk, comment_deleting=found)
    try:
        comment_delete(comment=found, user=request.user)
    except ValidationError as exc:  # deleted meanwhile, by its author or an admin
        if is_htmx(request):
            found = permissions.comment_for_user(user=request.user, risk=risk, pk=found.pk)
            found.problem = sentence(exc.messages[0])
            return _item(request, access, risk, found, status=409)
        messages.error(request, sentence(exc.messages[0]))
        return redirect(risk_url(risk, f"comment-{found.pk}"))
    if is_htmx(request):
        found = permissions.comment_for_user(user=request.user, risk=risk, pk=found.pk)
        return _item(request, access, risk, found)
    messages.success(request, DELETED)
    return redirect(risk_url(risk, f"comment-{found.pk}"))


@login_required
@require_GET
def comment_mentions(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    """The people who may be mentioned on the risk whose name or address holds ``q``: a list
    of buttons the comment form's finder shows (static/js/comments.js inserts the choice)."""
    access, risk = _fetch(request, org, ref, write=True)
    query = request.GET.get("q", "")[:100]
    people = mention_candidates(risk=risk, query=query, exclude=request.user)
    context = {"people": people, "query": query.strip()}
    response = render(request, "registers/partials/comment_mentions.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


urlpatterns = [
    path(f"{RISK}comments/", comment_add_view, name="comment_add"),
    path(f"{RISK}comments/mentions/", comment_mentions, name="comment_mentions"),
    path(COMMENT, comment_detail, name="comment"),
    path(f"{COMMENT}edit/", comment_edit_view, name="comment_edit"),
    path(f"{COMMENT}delete/", comment_delete_view, name="comment_delete"),
]
