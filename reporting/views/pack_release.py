"""A pack's own page (issue 16): a draft's executive summary, its release, and the correction of a
released pack. Coordinators and admins read drafts and act on them; panel members see released
packs only (``reporting.packs.access``), with each file's SHA-256.

Thin views: the pack through ``packs.access.pack_for_user`` (404 outside the organisation or for
a draft a panel member may not see), the role checked first (403), the writes in
``packs.release``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from riskreg.forms import posted

from ..forms import PackCorrectionForm, PackSummaryForm
from ..models import Pack, PackStatus
from ..packs.access import can_read_drafts, pack_for_user
from ..packs.announce import pack_release_recipients
from ..packs.data import pack_data
from ..packs.proof import pack_identifier, packs_replaced
from ..packs.release import pack_correct, pack_release, pack_summary_save
from ..packs.services import PackAlreadyReleased, PackAlreadyRequested, pack_registers
from ..packs.summary import summary_draft
from .packs import _access, pack_built_message, released_pack_href

# Each says what happened by the time the page is shown: with a worker, the build is under
# way; without a broker (the demo), it was done in the request (``packs.pack_built_message``).
PACK_RELEASE_STARTED = (
    "Releasing: the final copy (without the DRAFT marks) is being built. The panel members who "
    "may read it are told, with a link to it, as soon as it is stored."
)
PACK_RELEASED = "Released v{version}: the final copy (without the DRAFT marks) is stored; {told}."
PACK_RELEASED_TOLD = "{count} panel member{s} {were} told, with a link to it"
PACK_RELEASED_NOBODY = "no panel member may read it, so nobody was told"
PACK_SUMMARY_SAVED = "Summary saved: the draft is being built again with it on its first page."
PACK_SUMMARY_BUILT = "Summary saved: the draft was built again with it on its first page."
PACK_CORRECTION_STARTED = "Correction requested: version {version} is being built as a draft."
PACK_CORRECTION_BUILT = (
    "Correction built: version {version} is a draft, ready to summarise and release."
)


def _coordinator(request: HttpRequest, org: str):
    access = _access(request, org)
    if not can_read_drafts(access):
        raise PermissionDenied("Only coordinators and admins summarise, release and correct packs")
    return access


def _generated_summary(pack: Pack) -> str:
    """The generated draft of the pack's summary, from the same data its build reads."""
    data = pack_data(
        organisation=pack.organisation,
        kind=pack.kind,
        as_of=pack.as_of,
        edition=pack.edition,
        registers=pack_registers(pack),
    )
    return summary_draft(data)


def _page(request, access, pack: Pack, *, summary_form=None, status=200) -> HttpResponse:
    coordinator = can_read_drafts(access)
    editable = coordinator and pack.released_at is None and pack.released_by_id is None
    if summary_form is None and editable and pack.status == PackStatus.READY:
        initial = pack.summary or _generated_summary(pack)
        summary_form = PackSummaryForm(initial={"summary": initial})
    context = {
        "organisation": access.organisation,
        "access": access,
        "pack": pack,
        "identifier": pack_identifier(pack),
        "coordinator": coordinator,
        "editable": editable,
        "summary_form": summary_form,
        "replaced_by": packs_replaced([pack])[0].replaced_by,
        "recipients": len(pack_release_recipients(pack)) if editable else None,
    }
    return render(request, "reporting/pack.html", context, status=status)


def _pack(access, pk: int) -> Pack:
    pack = pack_for_user(access=access, pk=pk)
    return Pack.objects.select_related(
        "organisation", "corrects", "released_by", "requested_by"
    ).get(pk=pack.pk)


@login_required
def pack_detail(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    access = _access(request, org)
    return _page(request, access, _pack(access, pk))


@login_required
@require_POST
def pack_summary(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    access = _coordinator(request, org)
    pack = _pack(access, pk)
    form = PackSummaryForm(request.POST)
    if form.is_valid():
        try:
            pack_summary_save(pack=pack, summary=form.cleaned_data["summary"], by=request.user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            said = pack_built_message(pack, queued=PACK_SUMMARY_SAVED, built=PACK_SUMMARY_BUILT)
            messages.add_message(request, *said)
            return redirect("pack_detail", org=access.organisation.slug, pk=pack.pk)
    return _page(request, access, pack, summary_form=form, status=400)


def _released_message(pack: Pack) -> tuple[int, str]:
    """What releasing did: the final copy stored and the panel told (built in the request, with
    no broker), else that it is being built."""
    count = len(pack_release_recipients(pack))
    told = (
        PACK_RELEASED_TOLD.format(
            count=count, s=pluralize(count), were=pluralize(count, "was,were")
        )
        if count
        else PACK_RELEASED_NOBODY
    )
    return pack_built_message(pack, queued=PACK_RELEASE_STARTED, built=PACK_RELEASED, told=told)


@login_required
@require_http_methods(["GET", "POST"])
def pack_release_view(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    """GET asks to confirm (changes nothing); POST releases."""
    access = _coordinator(request, org)
    pack = _pack(access, pk)
    problem = problem_href = ""
    if request.method == "POST":
        try:
            pack_release(pack=pack, by=request.user)
        except PackAlreadyReleased as refused:  # linked to the version to correct instead
            problem = " ".join(refused.messages)
            problem_href = released_pack_href(access, refused)
        except ValidationError as error:
            problem = " ".join(error.messages)
        else:
            messages.add_message(request, *_released_message(pack))
            return redirect("pack_detail", org=access.organisation.slug, pk=pack.pk)
    context = {
        "organisation": access.organisation,
        "pack": pack,
        "identifier": pack_identifier(pack),
        "recipients": pack_release_recipients(pack),
        "problem": problem,
        "problem_href": problem_href,
    }
    status = 409 if problem else 200
    return render(request, "reporting/pack_release.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def pack_correct_view(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    access = _coordinator(request, org)
    pack = _pack(access, pk)
    form = PackCorrectionForm(posted(request))
    # Who is told of the correction is who may read its edition, as on the release page: a
    # full edition reaches only the panel members cleared for OFFICIAL-SENSITIVE.
    recipients = pack_release_recipients(pack)
    form.fields["correction_note"].help_text = correction_note_help(len(recipients))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                correction = pack_correct(
                    pack=pack, by=request.user, note=form.cleaned_data["correction_note"]
                )
            except PackAlreadyRequested as busy:
                form.add_service_errors(busy)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                said = pack_built_message(
                    correction,
                    queued=PACK_CORRECTION_STARTED.format(version=correction.version),
                    built=PACK_CORRECTION_BUILT,
                )
                messages.add_message(request, *said)
                return redirect(
                    reverse("pack_detail", args=[access.organisation.slug, correction.pk])
                )
        status = 400
    context = {
        "organisation": access.organisation,
        "pack": pack,
        "identifier": pack_identifier(pack),
        "form": form,
        "recipients": recipients,
    }
    return render(request, "reporting/pack_correct.html", context, status=status)


def correction_note_help(recipients: int) -> str:
    """The note goes where the correction goes: to the panel members who may read it."""
    if not recipients:
        return "Printed on the new version's first page."
    who = "panel member" if recipients == 1 else f"{recipients} panel members"
    return (
        f"Printed on the new version's first page and in the release e-mail to the {who} "
        "who may read it."
    )
