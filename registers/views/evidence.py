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
from riskreg.refusals import Refusal

from .. import permissions
from ..forms_evidence import ON_RISK
from ..permissions import RISK_OWNER_ROLES
from ..services.evidence import evidence_add, evidence_delete
from .evidence_context import REVIEWS_OFFERED, new_evidence_form
from .risk_common import (
    GET_POST,
    NOT_YOUR_RISK,
    RISK,
    allow,
    allow_sensitive,
    fetch_risk,
    is_htmx,
    render_risk_page,
    risk_url,
)

logger = logging.getLogger(__name__)

EVIDENCE_GONE = "This evidence was deleted"

# Refusals whose reason is not the member's role (``can_add_evidence``, ``can_delete_evidence``):
# their role may add evidence, but nothing on this risk is theirs to add it to, or this evidence
# is not theirs to delete.
NOT_YOURS_TO_ADD = (
    "Only the risk's owner, its manager, a coordinator of {register}, the owner of one of its "
    "actions or the author of one of its {reviews} latest reviews may add evidence to this risk."
)
NOT_YOURS_TO_DELETE = {
    "action": (
        "Only the risk's owner, its manager, a coordinator of {register} or the action's owner, "
        "when they uploaded it, may delete this evidence."
    ),
    "review": (
        "Only the risk's owner, its manager, a coordinator of {register} or the review's author, "
        "when they uploaded it, may delete this evidence."
    ),
}


def _target(risk, choice: str):
    """The control, action or review a form's ``attach_to`` names (already one of the form's
    choices, so on this risk and open to this member)."""
    if choice == ON_RISK:
        return {}
    kind, _, pk = choice.partition("-")
    manager = {"control": risk.controls, "action": risk.actions, "review": risk.reviews}[kind]
    return {kind: manager.get(pk=int(pk))}


def _role_may_add(access, risk) -> bool:
    """True when the refusal is not about the role: the register is open and their role may own
    risks, so an action of the risk or a review of it could be theirs (read-only roles never
    add evidence)."""
    return risk.register.archived_at is None and access.role in RISK_OWNER_ROLES


def _allow_add(form, access, risk) -> None:
    """``allow`` for adding evidence (the form offers nothing to attach it to), saying why not:
    the register is archived; their role allows it but nothing on this risk is theirs; or their
    role. (Not cleared for an OFFICIAL-SENSITIVE risk is refused before, ``allow_sensitive``.)"""
    if form.fields["attach_to"].choices:
        return
    if _role_may_add(access, risk):
        raise Refusal(NOT_YOURS_TO_ADD.format(register=risk.register.name, reviews=REVIEWS_OFFERED))
    allow(False, "add evidence to this risk", register=risk.register)


def _allow_delete(access, risk, evidence) -> None:
    """``allow`` for deleting evidence, saying why not: the register is archived; their role
    allows it but the evidence is not theirs to delete (whose it is follows what it is attached
    to: an action's owner or a review's author deletes what they uploaded there); or their
    role."""
    if access.can_delete_evidence(evidence):
        return
    what = "delete this evidence"
    if _role_may_add(access, risk):
        kind = "action" if evidence.action_id else "review" if evidence.review_id else ""
        words = NOT_YOURS_TO_DELETE.get(kind, NOT_YOUR_RISK)
        raise Refusal(words.format(register=risk.register.name, what=what))
    allow(False, what, register=risk.register)


@login_required
@GET_POST
def evidence_add_view(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    allow_sensitive(access, risk)
    controls = list(risk.controls.select_related("owner"))
    actions = list(risk.actions.select_related("owner"))
    if request.method == "GET":
        # htmx: the form alone, swapped into the page's "Upload evidence" details when they are
        # first opened; without JavaScript: the risk page with the form open.
        if is_htmx(request):
            form = new_evidence_form(access, risk, controls=controls, actions=actions)
            _allow_add(form, access, risk)
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
    _allow_add(form, access, risk)
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
    # member, its content is), told so and that an admin can clear them.
    allow_sensitive(access, risk)
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
    _allow_delete(access, risk, evidence)
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
