"""Spreadsheet import (upload, preview, confirm) and export of a register.

Thin views: tenant objects come only through ``registers.permissions`` (404 outside the user's
organisations; 403 for a member whose role may not import); reading, checking and writing are in
``reporting.spreadsheets``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize, slugify
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from registers import permissions
from registers.models import Register, Role
from registers.services.risks import scheme_version_for_register

from ..forms import ExportForm, ImportUploadForm
from ..spreadsheets import exporting
from ..spreadsheets.columns import COLUMN_HELP, IMPORT_COLUMNS
from ..spreadsheets.import_outcome import import_done_message
from ..spreadsheets.importing import ImportPlan, ImportRefused, import_apply, import_plan
from ..spreadsheets.indicator_sheets import indicator_counts
from ..spreadsheets.jobs import background_rows, import_job_start
from ..spreadsheets.preview import ROWS_SHOWN, risk_tables
from ..spreadsheets.reading import (
    SpreadsheetError,
    TooBigForBrowser,
    describe_size,
    max_upload_bytes,
    read_spreadsheet,
    web_max_rows,
    web_too_big_message,
)
from ..spreadsheets.template import TEMPLATE_CONTENT_TYPE, import_template, template_filename
from ..spreadsheets.uploads import (
    SizeLimitedUploadHandler,
    import_upload_discard,
    import_upload_for_user,
    import_upload_save,
)


def _register(request: HttpRequest, org: str, register: str):
    access = permissions.organisation_for_user(user=request.user, slug=org)
    register_obj = permissions.register_for_user(
        user=request.user, organisation=access.organisation, slug=register
    )
    return access, register_obj


def _editable_register(request: HttpRequest, org: str, register: str):
    access, register_obj = _register(request, org, register)
    if not access.can_edit_register(register_obj):
        raise PermissionDenied("You cannot import into this register")
    return access, register_obj


def _guide(register: Register) -> dict:
    """What the upload page explains: columns, the scheme's levels, responses, categories."""
    try:
        scheme = scheme_version_for_register(register).parsed
    except ValidationError:  # an organisation without a scheme still sees the page
        scheme = None
    return {
        "columns": [(name, COLUMN_HELP[name]) for name in IMPORT_COLUMNS],
        "scheme": scheme,
        "categories": register.organisation.categories.all(),
        "max_size": describe_size(max_upload_bytes()),
        "max_rows": web_max_rows(),
        "background_rows": background_rows(),
    }


def _refusal(exc: SpreadsheetError, *, filename: str, register: Register) -> str:
    """Why the file cannot be imported here. A file over the browser's limits (lower than the
    command's) would not finish within a request: say so up front and point to the command."""
    if isinstance(exc, TooBigForBrowser):
        message = web_too_big_message(
            reason=exc.reason,
            filename=filename,
            organisation=register.organisation.slug,
            register=register.slug,
        )
        return f"{filename}: {message}"
    return f"{filename}: {exc}. Nothing was imported."


# Exempt from the middleware's CSRF check, which reads the body before the view can put its
# size limit in place: checked by csrf_protect below once it is, and before the sign-in check, so
# another site's post is refused (403) rather than sent to the sign-in page (decision 122).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def register_import(request: HttpRequest, org: str, register: str) -> HttpResponse:
    limiter = SizeLimitedUploadHandler(request, limit=max_upload_bytes())
    request.upload_handlers.insert(0, limiter)
    return _register_import(request, org, register, limiter)


