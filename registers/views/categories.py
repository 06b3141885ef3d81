"""The organisation's categories and objectives, for its admins: lists with the open risks using
each (and a category's appetite statement), and adding, renaming, moving up and down, retiring,
bringing back and merging. The writes are ``registers.services.categories``'.

Every view first fetches the organisation through ``permissions.organisation_for_user`` (404 for
anyone who is not a member), then refuses members who are not admins (403) before it looks at a
category or objective id (``permissions.category_for_user``: 404 for another organisation's), so
a 403 never depends on whether an id exists. A GET changes nothing; bad input is answered 400
with the GOV.UK error summary."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from riskreg.forms import posted, sentence

from .. import permissions
from ..forms_categories import CategoryForm, MergeForm, MoveForm, ObjectiveForm
from ..models import Category, Objective, Risk
from ..selectors.common import OPEN_STATUSES
from ..selectors.settings_lists import category_rows, in_use, objective_rows
from ..services import categories as services

ADMINS_ONLY = "Only an organisation admin manages categories and objectives."
RETIRED_MESSAGE = (
    "{name} is retired: it stays on the risks that have it, and is offered for no new risk."
)
RESTORED_MESSAGE = "{name} is back in use: it is offered for new risks again."
MERGED_MESSAGE = "{source} merged into {target}: {risks} moved. {source} is retired."


@dataclass(frozen=True)
class Kind:
    """What differs between the categories pages and the objectives pages."""

    singular: str  # "category"
    plural: str  # "categories"
    model: type
    form: type
    rows: object  # the selector of the list page
    lookup: object  # the access function
    form_kwarg: str  # the form's kwarg naming the row it changes
    move: object
    retire: object
    restore: object
    merge: object

    def url(self, action: str = "") -> str:
        """The URL name of the list ("") or of an action on one ("edit", "move" ...)."""
        base = f"settings_{self.plural}" if not action else f"settings_{self.singular}"
        return base if action in ("", "edit") else f"{base}_{action}"

    def label(self, obj) -> str:
        """Its name as messages say it, without "(retired)"."""
        return obj.name if self.model is Category else f"{obj.code} {obj.name}"

    def with_links(self, rows: list, org: str) -> list:
        """Each row with ``links``: the URL of each action on it (built here, not in the
        template, so one template serves both kinds)."""
        for row in rows:
            row.links = {
                action: reverse(self.url(action), args=[org, row.pk])
                for action in ("edit", "move", "retire", "restore", "merge")
            }
        return rows


CATEGORIES = Kind(
    singular="category",
    plural="categories",
    model=Category,
    form=CategoryForm,
    rows=category_rows,
    lookup=permissions.category_for_user,
    form_kwarg="category",
    move=lambda obj, **kw: services.category_move(category=obj, **kw),
    retire=lambda obj, **kw: services.category_retire(category=obj, **kw),
    restore=lambda obj, **kw: services.category_restore(category=obj, **kw),
    merge=services.category_merge,
)
OBJECTIVES = Kind(
    singular="objective",
    plural="objectives",
    model=Objective,
    form=ObjectiveForm,
    rows=objective_rows,
    lookup=permissions.objective_for_user,
    form_kwarg="objective",
    move=lambda obj, **kw: services.objective_move(objective=obj, **kw),
    retire=lambda obj, **kw: services.objective_retire(objective=obj, **kw),
    restore=lambda obj, **kw: services.objective_restore(objective=obj, **kw),
    merge=services.objective_merge,
)


def _admin_access(request: HttpRequest, org: str) -> permissions.OrganisationAccess:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if not access.can_manage_categories:
        raise PermissionDenied(ADMINS_ONLY)
    return access


def _one(kind: Kind, request: HttpRequest, access, pk: int):
    return kind.lookup(user=request.user, organisation=access.organisation, pk=pk)


def _context(kind: Kind, access, **more) -> dict:
    return {
        "access": access,
        "organisation": access.organisation,
        "kind": kind,
        "is_category": kind is CATEGORIES,
        **more,
    }


def _list(kind: Kind, request: HttpRequest, org: str) -> HttpResponse:
    """The list; a POST adds one (a 400 with the errors when it cannot)."""
    access = _admin_access(request, org)
    form = kind.form(posted(request), organisation=access.organisation)
    if request.method == "POST":
        added = form.save(by=request.user)
        if added is not None:
            messages.success(request, f"{kind.label(added)} added.")
            return redirect(kind.url(), org=org)
    rows = kind.with_links(list(kind.rows(organisation=access.organisation)), org)
    return render(
        request,
        "registers/settings_categories.html",
        _context(
            kind,
            access,
            rows=rows,
            form=form,
            error_forms=[form] if form.errors else [],
            last=len(rows) - 1,
        ),
        status=400 if form.errors else 200,
    )


def _edit(kind: Kind, request: HttpRequest, org: str, pk: int) -> HttpResponse:
    """Rename (a category) or change the code and name (an objective)."""
    access = _admin_access(request, org)
    obj = _one(kind, request, access, pk)
    old = kind.label(obj)
    form = kind.form(posted(request), organisation=access.organisation, **{kind.form_kwarg: obj})
    if request.method == "POST":
        saved = form.save(by=request.user)
        if saved is not None:
            if kind.label(saved) != old:
                messages.success(request, f"{old} is now {kind.label(saved)}.")
            return redirect(kind.url(), org=org)
    return render(
        request,
        "registers/settings_category_form.html",
        _context(kind, access, obj=obj, form=form, error_forms=[form] if form.errors else []),
        status=400 if form.errors else 200,
    )


def _bad_request(kind: Kind, request, access, *, errors: list[str]) -> HttpResponse:
    """The list again, answered 400 with the problem in the error summary."""
    rows = kind.with_links(
        list(kind.rows(organisation=access.organisation)), access.organisation.slug
    )
    return render(
        request,
        "registers/settings_categories.html",
        _context(
            kind,
            access,
            rows=rows,
            form=kind.form(organisation=access.organisation),
            errors=errors,
            last=len(rows) - 1,
        ),
        status=400,
    )


def _move(kind: Kind, request: HttpRequest, org: str, pk: int) -> HttpResponse:
    access = _admin_access(request, org)
    obj = _one(kind, request, access, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _bad_request(kind, request, access, errors=[m for _, m in form.error_links])
    direction = form.cleaned_data["direction"]
    if kind.move(obj, direction=direction, by=request.user):
        messages.success(request, f"{kind.label(obj)} moved {direction}.")
    else:
        where = "first" if direction == services.UP else "last"
        messages.info(request, f"{kind.label(obj)} is already {where}.")
    return redirect(kind.url(), org=org)


def _retire_or_restore(kind: Kind, request, org: str, pk: int, *, retire: bool) -> HttpResponse:
    access = _admin_access(request, org)
    obj = _one(kind, request, access, pk)
    try:
        (kind.retire if retire else kind.restore)(obj, by=request.user)
    except ValidationError as exc:
        return _bad_request(kind, request, access, errors=[sentence(m) for m in exc.messages])
    if retire:
        messages.success(request, RETIRED_MESSAGE.format(name=kind.label(obj)))
    else:
        messages.success(request, RESTORED_MESSAGE.format(name=kind.label(obj)))
    return redirect(kind.url(), org=org)


def _risks_using(kind: Kind, obj):
    if kind is CATEGORIES:
        return Risk.objects.filter(category=obj)
    return Risk.objects.filter(objectives=obj)


def _merge(kind: Kind, request: HttpRequest, org: str, pk: int) -> HttpResponse:
    """GET: choose what to merge into. POST: the confirm page saying how many risks move; POST
    again with ``confirm``: merge."""
    access = _admin_access(request, org)
    source = _one(kind, request, access, pk)
    targets = in_use(kind.model.objects.filter(organisation=access.organisation)).exclude(
        pk=source.pk
    )
    form = MergeForm(posted(request), source=source, targets=targets, plural=kind.plural)
    confirming = False
    status = 200
    if request.method == "POST":
        if form.is_valid():
            target = form.target
            if request.POST.get("confirm"):
                try:
                    moved = kind.merge(source=source, target=target, by=request.user)
                except ValidationError as exc:
                    form.add_service_errors(exc)
                else:
                    messages.success(
                        request,
                        MERGED_MESSAGE.format(
                            source=kind.label(source),
                            target=kind.label(target),
                            risks=f"{moved} risk{'s' if moved != 1 else ''}",
                        ),
                    )
                    return redirect(kind.url(), org=org)
            else:
                confirming = True
        if form.errors:
            status = 400
    risks = _risks_using(kind, source)
    return render(
        request,
        "registers/settings_category_merge.html",
        _context(
            kind,
            access,
            source=source,
            form=form,
            confirming=confirming,
            target=form.target if confirming else None,
            moving=risks.count(),
            moving_open=risks.filter(status__in=OPEN_STATUSES).count(),
            error_forms=[form] if form.errors else [],
        ),
        status=status,
    )


# --- the views, one per kind and action --------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def categories(request: HttpRequest, org: str) -> HttpResponse:
    return _list(CATEGORIES, request, org)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def category_edit(request: HttpRequest, org: str, category: int) -> HttpResponse:
    return _edit(CATEGORIES, request, org, category)


@login_required
@require_POST
def category_move(request: HttpRequest, org: str, category: int) -> HttpResponse:
    return _move(CATEGORIES, request, org, category)


@login_required
@require_POST
def category_retire(request: HttpRequest, org: str, category: int) -> HttpResponse:
    return _retire_or_restore(CATEGORIES, request, org, category, retire=True)


@login_required
@require_POST
def category_restore(request: HttpRequest, org: str, category: int) -> HttpResponse:
    return _retire_or_restore(CATEGORIES, request, org, category, retire=False)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def category_merge(request: HttpRequest, org: str, category: int) -> HttpResponse:
    return _merge(CATEGORIES, request, org, category)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def objectives(request: HttpRequest, org: str) -> HttpResponse:
    return _list(OBJECTIVES, request, org)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def objective_edit(request: HttpRequest, org: str, objective: int) -> HttpResponse:
    return _edit(OBJECTIVES, request, org, objective)


@login_required
@require_POST
def objective_move(request: HttpRequest, org: str, objective: int) -> HttpResponse:
    return _move(OBJECTIVES, request, org, objective)


@login_required
@require_POST
def objective_retire(request: HttpRequest, org: str, objective: int) -> HttpResponse:
    return _retire_or_restore(OBJECTIVES, request, org, objective, retire=True)


@login_required
@require_POST
def objective_restore(request: HttpRequest, org: str, objective: int) -> HttpResponse:
    return _retire_or_restore(OBJECTIVES, request, org, objective, retire=False)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def objective_merge(request: HttpRequest, org: str, objective: int) -> HttpResponse:
    return _merge(OBJECTIVES, request, org, objective)


CATEGORY = "o/<slug:org>/settings/categories/<int:category>/"
OBJECTIVE = "o/<slug:org>/settings/objectives/<int:objective>/"

urlpatterns = [
    path("o/<slug:org>/settings/categories/", categories, name="settings_categories"),
    path(CATEGORY, category_edit, name="settings_category"),
    path(f"{CATEGORY}move/", category_move, name="settings_category_move"),
    path(f"{CATEGORY}retire/", category_retire, name="settings_category_retire"),
    path(f"{CATEGORY}bring-back/", category_restore, name="settings_category_restore"),
    path(f"{CATEGORY}merge/", category_merge, name="settings_category_merge"),
    path("o/<slug:org>/settings/objectives/", objectives, name="settings_objectives"),
    path(OBJECTIVE, objective_edit, name="settings_objective"),
    path(f"{OBJECTIVE}move/", objective_move, name="settings_objective_move"),
    path(f"{OBJECTIVE}retire/", objective_retire, name="settings_objective_retire"),
    path(f"{OBJECTIVE}bring-back/", objective_restore, name="settings_objective_restore"),
    path(f"{OBJECTIVE}merge/", objective_merge, name="settings_objective_merge"),
]
