"""Membership management for organisation admins, and per-register grants. Adding a member is
also open to risk coordinators, for the roles they may invite (``OrganisationAccess``): every
address is sent an invitation, with an account or not, and becomes a member when its owner
accepts (decision 113; ``registers.views.invitations`` lists, resends and withdraws them).

Every view first fetches the organisation through ``permissions.organisation_for_user`` (404 for
anyone who is not a member), then refuses members who may not manage members (403) before it
looks at any membership id, so a 403 never depends on whether an id exists."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods

from riskreg.forms import posted

from .. import permissions
from ..forms_members import (
    ROLE_CHOICES,
    ROLE_HINTS,
    MemberAddForm,
    MembershipChangeForm,
    RegisterGrantsForm,
    SensitiveAccessForm,
    role_refused,
)
from ..models import Membership, Role
from ..services.invitations import open_invitations, role_words
from ..services.organisations import membership_remove

INVITATION_SENT_MESSAGE = (
    "An invitation to join as {role} has been sent to {email}. The link in it works until "
    "{expires}; they become a member when they accept."
)
INVITATION_SENT_AGAIN_MESSAGE = (
    "{email} had already been invited: the invitation has been sent again, as {role}. Only the "
    "new link works, until {expires}."
)
LIMITED_INVITATION_MESSAGE = (
    "When they have accepted, choose the registers they edit from their page here."
)
ROLE_NOT_YOURS = "You cannot invite people as that role."


def _admin_access(request: HttpRequest, org: str) -> permissions.OrganisationAccess:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if not access.can_manage_members:
        raise PermissionDenied("Only an organisation admin manages members.")
    return access


def inviter_access(request: HttpRequest, org: str) -> permissions.OrganisationAccess:
    """Admins, and coordinators for the roles they may invite."""
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if not access.can_invite:
        raise PermissionDenied("Only an organisation admin or risk coordinator invites people.")
    return access


def invitations_page(access: permissions.OrganisationAccess) -> str:
    """Where an inviter goes back to: the members page for admins, else the invitations."""
    name = "members" if access.can_manage_members else "member_invitations"
    return reverse(name, args=[access.organisation.slug])


def pending_invitations(access: permissions.OrganisationAccess):
    """The open invitations this member may see and act on (those of roles they may invite)."""
    return open_invitations(access.organisation).filter(role__in=access.invitable_roles)


def _members(access: permissions.OrganisationAccess) -> QuerySet[Membership]:
    # Scoped by the organisation the access check returned, never by an id from the URL alone.
    return (
        Membership.objects.filter(organisation=access.organisation)
        .select_related("user", "organisation")
        .order_by("user__full_name", "user__email")
    )


def _membership(access: permissions.OrganisationAccess, pk: int) -> Membership:
    membership = _members(access).filter(pk=pk).first()
    if membership is None:
        raise Http404("No such member")
    return membership


def _is_limited_coordinator(membership: Membership) -> bool:
    return membership.role == Role.COORDINATOR and membership.registers_limited


@login_required
def members(request: HttpRequest, org: str) -> HttpResponse:
    access = _admin_access(request, org)
    if request.method not in ("GET", "HEAD"):
        # Checked after the access check, so a non-member still gets 404, not 405.
        return HttpResponseNotAllowed(["GET", "HEAD"])
    rows = []
    for membership in _members(access):
        granted = None
        if _is_limited_coordinator(membership):
            # One query per limited coordinator (there are few); ordinary members cost none.
            granted = list(
                permissions.registers_granted(
                    user=membership.user, organisation=access.organisation
                ).order_by("name")
            )
        rows.append((membership, granted))
    return render(
        request,
        "registers/members.html",
        {
            "access": access,
            "organisation": access.organisation,
            "rows": rows,
            "invitations": list(pending_invitations(access)),
            "now": timezone.now(),
            "role_guide": [(label, ROLE_HINTS[value]) for value, label in ROLE_CHOICES],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_add(request: HttpRequest, org: str) -> HttpResponse:
    """Add a member: an invitation to the address, which they accept (decision 113)."""
    access = inviter_access(request, org)
    if request.method == "POST" and role_refused(access, request.POST.get("role", "")):
        raise PermissionDenied(ROLE_NOT_YOURS)
    form = MemberAddForm(posted(request), access=access)
    if request.method == "POST" and form.is_valid():
        result = form.save()
        if result is not None:
            invitation = result.invitation
            words = role_words(invitation.role, registers_limited=invitation.registers_limited)
            template = (
                INVITATION_SENT_AGAIN_MESSAGE if form.already_invited else INVITATION_SENT_MESSAGE
            )
            messages.success(
                request,
                template.format(
                    email=invitation.email,
                    role=words,
                    expires=date_format(timezone.localtime(invitation.expires_at), "j F Y, H:i"),
                ),
            )
            if invitation.registers_limited:
                messages.info(request, LIMITED_INVITATION_MESSAGE)
            return redirect(invitations_page(access))
    return render(
        request,
        "registers/members_add.html",
        {
            "access": access,
            "organisation": access.organisation,
            "invitation_days": settings.RISKREG_INVITATION_DAYS,
            "form": form,
            "error_forms": [form] if form.errors else [],
        },
        status=400 if form.errors else 200,
    )


def _member_page(
    request: HttpRequest,
    access: permissions.OrganisationAccess,
    membership: Membership,
    *,
    role_form: MembershipChangeForm | None = None,
    grants_form: RegisterGrantsForm | None = None,
    clearance_form: SensitiveAccessForm | None = None,
) -> HttpResponse:
    role_form = role_form or MembershipChangeForm(membership=membership)
    grants_form = grants_form or RegisterGrantsForm(membership=membership)
    clearance_form = clearance_form or SensitiveAccessForm(membership=membership)
    return render(
        request,
        "registers/members_detail.html",
        {
            "access": access,
            "organisation": access.organisation,
            "membership": membership,
            "member": membership.user,
            "is_me": membership.user_id == request.user.id,
            "limited": _is_limited_coordinator(membership),
            "role_form": role_form,
            "grants_form": grants_form,
            "clearance_form": clearance_form,
            "clearable": membership.role in permissions.CLEARABLE_ROLES,
            "error_forms": [
                form for form in (role_form, grants_form, clearance_form) if form.errors
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_detail(request: HttpRequest, org: str, member: int) -> HttpResponse:
    """The member's page; a POST changes their role."""
    access = _admin_access(request, org)
    membership = _membership(access, member)
    if request.method == "GET":
        return _member_page(request, access, membership)
    form = MembershipChangeForm(request.POST, membership=membership)
    if form.is_valid() and form.save() is not None:
        messages.success(
            request,
            f"{_name(membership.user)} is now {_role_text(membership, article=True)}.",
        )
        if membership.user_id == request.user.id and membership.role != Role.ADMIN:
            # They have just given up managing members.
            return redirect("organisation", org=org)
        if _is_limited_coordinator(membership):
            return redirect("member", org=org, member=membership.pk)
        return redirect("members", org=org)
    membership.refresh_from_db()
    return _member_page(request, access, membership, role_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def member_registers(request: HttpRequest, org: str, member: int) -> HttpResponse:
    """Set the registers a limited coordinator edits."""
    access = _admin_access(request, org)
    membership = _membership(access, member)
    if request.method == "GET":
        return redirect(reverse("member", args=[org, membership.pk]) + "#registers-heading")
    form = RegisterGrantsForm(request.POST, membership=membership)
    if form.is_valid() and (changed := form.save()) is not None:
        granted, revoked = changed
        name = _name(membership.user)
        if granted or revoked:
            changes = []
            if granted:
                changes.append("now edits " + ", ".join(r.name for r in granted))
            if revoked:
                changes.append("no longer edits " + ", ".join(r.name for r in revoked))
            messages.success(request, f"{name} {' and '.join(changes)}.")
        else:
            messages.info(request, f"No change to the registers {name} edits.")
        return redirect("members", org=org)
    return _member_page(request, access, membership, grants_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def member_clearance(request: HttpRequest, org: str, member: int) -> HttpResponse:
    """Clear a viewer or panel member for OFFICIAL-SENSITIVE detail, or take it away."""
    access = _admin_access(request, org)
    membership = _membership(access, member)
    if request.method == "GET":
        return redirect(reverse("member", args=[org, membership.pk]) + "#clearance-heading")
    form = SensitiveAccessForm(request.POST, membership=membership)
    if form.is_valid():
        name = _name(membership.user)
        if not form.save():
            messages.info(request, f"No change to {name}'s clearance.")
        elif membership.sensitive_access:
            messages.success(request, f"{name} is now cleared for OFFICIAL-SENSITIVE detail.")
        else:
            messages.success(request, f"{name} no longer sees OFFICIAL-SENSITIVE detail.")
        return redirect("member", org=org, member=membership.pk)
    return _member_page(request, access, membership, clearance_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, org: str, member: int) -> HttpResponse:
    """Confirm, then remove a member from the organisation (their account stays)."""
    access = _admin_access(request, org)
    membership = _membership(access, member)
    errors: list[str] = []
    if request.method == "POST":
        try:
            membership_remove(membership=membership)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(
                request,
                f"{_name(membership.user)} is no longer a member of "
                f"{access.organisation.display_name}.",
            )
            if membership.user_id == request.user.id:
                return redirect("home")
            return redirect("members", org=org)
    user = membership.user
    risks = permissions.risks_for_user(user=request.user, organisation=access.organisation)
    return render(
        request,
        "registers/members_remove.html",
        {
            "access": access,
            "organisation": access.organisation,
            "membership": membership,
            "member": user,
            "is_me": user.id == request.user.id,
            "errors": errors,
            "risks_held": risks.filter(Q(owner=user) | Q(manager=user)).count(),
        },
    )


def _name(user) -> str:
    return user.full_name or user.email


def _role_text(membership: Membership, *, article: bool = False) -> str:
    if _is_limited_coordinator(membership):
        text = "risk coordinator for some registers"
    else:
        text = membership.get_role_display().lower()
    if article:
        return ("an " if text[0].lower() in "aeiou" else "a ") + text
    return text


urlpatterns = [
    path("o/<slug:org>/members/", members, name="members"),
    path("o/<slug:org>/members/add/", member_add, name="member_add"),
    path("o/<slug:org>/members/<int:member>/", member_detail, name="member"),
    path("o/<slug:org>/members/<int:member>/registers/", member_registers, name="member_registers"),
    path("o/<slug:org>/members/<int:member>/remove/", member_remove, name="member_remove"),
    path("o/<slug:org>/members/<int:member>/clearance/", member_clearance, name="member_clearance"),
]
