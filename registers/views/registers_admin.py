"""The organisation's registers, for its admins: the tree with each register's level, review
period and open risks; adding a register; changing one's name, address, parent, level and
review period. The writes are ``registers.services.registers_admin``'.

Every view first fetches the organisation through ``permissions.organisation_for_user`` (404 for
anyone who is not a member), then refuses members who are not admins (403) before it looks at a
register's slug (``permissions.register_for_user``: 404 for another organisation's; a renamed
register's old slug redirects on GET), so a 403 never depends on whether a register exists. A
GET changes nothing; bad input is answered 400 with the GOV.UK error summary."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from riskreg.forms import posted

from .. import permissions, selectors
from ..forms_registers import ArchiveForm, PackRegistersForm, RegisterForm
from ..models import Register
from ..services.pack_coverage import pack_registers_chosen
from ..services.register_archive import archive_blockers

ADMINS_ONLY = "Only an organisation admin manages the registers."
ADDED_MESSAGE = "{name} added."
CHANGED_MESSAGE = "{name} saved."
ARCHIVED_MESSAGE = "{name} archived: it is read-only, and out of the dashboard and reminders."
UNARCHIVED_MESSAGE = "{name} is in use again."
PACK_REGISTERS_MESSAGE = "Packs now cover {names}."


def _admin_access(request: HttpRequest, org: str) -> permissions.OrganisationAccess:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if not access.can_manage_registers:
        raise PermissionDenied(ADMINS_ONLY)
    return access


def _registers(access) -> list[Register]:
    return list(Register.objects.filter(organisation=access.organisation).order_by("name"))


@login_required
@require_GET
def registers_list(request: HttpRequest, org: str) -> HttpResponse:
    access = _admin_access(request, org)
    organisation = access.organisation
    registers = list(selectors.registers_with_counts(organisation=organisation, archived=True))
    tree = selectors.register_tree([r for r in registers if r.archived_at is None])
    archived = sorted((r for r in registers if r.archived_at is not None), key=lambda r: r.name)
    return render(
        request,
        "registers/settings_registers.html",
        {
            "access": access,
            "organisation": organisation,
            "tree": tree,
            "archived": archived,
            "pack_registers": pack_registers_chosen(organisation),
        },
    )


def _form_page(request, access, form, register=None) -> HttpResponse:
    return render(
        request,
        "registers/settings_register_form.html",
        {
            "access": access,
            "organisation": access.organisation,
            "register": register,
            "form": form,
            "error_forms": [form] if form.errors else [],
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def register_new(request: HttpRequest, org: str) -> HttpResponse:
    access = _admin_access(request, org)
    form = RegisterForm(
        posted(request), organisation=access.organisation, registers=_registers(access)
    )
    if request.method == "POST":
        added = form.save(by=request.user)
        if added is not None:
            messages.success(request, ADDED_MESSAGE.format(name=added.name))
            return redirect("settings_registers", org=org)
    return _form_page(request, access, form)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def register_edit(request: HttpRequest, org: str, register: str) -> HttpResponse:
    access = _admin_access(request, org)
    register_obj = permissions.register_for_user(
        user=request.user, organisation=access.organisation, slug=register
    )
    form = RegisterForm(
        posted(request),
        organisation=access.organisation,
        registers=_registers(access),
        register=register_obj,
    )
    if request.method == "POST":
        saved = form.save(by=request.user)
        if saved is not None:
            messages.success(request, CHANGED_MESSAGE.format(name=saved.name))
            return redirect("settings_registers", org=org)
    return _form_page(request, access, form, register_obj)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def register_archive(request: HttpRequest, org: str, register: str) -> HttpResponse:
    """Archive a register in use, or bring an archived one back, with a reason."""
    access = _admin_access(request, org)
    register_obj = permissions.register_for_user(
        user=request.user, organisation=access.organisation, slug=register
    )
    form = ArchiveForm(request.POST if request.method == "POST" else None, register=register_obj)
    if request.method == "POST":
        was_archived = register_obj.archived_at is not None
        changed = form.save(by=request.user)
        if changed is not None:
            message = UNARCHIVED_MESSAGE if was_archived else ARCHIVED_MESSAGE
            messages.success(request, message.format(name=changed.name))
            return redirect("settings_registers", org=org)
    return render(
        request,
        "registers/settings_register_archive.html",
        {
            "access": access,
            "organisation": access.organisation,
            "register": register_obj,
            "form": form,
            "blockers": [] if register_obj.archived_at else archive_blockers(register_obj),
            "error_forms": [form] if form.errors else [],
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def pack_registers(request: HttpRequest, org: str) -> HttpResponse:
    """Choose which registers the organisation's packs cover by default."""
    access = _admin_access(request, org)
    organisation = access.organisation
    form = PackRegistersForm(
        request.POST if request.method == "POST" else None,
        organisation=organisation,
        chosen=pack_registers_chosen(organisation),
    )
    if request.method == "POST":
        names = form.save(by=request.user)
        if names is not None:
            messages.success(request, PACK_REGISTERS_MESSAGE.format(names=", ".join(names)))
            return redirect("settings_registers", org=org)
    return render(
        request,
        "registers/settings_pack_registers.html",
        {
            "access": access,
            "organisation": organisation,
            "form": form,
            "error_forms": [form] if form.errors else [],
        },
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("o/<slug:org>/settings/registers/", registers_list, name="settings_registers"),
    path("o/<slug:org>/settings/registers/new/", register_new, name="settings_register_new"),
    path(
        "o/<slug:org>/settings/registers/<slug:register>/",
        register_edit,
        name="settings_register",
    ),
    path(
        "o/<slug:org>/settings/registers/<slug:register>/archive/",
        register_archive,
        name="settings_register_archive",
    ),
    path("o/<slug:org>/settings/pack-registers/", pack_registers, name="settings_pack_registers"),
]