@csrf_protect
@login_required
def _register_import(request, org: str, register: str, limiter) -> HttpResponse:
    access, register_obj = _editable_register(request, org, register)
    can_invite = access.can_invite_role(Role.OWNER)
    if request.method == "POST":
        form = ImportUploadForm(
            request.POST, request.FILES, too_large=limiter.too_large, can_invite=can_invite
        )
    else:
        form = ImportUploadForm(can_invite=can_invite)
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        invite = form.cleaned_data["invite"]
        data = upload.read()
        try:
            # Read here (a file that cannot be read is refused on this page at once); its rows
            # are checked on the preview, or in the background for a big file.
            sheet = read_spreadsheet(data=data, filename=upload.name, for_browser=True)
        except SpreadsheetError as exc:
            form.add_error("file", _refusal(exc, filename=upload.name, register=register_obj))
        else:
            try:
                # Each holds the register until it is saved: one deleted or archived since the
                # page was opened is refused by name (decision 112).
                stored = import_upload_save(
                    register=register_obj, user=request.user, filename=upload.name, data=data
                )
                job = None
                if len(sheet.rows) > background_rows():
                    job = import_job_start(upload=stored, rows=len(sheet.rows), invite=invite)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if job is not None:
                    return redirect(
                        "register_import_job", access.organisation.slug, register_obj.slug, job.pk
                    )
                preview = reverse(
                    "register_import_preview",
                    args=[access.organisation.slug, register_obj.slug, stored.pk],
                )
                return redirect(preview + ("?invite=1" if invite else ""))
    context = {
        "access": access,
        "organisation": access.organisation,
        "register": register_obj,
        "form": form,
        "can_invite": can_invite,
        **_guide(register_obj),
    }
    status = 400 if form.errors else 200
    return render(request, "reporting/import_upload.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def register_import_preview(
    request: HttpRequest, org: str, register: str, upload: int
) -> HttpResponse:
    access, register_obj = _editable_register(request, org, register)
    upload_obj = import_upload_for_user(user=request.user, register=register_obj, pk=upload)
    job = upload_obj.jobs.first()
    if job is not None:  # a big file is checked and written in the background, never here
        return redirect("register_import_job", access.organisation.slug, register_obj.slug, job.pk)
    register_url = reverse("register", args=[access.organisation.slug, register_obj.slug])
    if request.method == "POST" and "cancel" in request.POST:
        import_upload_discard(upload=upload_obj)
        messages.info(request, f"Import of {upload_obj.filename} cancelled: nothing was changed.")
        return redirect(register_url)
    # The invite option chosen on the upload page travels in the preview's address and form.
    invite = (request.POST if request.method == "POST" else request.GET).get("invite") == "1"
    if invite and not access.can_invite_role(Role.OWNER):
        raise PermissionDenied("You cannot invite people to the organisation")
    try:
        plan = import_plan(
            register=register_obj,
            data=bytes(upload_obj.data),
            filename=upload_obj.filename,
            for_browser=True,
            can_edit=access.can_edit_register,
            invite=invite,
            invited_by=request.user,
        )
    except SpreadsheetError as exc:  # the rules tightened since the upload: refuse as at upload
        import_upload_discard(upload=upload_obj)
        messages.error(request, _refusal(exc, filename=upload_obj.filename, register=register_obj))
        return redirect("register_import", access.organisation.slug, register_obj.slug)
    stale, status, refusal = False, 200, []
    if request.method == "POST":
        if request.POST.get("fingerprint") != plan.fingerprint:
            stale, status = True, 409
        elif not plan.ok:
            status = 400
        else:
            try:
                import_apply(plan=plan, by=request.user)
            except ImportRefused as exc:
                # Someone saved a risk in between: nothing was written; say what, check afresh.
                refusal = exc.problems
                plan = import_plan(
                    register=register_obj,
                    data=bytes(upload_obj.data),
                    filename=upload_obj.filename,
                    can_edit=access.can_edit_register,
                    invite=invite,
                    invited_by=request.user,
                )
                stale, status = True, 409
            else:
                import_upload_discard(upload=upload_obj)
                messages.success(request, import_done_message(plan, filename=upload_obj.filename))
                return redirect(register_url)
    return render(
        request,
        "reporting/import_preview.html",
        {
            "access": access,
            "organisation": access.organisation,
            "register": register_obj,
            "upload": upload_obj,
            "plan": plan,
            "invite": invite,
            "invite_lines": plan.invites.lines(dry_run=True) if plan.invites else [],
            "stale": stale,
            "refusal": refusal,
            "changes_count": _changes_count(plan),
            "indicator_counts": indicator_counts(plan),
            # Every table through the OFFICIAL-SENSITIVE withholding (as the job's page).
            "tables": risk_tables(plan, can_see=access.can_see_sensitive),
            "more_new": max(len(plan.created) - ROWS_SHOWN, 0),
            "more_changed": max(len(plan.updated) - ROWS_SHOWN, 0),
            "problem_rows": plan.problems_by_row(),
            "problem_summary": _problem_summary(plan, upload_obj.filename),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def register_import_template(request: HttpRequest, org: str, register: str) -> HttpResponse:
    """A blank workbook with drop-down lists of the values the import takes (for editors of the
    register: it lists the members' e-mail addresses, as the import page's member lookup does)."""
    access, register_obj = _editable_register(request, org, register)
    try:
        data = import_template(register=register_obj)
    except ValidationError as exc:  # no scoring scheme yet: the levels cannot be listed
        messages.error(request, "; ".join(exc.messages))
        return redirect("register_import", access.organisation.slug, register_obj.slug)
    response = HttpResponse(data, content_type=TEMPLATE_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=template_filename(register_obj)
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


PROBLEMS_LISTED = 20  # in the error summary; the table below the summary has them all


def _problem_summary(plan: ImportPlan, filename: str) -> dict:
    """The error summary of a file with problems: each links to its row in the table."""
    count = len(plan.problems)
    links = [
        (
            f"row-{slugify(f'{problem.sheet} {problem.row}' if problem.sheet else problem.row)}",
            f"{str(problem)[0].upper()}{str(problem)[1:]}",  # Row 4: ... / Controls row 4: ...
        )
        for problem in plan.problems[:PROBLEMS_LISTED]
    ]
    if count > PROBLEMS_LISTED:
        links.append(("problems", f"and {count - PROBLEMS_LISTED} more"))
    return {
        "title": f"{count} problem{pluralize(count)} in {filename}: nothing will be imported",
        "intro": f"Fix {'it' if count == 1 else 'them'} in the spreadsheet and upload it again. "
        "Row numbers are the spreadsheet's own.",
        "links": links,
    }


def _changes_count(plan: ImportPlan) -> int:
    return plan.writes  # risks, and indicators and readings (issue 18)


@login_required
@require_http_methods(["GET"])
def register_export(request: HttpRequest, org: str, register: str) -> HttpResponse:
    access, register_obj = _register(request, org, register)
    context = {"access": access, "organisation": access.organisation, "register": register_obj}
    if "format" not in request.GET:
        form = ExportForm(initial={"format": "xlsx"}, organisation=access.organisation)
        return render(request, "reporting/export.html", {**context, "form": form})
    form = ExportForm(request.GET, organisation=access.organisation)
    if not form.is_valid():
        return render(request, "reporting/export.html", {**context, "form": form}, status=400)
    fmt, as_of = form.cleaned_data["format"], form.cleaned_data["as_of"]
    # The member's clearance decides whether OFFICIAL-SENSITIVE detail is in the file.
    export = exporting.register_export(register=register_obj, as_of=as_of, access=access)
    data = exporting.to_xlsx(export) if fmt == "xlsx" else exporting.to_csv(export)
    response = HttpResponse(data, content_type=exporting.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=export.filename(fmt)
    )
    patch_cache_control(response, private=True, no_store=True)
    return response
