"""The organisation's scoring scheme, for its admins: the grid the dashboard uses, the levels and
bands, the versions so far; a new version made from an uploaded file, a preset or the current
version, edited in a form, checked on a preview that shows which open risks would change rating
or cross their tolerance, and adopted with the admin's choice for those ratings. The write is
``registers.services.rescoring``'s.

Every view fetches the organisation through ``permissions.organisation_for_user`` (404 for anyone
who is not a member), refuses members who are not admins (403) before it looks at a scheme, then
fetches the scheme through ``permissions.scheme_for_user`` (404 for another organisation's). A
GET changes nothing; bad input is answered 400 with the GOV.UK error summary. The proposed
definition travels between the pages in a hidden field and is checked again each time."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from scoring.definition import SchemeDefinition
from scoring.models import Scheme
from scoring.presets import preset
from scoring.selectors import schemes_for_organisation

from .. import permissions
from ..forms_scheme import (
    RERATE,
    START_CURRENT,
    SchemeAdoptForm,
    SchemeEditForm,
    SchemeStartForm,
    SchemeUploadForm,
    definition_from_json,
    definition_json,
)
from ..models import Register
from ..selectors.heatmaps import heat_map
from ..selectors.rescoring import rescoring_preview, scheme_open_risks
from ..services.rescoring import scheme_version_adopt

ADMINS_ONLY = "Only an organisation admin changes the scoring scheme."
# The counts in the preview's words ("would change score or band", "would keep the same
# rating"), so what was saved agrees with what was previewed.
ADOPTED_RERATED = (
    "Version {number} of {scheme} saved. {rerated} open risk{rerated_s} re-rated under it: "
    "{changed} changed score or band, {same} kept the same rating{by_hand_note}."
)
ADOPTED_KEPT = (
    "Version {number} of {scheme} saved. {kept} open risk{kept_s} {keep} {their} ratings under "
    "the earlier version until {their} next review."
)
BY_HAND_NOTE = "; {by_hand} {keep} the earlier version and {need} re-scoring by hand"
UNCHANGED = "No change: version {number} of {scheme} is already as given."


def _admin_access(request: HttpRequest, org: str) -> permissions.OrganisationAccess:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if not access.is_admin:
        raise PermissionDenied(ADMINS_ONLY)
    return access


def _scheme(request, access, pk: int) -> Scheme:
    return permissions.scheme_for_user(user=request.user, organisation=access.organisation, pk=pk)


def _grid(scheme: Scheme, definition: SchemeDefinition, *, title: str, key: str, version=None):
    """The scheme's grid as the dashboard draws it, with the open risks of its registers that
    are rated under ``version`` (all of them, placed by their levels, for a proposed version)."""
    risks = scheme_open_risks(scheme=scheme)
    if version is not None:
        risks = risks.filter(scheme_version=version)
    counts = {
        (row["current_likelihood"], row["current_impact"]): row["n"]
        for row in risks.values("current_likelihood", "current_impact")
        .annotate(n=Count("id"))
        .order_by()
    }
    return heat_map(definition, counts, title=title, key=key)


def _used_by(scheme: Scheme) -> list[Register]:
    registers = Register.objects.filter(organisation_id=scheme.organisation_id)
    if scheme.is_default:
        return list(registers.filter(scheme__isnull=True).order_by("name"))
    return list(registers.filter(scheme=scheme).order_by("name"))


def _versions(scheme: Scheme) -> list[dict]:
    """The scheme's versions, newest first, with who made each and why (the scheme's history)."""
    reasons = {}
    for record in scheme.history.filter(history_change_reason__startswith="version ").order_by(
        "history_date"
    ):
        number, _, reason = record.history_change_reason.removeprefix("version ").partition(":")
        reasons[number.strip()] = reason.strip()
    return [
        {"version": version, "reason": reasons.get(str(version.number), "")}
        for version in scheme.versions.select_related("created_by").order_by("-number")
    ]


@login_required
@require_GET
def scheme_settings(request: HttpRequest, org: str) -> HttpResponse:
    access = _admin_access(request, org)
    organisation = access.organisation
    shown = []
    for scheme in schemes_for_organisation(organisation=organisation).order_by(
        "-is_default", "name"
    ):
        version = scheme.current_version
        if version is None:
            continue
        definition = version.parsed
        shown.append(
            {
                "scheme": scheme,
                "version": version,
                "definition": definition,
                "grid": _grid(
                    scheme,
                    definition,
                    title=f"{scheme.name}, version {version.number}",
                    key=f"scheme-{scheme.pk}",
                    version=version,
                ),
                "older": scheme_open_risks(scheme=scheme).exclude(scheme_version=version).count(),
                "used_by": _used_by(scheme),
                "versions": _versions(scheme),
            }
        )
    return render(
        request,
        "registers/settings_scheme.html",
        {"access": access, "organisation": organisation, "schemes": shown},
    )


def _new_page(request, access, scheme, *, upload=None, start=None, status=200) -> HttpResponse:
    number = scheme.current_version.number if scheme.current_version else None
    return render(
        request,
        "registers/settings_scheme_new.html",
        {
            "access": access,
            "organisation": access.organisation,
            "scheme": scheme,
            "upload_form": upload or SchemeUploadForm(),
            "start_form": start or SchemeStartForm(current_number=number),
            "error_forms": [f for f in (upload, start) if f is not None and f.errors],
        },
        status=status,
    )


def _edit_page(request, access, scheme, form, *, status=None) -> HttpResponse:
    return render(
        request,
        "registers/settings_scheme_edit.html",
        {
            "access": access,
            "organisation": access.organisation,
            "scheme": scheme,
            "form": form,
        },
        status=status or (400 if form.errors else 200),
    )


def _preview_page(
    request, access, scheme, definition: SchemeDefinition, *, form=None, status=200
) -> HttpResponse:
    current = scheme.current_version
    number = (current.number + 1) if current else 1
    form = form or SchemeAdoptForm(
        initial={
            "definition": definition_json(definition),
            "based_on": current.pk if current else None,
        }
    )
    unchanged = current is not None and current.parsed.as_dict() | {"name": ""} == (
        definition.as_dict() | {"name": ""}
    )
    return render(
        request,
        "registers/settings_scheme_preview.html",
        {
            "access": access,
            "organisation": access.organisation,
            "scheme": scheme,
            "definition": definition,
            "number": number,
            "current": current,
            "unchanged": unchanged,
            "grid": _grid(
                scheme,
                definition,
                title=f"{scheme.name}, proposed version {number}",
                key="scheme-proposed",
            ),
            "rescoring": rescoring_preview(scheme=scheme, definition=definition),
            "form": form,
            "definition_json": definition_json(definition),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def scheme_new(request: HttpRequest, org: str, scheme: int) -> HttpResponse:
    """GET: the ways to begin a new version. POST: an uploaded file, on to the preview."""
    access = _admin_access(request, org)
    found = _scheme(request, access, scheme)
    if request.method != "POST":
        return _new_page(request, access, found)
    upload = SchemeUploadForm(request.POST, request.FILES)
    if not upload.is_valid():
        return _new_page(request, access, found, upload=upload, status=400)
    return _preview_page(request, access, found, upload.cleaned_data["file"])


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def scheme_edit(request: HttpRequest, org: str, scheme: int) -> HttpResponse:
    """GET ?start=current|<preset>: the form, filled from there. POST: the form, on to the
    preview; or, from the preview's "Change" button, the proposed scheme back in the form."""
    access = _admin_access(request, org)
    found = _scheme(request, access, scheme)
    current = found.current_version
    if request.method != "POST":
        start = SchemeStartForm(request.GET, current_number=current.number if current else None)
        if not start.is_valid():
            return _new_page(request, access, found, start=start, status=400)
        key = start.cleaned_data["start"]
        base = current.parsed if key == START_CURRENT else preset(key)
        return _edit_page(request, access, found, SchemeEditForm(base=base))
    if "change" in request.POST:  # back from the preview, with the proposed scheme
        try:
            base = definition_from_json(request.POST.get("definition", ""))
        except ValidationError as exc:
            return _new_page(request, access, found, status=400, start=_broken(found, exc))
        return _edit_page(request, access, found, SchemeEditForm(base=base))
    try:
        base = definition_from_json(request.POST.get("base", ""))
    except ValidationError as exc:
        return _new_page(request, access, found, status=400, start=_broken(found, exc))
    form = SchemeEditForm(request.POST, base=base)
    definition = form.definition()
    if definition is None:
        return _edit_page(request, access, found, form, status=400)
    return _preview_page(request, access, found, definition)


