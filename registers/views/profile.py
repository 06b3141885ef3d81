"""The organisation's profile page, for its admins: names, the committee or panel the packs are
addressed to, the reporting calendar and the review and reminder periods. The write is
``registers.services.profile``'s.

The organisation is fetched through ``permissions.organisation_for_user`` (404 for anyone who is
not a member); members who are not admins are refused (403). A GET changes nothing; bad input is
answered 400 with the GOV.UK error summary."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from .. import permissions
from ..forms_profile import LogoForm, ProfileForm
from ..services.pack_logo import organisation_logo_remove
from ..services.profile import FIELD_WORDS

ADMINS_ONLY = "Only an organisation admin changes the organisation's profile."
SAVED_MESSAGE = "Profile saved: changed the {fields}."
UNCHANGED_MESSAGE = "No change: the profile was already as given."
LOGO_SAVED_MESSAGE = "Logo saved: packs show it on the cover and in the header."
LOGO_REMOVED_MESSAGE = "Logo removed: packs show the organisation's name."
NO_LOGO_MESSAGE = "There was no logo to remove."


def can_manage_profile(access: permissions.OrganisationAccess) -> bool:
    """Names, committee, reporting calendar and review periods: the organisation's admins."""
    return access.is_admin


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_profile(request: HttpRequest, org: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if not can_manage_profile(access):
        raise PermissionDenied(ADMINS_ONLY)
    organisation = access.organisation
    form = ProfileForm(
        request.POST if request.method == "POST" else None, organisation=organisation
    )
    if request.method == "POST":
        changed = form.save(by=request.user)
        if changed is not None:
            if changed:
                words = ", ".join(FIELD_WORDS[name] for name in changed)
                messages.success(request, SAVED_MESSAGE.format(fields=words))
            else:
                messages.info(request, UNCHANGED_MESSAGE)
            return redirect("organisation_profile", org=organisation.slug)
    return _page(request, access, form, LogoForm(organisation=organisation))


def _page(request, access, form, logo_form) -> HttpResponse:
    return render(
        request,
        "registers/settings_profile.html",
        {
            "access": access,
            "organisation": access.organisation,
            "form": form,
            "logo_form": logo_form,
            "error_forms": [f for f in (form, logo_form) if f.errors],
        },
        status=400 if form.errors or logo_form.errors else 200,
    )


@login_required
@require_POST
def organisation_logo(request: HttpRequest, org: str) -> HttpResponse:
    """Upload the logo on packs, or (the "remove" button) take it off."""
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if not can_manage_profile(access):
        raise PermissionDenied(ADMINS_ONLY)
    organisation = access.organisation
    if "remove" in request.POST:
        removed = organisation_logo_remove(organisation=organisation, by=request.user)
        messages.success(request, LOGO_REMOVED_MESSAGE if removed else NO_LOGO_MESSAGE)
        return redirect("organisation_profile", org=organisation.slug)
    logo_form = LogoForm(request.POST, request.FILES, organisation=organisation)
    if logo_form.save(by=request.user) is not None:
        messages.success(request, LOGO_SAVED_MESSAGE)
        return redirect("organisation_profile", org=organisation.slug)
    return _page(request, access, ProfileForm(organisation=organisation), logo_form)


urlpatterns = [
    path("o/<slug:org>/settings/profile/", organisation_profile, name="organisation_profile"),
    path("o/<slug:org>/settings/profile/logo/", organisation_logo, name="organisation_logo"),
]
