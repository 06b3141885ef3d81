"""Assurance evidence on the risk page (issue 18): upload (a plain multipart form), download
(always as an attachment, never rendered from the application's origin) and delete (a
confirmation page, then a POST; the row and its history stay)."""

from __future__ import annotations

import contextlib
import logging
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from riskreg.forms import posted

from .. import permissions
from ..forms_evidence import ON_RISK
from ..services.evidence import evidence_add, evidence_delete
from .evidence_context import new_evidence_form
from .risk_common import (
    GET_POST,
    RISK,
    allow,
    fetch_risk,
    is_htmx,
    render_risk_page,
    risk_url,
)

logger = logging.getLogger(__name__)

EVIDENCE_GONE = "This evidence was deleted"
SENSITIVE = "see this OFFICIAL-SENSITIVE detail"


def _target(risk, choice: str):
    """The control, action or review a form's ``attach_to`` names (already one of the form's
    choices, so on this risk and open to this member)."""
    if choice == ON_RISK:
        return {}
    kind, _, pk = choice.partition("-")
    manager = {"control": risk.controls, "action": risk.actions, "review": risk.reviews}[kind]
    return {kind: manager.get(pk=int(pk))}


@login_required
@GET_POST
def evidence_add_view(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    allow(access.can_see_sensitive(risk), SENSITIVE)
    controls = list(risk.controls.select_related("owner"))
    actions = list(risk.actions.select_related("owner"))
    if request.method == "GET":
        # htmx: the form alone, swapped into the page's "Upload evidence" details when they are
        # first opened; without JavaScript: the risk page with the form open.
        if is_htmx(request):
            form = new_evidence_form(access, risk, controls=controls, actions=actions)
            allow(
                bool(form.fields["attach_to"].choices),
                "add evidence to this risk",
                register=risk.register,
            )
            response = render(
                request,
                "registers/partials/evidence_form.html",
                {"organisation": access.organisation, "risk": risk, "evidence_form": form},
            )
            patch_vary_headers(response, ["HX-Request"])
            return response
        return render_risk_page(
            request, access, risk, evidence_form_open=True, controls=controls, actions=actions
        )
    form = new_evidence_form(
        access,
        risk,
        controls=controls,
        actions=actions,
        data=posted(request),
        files=request.FILES,
    )
    allow(
        bool(form.fields["attach_to"].choices), "add evidence to this risk", register=risk.register
    )
    if form.is_valid():
        data = form.cleaned_data
        target = _target(risk, data["attach_to"])
        try:
            evidence = evidence_add(
                risk=risk,
                user=request.user,
                upload=data["file"],
                line=data["line"],
                valid_until=data["valid_until"],
                description=data["description"],
                **target,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"{evidence.name} uploaded.")
            return redirect(risk_url(risk, f"evidence-{evidence.pk}"))
    form.error_anchor = "add-evidence"
    return render_risk_page(
        request, access, risk, status=400, evidence_form=form, controls=controls, actions=actions
    )


def _evidence(request, org: str, ref: str, pk: int):
    access, risk = fetch_risk(request, org, ref)
    evidence = permissions.evidence_for_user(user=request.user, risk=risk, pk=pk)
    # OFFICIAL-SENSITIVE: the evidence is the risk's detail; a member not cleared for it is
    # refused (403, as the risk's other detail pages do: the risk's existence is no secret to a
    # member, its content is).
    allow(access.can_see_sensitive(risk), SENSITIVE)
    return access, risk, evidence


@login_required
@require_GET
def evidence_download(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, evidence = _evidence(request, org, ref, pk)
    if evidence.deleted_at is not None or not evidence.file:
        return render(
            request,
            "registers/evidence_gone.html",
            {"organisation": access.organisation, "risk": risk, "evidence": evidence},
            status=410,
        )
    try:
        handle = evidence.file.storage.open(evidence.file.name, "rb")
    except (FileNotFoundError, OSError):
        logger.error("evidence %s: stored file %s missing", evidence.pk, evidence.file.name)
        raise Http404("The stored file is missing") from None
    response = FileResponse(
        handle, content_type=evidence.content_type or "application/octet-stream"
    )
    # Never inline: whatever got in is downloaded, not run on this origin.
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(evidence.name)}"
    response["Content-Length"] = str(evidence.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@GET_POST
def evidence_delete_view(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, evidence = _evidence(request, org, ref, pk)
    if evidence.deleted_at is not None:
        return render(
            request,
            "registers/evidence_gone.html",
            {"organisation": access.organisation, "risk": risk, "evidence": evidence},
            status=410,
        )
    allow(access.can_delete_evidence(evidence), "delete this evidence", register=risk.register)
    if request.method == "POST":
        reason = request.POST.get("reason", "")[:300]
        with contextlib.suppress(ValidationError):  # deleted meanwhile: the same outcome
            evidence_delete(evidence=evidence, user=request.user, reason=reason)
        messages.success(request, f"{evidence.name} deleted. Its record stays in the history.")
        return redirect(risk_url(risk, "evidence"))
    return render(
        request,
        "registers/evidence_delete.html",
        {"organisation": access.organisation, "risk": risk, "evidence": evidence},
    )


urlpatterns = [
    path(f"{RISK}evidence/add/", evidence_add_view, name="evidence_add"),
    path(f"{RISK}evidence/<int:pk>/download/", evidence_download, name="evidence_download"),
    path(f"{RISK}evidence/<int:pk>/delete/", evidence_delete_view, name="evidence_delete"),
]
