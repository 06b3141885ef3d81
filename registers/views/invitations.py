"""Invitations waiting to be accepted: listed, sent again, withdrawn, and sent in bulk (issue 14).

Open to admins and risk coordinators (``OrganisationAccess.can_invite``), each for the roles
they may invite: a coordinator neither sees nor touches an invitation to be an admin (403). An
invitation is fetched through the organisation the access check returned
(``permissions.invitation_for_user``), so another organisation's id is a 404. Every change is a
POST; the GET of each change is its confirmation page."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from .. import permissions
from ..forms_invitations import InvitationBatchConfirmForm, InvitationBatchForm
from ..models import Invitation, Role
from ..services.invitation_batches import (
    BATCH_ALREADY_QUEUED,
    BATCH_EMPTY,
    INVITE,
    MAX_BYTES,
    MAX_ROWS,
    RESEND,
    batch_check,
    batch_problems_message,
    batch_text,
    invitation_batch_enqueue,
    invitation_batch_was_queued,
)
from ..services.invitations import invitation_resend, invitation_withdraw, role_words
from .members import invitations_page, inviter_access, pending_invitations

NOT_OPEN = "The invitation to {email} is no longer open: it has been {state}."
ROLE_NOT_YOURS = "Only an organisation admin can change an invitation to be {role}."
BATCH_QUEUED = (
    "{count} {people} being invited: each becomes a member on accepting. The invitations are "
    "sent in the background and appear under Invitations in a moment: refresh the page if they "
    "are not there yet. If by then a row can no longer be sent (someone else has invited the "
    "same address, say), nothing on the list is sent and you are e-mailed which rows and why."
)


def _invitation(
    request: HttpRequest, org: str, pk: int
) -> tuple[permissions.OrganisationAccess, Invitation]:
    access = inviter_access(request, org)
    invitation = permissions.invitation_for_user(
        user=request.user, organisation=access.organisation, pk=pk
    )
    if not access.can_invite_role(invitation.role):
        raise PermissionDenied(ROLE_NOT_YOURS.format(role=invitation.get_role_display().lower()))
    return access, invitation


def _expires(invitation: Invitation) -> str:
    return date_format(timezone.localtime(invitation.expires_at), "j F Y, H:i")


def _closed(request: HttpRequest, invitation: Invitation) -> bool:
    """An accepted or withdrawn invitation: say so instead of changing it."""
    if invitation.accepted_at is None and invitation.withdrawn_at is None:
        return False
    state = "accepted" if invitation.accepted_at else "withdrawn"
    messages.info(request, NOT_OPEN.format(email=invitation.email, state=state))
    return True


@login_required
def member_invitations(request: HttpRequest, org: str) -> HttpResponse:
    access = inviter_access(request, org)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return render(
        request,
        "registers/members_invitations.html",
        {
            "access": access,
            "organisation": access.organisation,
            "invitations": list(pending_invitations(access)),
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_invitation_resend(request: HttpRequest, org: str, invitation: int) -> HttpResponse:
    access, invitation_obj = _invitation(request, org, invitation)
    if _closed(request, invitation_obj):
        return redirect(invitations_page(access))
    if request.method == "POST":
        try:
            invitation_obj = invitation_resend(invitation=invitation_obj, sent_by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"The invitation has been sent again to {invitation_obj.email}. Only the new "
                f"link works, until {_expires(invitation_obj)}.",
            )
        return redirect(invitations_page(access))
    return _confirm(request, access, invitation_obj, action="resend")


@login_required
@require_http_methods(["GET", "POST"])
def member_invitation_withdraw(request: HttpRequest, org: str, invitation: int) -> HttpResponse:
    access, invitation_obj = _invitation(request, org, invitation)
    if _closed(request, invitation_obj):
        return redirect(invitations_page(access))
    if request.method == "POST":
        try:
            invitation_withdraw(invitation=invitation_obj, withdrawn_by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"The invitation to {invitation_obj.email} has been withdrawn: its link no "
                "longer works.",
            )
        return redirect(invitations_page(access))
    return _confirm(request, access, invitation_obj, action="withdraw")


def _confirm(request, access, invitation: Invitation, *, action: str) -> HttpResponse:
    return render(
        request,
        "registers/members_invitation_confirm.html",
        {
            "access": access,
            "organisation": access.organisation,
            "invitation": invitation,
            "action": action,
            "back": invitations_page(access),
            "role_words": role_words(
                invitation.role, registers_limited=invitation.registers_limited
            ),
            "now": timezone.now(),
            "invitation_days": settings.RISKREG_INVITATION_DAYS,
        },
    )


class _SizeLimit(FileUploadHandler):
    """Stops storing an uploaded list past ``MAX_BYTES``, so a huge file costs neither memory
    nor disk; the form then says it is too large."""

    def __init__(self, request=None):
        super().__init__(request)
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > MAX_BYTES:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


# Exempt from the middleware's CSRF check, which reads the body before the view can put its
# size limit in place: checked by csrf_protect below once it is, and before the sign-in check, so
# another site's post is refused (403) rather than sent to the sign-in page (decision 122).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def member_invite_many(request: HttpRequest, org: str) -> HttpResponse:
    limiter = _SizeLimit(request)
    request.upload_handlers.insert(0, limiter)
    return _invite_many(request, org, limiter)


@csrf_protect
@login_required
def _invite_many(request: HttpRequest, org: str, limiter: _SizeLimit) -> HttpResponse:
    """Paste or upload a list, see what would happen to every row, then send them all."""
    access = inviter_access(request, org)
    organisation = access.organisation
    allowed = access.invitable_roles
    context = {
        "access": access,
        "organisation": organisation,
        "max_rows": MAX_ROWS,
        "max_kb": MAX_BYTES // 1024,
        "roles": [value for value in Role.values if value in allowed],
        "back": invitations_page(access),
    }
    if request.method == "POST" and request.POST.get("action") == "send":
        confirm = InvitationBatchConfirmForm(request.POST)
        form = InvitationBatchForm(initial={"rows": request.POST.get("rows", "")})
        if not confirm.is_valid():
            return render(
                request,
                "registers/members_invite_many.html",
                {**context, "form": form, "problem": BATCH_EMPTY},
            )
        if invitation_batch_was_queued(organisation=organisation, key=confirm.cleaned_data["key"]):
            messages.info(request, BATCH_ALREADY_QUEUED)
            return redirect(invitations_page(access))
        checked = batch_check(organisation=organisation, rows=confirm.parsed, allowed_roles=allowed)
        if not all(row.ok for row in checked):
            # Something changed since the preview (or the form was made up): nothing is sent.
            return _preview(request, context, form, checked)
        if invitation_batch_enqueue(
            organisation=organisation,
            rows=checked,
            invited_by=request.user,
            key=confirm.cleaned_data["key"],
        ):
            count = len(checked)
            messages.success(
                request,
                BATCH_QUEUED.format(
                    count=count, people="person is" if count == 1 else "people are"
                ),
            )
        else:
            messages.info(request, BATCH_ALREADY_QUEUED)
        return redirect(invitations_page(access))
    if request.method == "POST":
        form = InvitationBatchForm(request.POST, request.FILES, too_large=limiter.too_large)
        if form.is_valid():
            checked = batch_check(
                organisation=organisation, rows=form.parsed, allowed_roles=allowed
            )
            # The box holds the list checked, an uploaded file's too, to correct and check again.
            form = InvitationBatchForm(initial={"rows": form.text})
            return _preview(request, context, form, checked)
    else:
        form = InvitationBatchForm()
    return render(request, "registers/members_invite_many.html", {**context, "form": form})


def _preview(request, context, form, checked, problem: str = "") -> HttpResponse:
    problems = [row for row in checked if not row.ok]
    if problems and not problem:
        problem = batch_problems_message(checked)
    return render(
        request,
        "registers/members_invite_many.html",
        {
            **context,
            "form": form,
            "checked": checked,
            "problem": problem,
            "problem_rows": [(f"row-{row.line}", row.problem) for row in problems],
            "send_text": "" if problems else batch_text(checked),
            "key": secrets.token_urlsafe(16),
            "counts": {
                outcome: sum(1 for row in checked if row.outcome == outcome)
                for outcome in (INVITE, RESEND)
            },
        },
    )


urlpatterns = [
    path("o/<slug:org>/members/invitations/", member_invitations, name="member_invitations"),
    path("o/<slug:org>/members/invite-many/", member_invite_many, name="member_invite_many"),
    path(
        "o/<slug:org>/members/invitations/<int:invitation>/resend/",
        member_invitation_resend,
        name="member_invitation_resend",
    ),
    path(
        "o/<slug:org>/members/invitations/<int:invitation>/withdraw/",
        member_invitation_withdraw,
        name="member_invitation_withdraw",
    ),
]
