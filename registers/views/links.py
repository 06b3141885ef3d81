"""Links between related risks (interdependencies), added and removed from the risk page.

Plain form POSTs that redirect back to the risk page's links section, so they work without
JavaScript. The related risk is named by its reference and fetched through
``registers.permissions`` like any other, so a reference of another organisation is simply "no
such risk". Only people who may edit the risk change its links (403 for the rest).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path

from .. import permissions
from ..forms import LinkForm
from ..refs import ref_clean
from ..services.links import link_add, link_remove, links_for_risk
from .risk_common import GET_POST, RISK, allow, fetch_risk, render_risk_page, risk_url


def _risk_by_typed_ref(request: HttpRequest, access, typed: str):
    """The risk a typed ref names: as typed first (older refs may hold anything), then as the
    ref rule would have saved it ("crr 01" is saved as "crr-01")."""
    reachable = permissions.risks_for_user(user=request.user, organisation=access.organisation)
    other = reachable.filter(ref__iexact=typed).first()
    if other is not None:
        return other
    try:
        cleaned = ref_clean(typed)
    except ValidationError:
        return None  # not a ref the rule allows, so only the stored ref as typed could match
    if cleaned == typed:
        return None
    return reachable.filter(ref__iexact=cleaned).first()


@login_required
@GET_POST
def risk_link_add(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    allow(
        access.can_edit_risk(risk),
        "link this risk to others",
        register=risk.register,
        access=access,
    )
    if request.method == "GET":
        return redirect(risk_url(risk, "links"))
    form = LinkForm(request.POST, auto_id="link-%s")
    if form.is_valid():
        other_ref = form.cleaned_data["other"].strip()
        other = _risk_by_typed_ref(request, access, other_ref)
        if other is None:
            form.add_error(
                "other", f"There is no risk {other_ref} in {access.organisation.display_name}"
            )
        else:
            try:
                link_add(risk=risk, other=other, note=form.cleaned_data["note"], user=request.user)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"{risk.ref} is now linked to {other.ref}.")
                return redirect(risk_url(risk, "links"))
    return render_risk_page(request, access, risk, status=400, link_form=form)


@login_required
@GET_POST
def risk_link_remove(request: HttpRequest, org: str, ref: str, link: int) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    found = links_for_risk(risk).filter(pk=link).first()
    if found is None:
        raise Http404("No such link")
    allow(
        access.can_edit_risk(risk),
        "change this risk's links",
        register=risk.register,
        access=access,
    )
    if request.method == "GET":
        return redirect(risk_url(risk, "links"))
    other = found.to_risk if found.from_risk_id == risk.pk else found.from_risk
    link_remove(link=found, user=request.user)
    messages.success(request, f"The link between {risk.ref} and {other.ref} was removed.")
    return redirect(risk_url(risk, "links"))


urlpatterns = [
    path(f"{RISK}links/add/", risk_link_add, name="risk_link_add"),
    path(f"{RISK}links/<int:link>/remove/", risk_link_remove, name="risk_link_remove"),
]