def _broken(scheme: Scheme, exc: ValidationError) -> SchemeStartForm:
    """A start form carrying the error of a page whose hidden scheme was not a scheme."""
    number = scheme.current_version.number if scheme.current_version else None
    form = SchemeStartForm({}, current_number=number)
    form.is_valid()
    form.errors.clear()
    form.add_service_errors(exc)
    return form


@login_required
@require_POST
def scheme_save(request: HttpRequest, org: str, scheme: int) -> HttpResponse:
    access = _admin_access(request, org)
    found = _scheme(request, access, scheme)
    form = SchemeAdoptForm(request.POST)
    if not form.is_valid():
        if "definition" in form.errors:
            return _new_page(
                request,
                access,
                found,
                status=400,
                start=_broken(found, ValidationError(form.errors["definition"])),
            )
        definition = form.cleaned_data["definition"]
        return _preview_page(request, access, found, definition, form=form, status=400)
    definition = form.cleaned_data["definition"]
    try:
        adopted = scheme_version_adopt(
            scheme=found,
            definition=definition,
            by=request.user,
            rerate=form.cleaned_data["choice"] == RERATE,
            reason=form.cleaned_data["reason"],
            based_on=form.cleaned_data["based_on"],
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        found.refresh_from_db()
        return _preview_page(request, access, found, definition, form=form, status=400)
    words = {"number": adopted.version.number, "scheme": found.name}
    if not adopted.created:
        messages.info(request, UNCHANGED.format(**words))
    elif form.cleaned_data["choice"] == RERATE:
        by_hand = adopted.by_hand
        note = (
            BY_HAND_NOTE.format(
                by_hand=by_hand,
                keep=pluralize(by_hand, "keeps,keep"),
                need=pluralize(by_hand, "needs,need"),
            )
            if by_hand
            else ""
        )
        messages.success(
            request,
            ADOPTED_RERATED.format(
                **words,
                rerated=adopted.rerated,
                rerated_s=pluralize(adopted.rerated),
                changed=adopted.rating_changed,
                same=adopted.rating_kept,
                by_hand_note=note,
            ),
        )
    else:
        kept = adopted.kept
        messages.success(
            request,
            ADOPTED_KEPT.format(
                **words,
                kept=kept,
                kept_s=pluralize(kept),
                keep=pluralize(kept, "keeps,keep"),
                their=pluralize(kept, "its,their"),
            ),
        )
    return redirect("settings_scheme", org=access.organisation.slug)


urlpatterns = [
    path("o/<slug:org>/settings/scheme/", scheme_settings, name="settings_scheme"),
    path("o/<slug:org>/settings/scheme/<int:scheme>/new/", scheme_new, name="settings_scheme_new"),
    path(
        "o/<slug:org>/settings/scheme/<int:scheme>/edit/", scheme_edit, name="settings_scheme_edit"
    ),
    path(
        "o/<slug:org>/settings/scheme/<int:scheme>/save/", scheme_save, name="settings_scheme_save"
    ),
]
