"""Changing many risks at once, from the register page (coordinators and admins).

The register page's ticked risks arrive by GET (nothing changes): step 1 asks what to change,
the new value and a reason. Its POST ("preview") shows step 2, each risk before and after or
why it will not change, carrying the choices and each risk's version in hidden fields. The
"confirm" POST plans again from the database, leaves out any risk saved since the preview, and
writes the rest in one go (``registers.services.risks_bulk_edit``); "change" goes back to
step 1 with the choices kept.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from riskreg.forms import posted, sentence

from .. import permissions
from ..forms_bulk_edit import BulkEditForm, seen_versions
from ..services.risks import RiskConflict
from ..services.risks_bulk_edit import (
    BULK_LIMIT,
    bulk_edit_apply,
    bulk_edit_plan,
    chosen_risks,
    refs_clean,
)

UNCHANGED_TOLD = 20  # risks not changed, each told on the register page; then a count
NOT_EDITED = "You do not edit this register, so you cannot change its risks here"
SAVED_MEANWHILE = (
    "A risk was changed by someone else while yours were being saved, so nothing was changed: "
    "check the preview again"
)


def _fetch(request: HttpRequest, org: str, register: str):
    access = permissions.organisation_for_user(user=request.user, slug=org)
    register_obj = permissions.register_for_user(
        user=request.user, organisation=access.organisation, slug=register
    )
    if not access.can_edit_register(register_obj):
        raise PermissionDenied(NOT_EDITED)
    return access, register_obj


def _choose(request, access, register, form, refs, *, errors=(), status=200) -> HttpResponse:
    """Step 1: what to change, for the risks chosen."""
    found = {}
    if refs and not errors:
        found = chosen_risks(access=access, refs=refs)
    return render(
        request,
        "registers/risks_bulk_edit.html",
        {
            "access": access,
            "organisation": access.organisation,
            "register": register,
            "form": form,
            "refs": refs,
            "chosen": [(ref, found.get(ref)) for ref in refs],
            "selection_errors": list(errors),
            "limit": BULK_LIMIT,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def register_bulk_edit(request: HttpRequest, org: str, register: str) -> HttpResponse:
    access, register_obj = _fetch(request, org, register)
    source = request.POST if request.method == "POST" else request.GET
    form = BulkEditForm(posted(request), access=access)
    errors = []
    try:
        refs = refs_clean(source.getlist("risk"))
    except ValidationError as exc:
        refs, errors = [], [sentence(message) for message in exc.messages]
    action = request.POST.get("action", "preview")
    if request.method == "GET" or action == "change":
        if request.method == "GET":
            form = BulkEditForm(access=access)
        return _choose(
            request, access, register_obj, form, refs, errors=errors, status=400 if errors else 200
        )
    if not form.is_valid() or errors:
        return _choose(request, access, register_obj, form, refs, errors=errors, status=400)
    try:
        versions = seen_versions(request.POST.getlist("seen")) if action == "confirm" else None
        plan = bulk_edit_plan(
            access=access,
            refs=refs,
            field=form.cleaned_data["field"],
            value=form.value,
            versions=versions,
        )
        if action == "confirm":
            written = bulk_edit_apply(
                access=access, plan=plan, reason=form.cleaned_data["reason"], user=request.user
            )
            return _done(request, access, register_obj, plan, written)
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _choose(request, access, register_obj, form, refs, status=400)
    except RiskConflict:
        plan = bulk_edit_plan(
            access=access, refs=refs, field=form.cleaned_data["field"], value=form.value
        )
        form.add_error(None, SAVED_MEANWHILE)
        return _preview(request, access, register_obj, form, plan, status=409)
    return _preview(request, access, register_obj, form, plan)


def _preview(request, access, register, form, plan, *, status=200) -> HttpResponse:
    """Step 2: each risk before and after, or why it will not change."""
    return render(
        request,
        "registers/risks_bulk_edit_preview.html",
        {
            "access": access,
            "organisation": access.organisation,
            "register": register,
            "form": form,
            "plan": plan,
            "value": form.data.get(plan.field, ""),
            "seen": [f"{ref}:{version}" for ref, version in plan.versions.items()],
        },
        status=status,
    )


def _done(request, access, register, plan, written) -> HttpResponse:
    """Step 3: say what was written and what was not, back on the register."""
    count = len(written)
    if count:
        messages.success(
            request,
            f"{plan.label} changed on {count} risk{'' if count == 1 else 's'}: "
            + ", ".join(risk.ref for risk in written),
        )
    else:
        messages.info(request, "No risk was changed.")
    unchanged = plan.unchanged
    for row in unchanged[:UNCHANGED_TOLD]:
        messages.warning(request, f"Not changed: {row.ref}: {row.message}")
    if len(unchanged) > UNCHANGED_TOLD:
        messages.warning(request, f"And {len(unchanged) - UNCHANGED_TOLD} more risks not changed.")
    return redirect(reverse("register", args=[access.organisation.slug, register.slug]))


urlpatterns = [
    path(
        "o/<slug:org>/registers/<slug:register>/bulk/",
        register_bulk_edit,
        name="register_bulk_edit",
    ),
]
