"""A big import's page: its progress while the file is checked or written in the background
(the page refreshes itself, no JavaScript needed), the preview and confirm step once checked,
and the result, or the failure with a retry.

Thin: the register comes through ``registers.permissions`` (404 outside the organisation, 403
for a member who does not edit it), the job through ``import_job_for_user`` (404 for anyone but
the person who started it); the steps are ``reporting.spreadsheets.jobs``'.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ..models import ImportJobStatus
from ..spreadsheets.jobs import (
    import_job_cancel,
    import_job_confirm,
    import_job_for_user,
    import_job_progress,
    import_job_retry,
    import_job_stalled,
)
from .spreadsheets import _editable_register

REFRESH_SECONDS = 2
RUNNING = (ImportJobStatus.CHECKING, ImportJobStatus.WRITING)


@login_required
@require_http_methods(["GET", "POST"])
def register_import_job(request: HttpRequest, org: str, register: str, job: int) -> HttpResponse:
    access, register_obj = _editable_register(request, org, register)
    job_obj = import_job_for_user(user=request.user, register=register_obj, pk=job)
    here = reverse("register_import_job", args=[access.organisation.slug, register_obj.slug, job])
    status, problem = 200, ""
    if request.method == "POST":
        try:
            if "cancel" in request.POST:
                import_job_cancel(job=job_obj)
                messages.info(request, f"Import of {job_obj.filename} cancelled.")
                return redirect("register", access.organisation.slug, register_obj.slug)
            if "retry" in request.POST:
                import_job_retry(job=job_obj)
            else:
                import_job_confirm(job=job_obj, fingerprint=request.POST.get("fingerprint", ""))
        except ValidationError as exc:
            problem, status = " ".join(exc.messages), 409
            job_obj.refresh_from_db()
        else:
            return redirect(here)
    preview = job_obj.preview or {}
    problem_count = preview.get("problem_count", 0)
    context = {
        "access": access,
        "organisation": access.organisation,
        "register": register_obj,
        "job": job_obj,
        "preview": preview,
        "progress": import_job_progress(job_obj),
        "running": job_obj.status in RUNNING,
        "stalled": import_job_stalled(job_obj),
        "refresh_seconds": REFRESH_SECONDS,
        "problem": problem,
        "problem_title": (
            f"{problem_count} problem{pluralize(problem_count)} in {job_obj.filename}: "
            "nothing will be imported"
        ),
        "problem_links": [("problems", line) for line in preview.get("problems", [])[:20]],
        "changes_count": preview.get("created", 0)
        + preview.get("updated", 0)
        + sum(preview.get("indicators", {}).values()),  # indicators and readings (issue 18)
        "more_new": max(preview.get("created", 0) - len(preview.get("new", [])), 0),
        "more_changed": max(preview.get("updated", 0) - len(preview.get("changed", [])), 0),
        "more_lines": max(preview.get("line_count", 0) - len(preview.get("lines", [])), 0),
        "more_problems": max(problem_count - len(preview.get("problems", [])), 0),
    }
    return render(request, "reporting/import_job.html", context, status=status)
