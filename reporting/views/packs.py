"""Report packs: the organisation's Reports page (list, request, retry, htmx status), downloads,
and a member's cross-organisation "Your reports" page.

Thin views: tenant objects only through ``registers.permissions`` and ``reporting.packs.access``
(404 outside the user's organisations, and for a pack or edition they may not read; 403 for
requesting, retrying and releasing, which are the coordinators' and admins'); building is in
``reporting.packs``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from registers import permissions, selectors

from ..forms import PackRequestForm
from ..models import Pack, PackKind, PackStatus
from ..packs.access import (
    PUBLIC_EDITION_OUTDATED,
    pack_for_user,
    packs_everywhere_for_user,
    packs_for_user,
    public_pack_outdated,
    readable_editions,
)
from ..packs.proof import pack_identifier, packs_replaced
from ..packs.schedule import packs_schedule_notes
from ..packs.services import (
    PackAlreadyReleased,
    PackAlreadyRequested,
    PackQueueUnavailable,
    pack_filename,
    pack_registers_default,
    pack_request,
    pack_retry,
)

# What a request says depends on where the pack is once it returns: with a worker it is queued;
# without a broker (the demo) it was built in the request, and the list already shows it.
PACK_REQUESTED = "Pack requested: it will be ready in a minute or two."
PACK_BUILT = "Pack built: draft v{version} is in the list below."
PACK_BUILD_FAILED = (
    "The pack could not be built: its status says why, and the Reports page can retry it."
)
# An identical pack had failed: the request retried it instead of adding a second row.
PACK_RETRIED_ON_REQUEST = (
    "This pack had failed before, so it is being built again: it is in the list below and will "
    "be ready in a minute or two."
)
PACK_RETRIED_AND_BUILT = (
    "This pack had failed before, so it was built again: draft v{version} is in the list below."
)
PACK_QUEUED_AGAIN = "Pack queued again."


def pack_built_message(pack: Pack, *, queued: str, built: str, **words) -> tuple[int, str]:
    """The message level and words for a pack just sent to be built: ``queued`` while a worker
    has it, ``built`` (formatted with its version and ``words``) once it is ready, the failure
    once it failed; as the pack is now (one query), not as it was sent."""
    pack.refresh_from_db(fields=["status", "version", "released_at", "error"])
    if pack.status == PackStatus.READY:
        return messages.SUCCESS, built.format(version=pack.version, **words)
    if pack.status == PackStatus.FAILED:
        return messages.ERROR, PACK_BUILD_FAILED
    return messages.SUCCESS, queued


def _access(request: HttpRequest, org: str):
    """Every member reaches the Reports page: what it lists is ``packs_for_user``'s answer (the
    released packs in the editions they may read; drafts too for coordinators and admins), so
    each pack a member may download is listed, and only those (decision 125)."""
    return permissions.organisation_for_user(user=request.user, slug=org)


def _can_request(access) -> bool:
    return access.role in permissions.COORDINATOR_ROLES


def _pack(access, pk: int) -> Pack:
    return pack_for_user(access=access, pk=pk)


def released_pack_href(access, refused: PackAlreadyReleased) -> str:
    """The page of the released pack a request or release was refused beside, where "Correct
    this pack" (or a failed release's retry) is: for a reader who may see that pack
    (``packs_for_user``; the coordinators and admins who request and release can), else ""."""
    if not packs_for_user(access=access).filter(pk=refused.pack.pk).exists():
        return ""
    return reverse("pack_detail", args=[access.organisation.slug, refused.pack.pk])


@login_required
@require_http_methods(["GET", "POST"])
def packs(request: HttpRequest, org: str) -> HttpResponse:
    access = _access(request, org)
    can_request = _can_request(access)
    editions = readable_editions(access)
    initial = {
        "as_of": selectors.organisation_today(access.organisation),
        "kind": PackKind.QUARTERLY,
    }
    if can_request:
        initial["registers"] = pack_registers_default(organisation=access.organisation)
    form = PackRequestForm(initial=initial, editions=editions, organisation=access.organisation)
    status = 200
    problem = problem_href = ""
    if request.method == "POST":
        if not can_request:
            raise PermissionDenied("Only coordinators and admins request packs")
        form = PackRequestForm(request.POST, editions=editions, organisation=access.organisation)
        if form.is_valid():
            try:
                pack = pack_request(
                    organisation=access.organisation,
                    kind=form.cleaned_data["kind"],
                    edition=form.cleaned_data["edition"],
                    as_of=form.cleaned_data["as_of"],
                    user=request.user,
                    registers=form.cleaned_data["registers"],
                    three_quarters=form.cleaned_data["three_quarters"],
                    deep_dive_risks=form.cleaned_data["deep_dive_risks"],
                )
            except PackAlreadyRequested as duplicate:
                messages.info(request, " ".join(duplicate.messages))
                return redirect("packs", org=access.organisation.slug)
            except PackAlreadyReleased as refused:  # linked to the pack it would sit beside
                problem = " ".join(refused.messages)
                problem_href = released_pack_href(access, refused)
                status = 400
            except ValidationError as error:  # PackQueueUnavailable too: the form says so
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
                # The queue being down is not the person's input: retry later (503).
                status = 503 if isinstance(error, PackQueueUnavailable) else 400
            else:
                if getattr(pack, "retried", False):
                    said = pack_built_message(
                        pack, queued=PACK_RETRIED_ON_REQUEST, built=PACK_RETRIED_AND_BUILT
                    )
                else:
                    said = pack_built_message(pack, queued=PACK_REQUESTED, built=PACK_BUILT)
                messages.add_message(request, *said)
                return redirect("packs", org=access.organisation.slug)
        else:
            status = 400
    pack_list = _listed(
        packs_for_user(access=access).select_related("requested_by")[:200],
        organisation=access.organisation,
    )
    return render(
        request,
        "reporting/packs.html",
        {
            "organisation": access.organisation,
            "access": access,
            "packs": pack_list,
            "form": form,
            "problem": problem,
            "problem_href": problem_href,
            "can_request": can_request,
            "schedule_notes": _schedule_notes(access, here=True),
        },
        status=status,
    )


@login_required
def pack_status(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    access = _access(request, org)
    pack = _with_replacements([_pack(access, pk)])[0]
    return render(
        request,
        "reporting/packs_status.html",
        {"organisation": access.organisation, "pack": pack, "can_request": _can_request(access)},
    )


@login_required
@require_POST
def pack_retry_view(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    access = _access(request, org)
    if not _can_request(access):
        raise PermissionDenied("Only coordinators and admins retry packs")
    pack = _pack(access, pk)
    try:
        pack_retry(pack=pack)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.add_message(
            request, *pack_built_message(pack, queued=PACK_QUEUED_AGAIN, built=PACK_BUILT)
        )
    return redirect("packs", org=access.organisation.slug)


@login_required
def pack_download(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    access = _access(request, org)
    pack = _pack(access, pk)  # a full edition is "not found" to a member not cleared for it
    if pack.status != PackStatus.READY or not pack.file:
        raise Http404("This pack is not ready")
    if public_pack_outdated(access=access, pack=pack):
        context = {"organisation": access.organisation, "message": PUBLIC_EDITION_OUTDATED}
        return render(request, "reporting/pack_outdated.html", context, status=409)
    response = FileResponse(
        pack.file.open("rb"),
        as_attachment=True,
        filename=pack_filename(pack),
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _with_replacements(packs) -> list[Pack]:
    """The packs, each with ``replaced_by`` (``packs_replaced``: one query for the list)."""
    return packs_replaced(packs)


def _listed(packs, *, organisation=None) -> list[Pack]:
    """The packs of a list, each with ``replaced_by`` and ``identifier``: what its PDF footer,
    covers, page and release e-mail call it (``pack_identifier``), so that a copy someone was
    sent can be matched to its row. ``organisation``: the one every pack is of (the Reports
    page), given to each so that the identifier reads no organisation; without it the packs
    must have theirs selected (Your reports)."""
    packs = _with_replacements(packs)
    for pack in packs:
        if organisation is not None:
            pack.organisation = organisation
        pack.identifier = pack_identifier(pack)
    return packs


def _schedule_notes(access, *, here: bool) -> list[str]:
    """Who builds the packs and when the next are due: what a page without packs says, to this
    member (a coordinator or admin is told what they do)."""
    organisation = access.organisation
    return packs_schedule_notes(
        organisation=organisation,
        today=selectors.organisation_today(organisation),
        requester=_can_request(access),
        here=here,
    )


@login_required
def my_packs(request: HttpRequest) -> HttpResponse:
    # Every organisation of the person: each lists its released packs in the editions they may
    # read there, and its drafts where they coordinate (``packs_everywhere_for_user``).
    memberships = list(permissions.memberships_for_request(request))
    pack_list = (
        packs_everywhere_for_user(memberships=memberships)
        .filter(status=PackStatus.READY)
        .select_related("organisation")
        .order_by("organisation__name", "-as_of", "-created_at")
    )
    pack_list = _listed(pack_list)
    schedules = (
        []
        if pack_list
        else [
            (m, _schedule_notes(permissions.OrganisationAccess(m.organisation, m), here=False))
            for m in memberships
        ]
    )
    return render(
        request,
        "reporting/packs_mine.html",
        {"packs": pack_list, "memberships": memberships, "schedules": schedules},
    )
