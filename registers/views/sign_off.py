"""Sign-off of updates (issue 17): an approver's page to sign off or send back an update awaiting
it (also drawn on the risk page), and its author's withdrawal. Updates reach the views only
through ``permissions.review_for_user``; a member who may not decide gets 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from riskreg.forms import posted, sentence
from riskreg.refusals import Refusal

from .. import permissions
from ..forms_sign_off import SIGN_OFF, SignOffForm
from ..models import ReviewState
from ..selectors.rows import position_rating
from ..selectors.sign_off import proposed_ratings
from ..services.sign_off import review_withdraw
from .risk_common import GET_POST, RISK, allow, fetch_risk, render_risk_page, risk_url, scheme_for

WITHDRAW_OWN_ONLY = "Only the person who made an update may withdraw it."


def _fetch(request: HttpRequest, org: str, ref: str, review: int):
    access, risk = fetch_risk(request, org, ref)
    update = permissions.review_for_user(user=request.user, risk=risk, pk=review)
    return access, risk, update


@login_required
@GET_POST
def review_decide(request: HttpRequest, org: str, ref: str, review: int) -> HttpResponse:
    access, risk, update = _fetch(request, org, ref, review)
    allow(access.can_sign_off(risk), "sign off updates of this risk", register=risk.register)
    awaiting = update.state == ReviewState.SUBMITTED
    form = SignOffForm(posted(request), auto_id="sign-off-%s")
    if request.method == "POST":
        decision = form.decide(review=update, user=request.user)
        if decision is not None:
            done = "signed off" if decision == SIGN_OFF else "sent back"
            messages.success(request, f"The update of {risk.ref} is {done}.")
            return redirect(risk_url(risk))
    return render(
        request,
        "registers/review_decide.html",
        {
            "access": access,
            "organisation": access.organisation,
            "risk": risk,
            "update": update,
            "awaiting": awaiting,
            # What the register shows until it is decided, written as every page writes a
            # rating ("20 (Open)"), beside the rating asked for.
            "current": position_rating(risk, "current") if awaiting else None,
            "own": update.reviewed_by_id == request.user.id,
            "proposed": proposed_ratings(update, scheme_for(risk)),
            "can_see_detail": access.can_see_sensitive(risk),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def review_withdraw_view(request: HttpRequest, org: str, ref: str, review: int) -> HttpResponse:
    access, risk, update = _fetch(request, org, ref, review)
    if update.reviewed_by_id != request.user.id:
        raise Refusal(WITHDRAW_OWN_ONLY)
    try:
        review_withdraw(review=update, user=request.user)
    except ValidationError as exc:
        messages.error(request, sentence(" ".join(exc.messages)) + ".")
        return render_risk_page(request, access, risk, status=400)
    messages.success(request, f"Your update of {risk.ref} is withdrawn.")
    return redirect(risk_url(risk))


urlpatterns = [
    path(f"{RISK}sign-off/<int:review>/", review_decide, name="review_decide"),
    path(f"{RISK}sign-off/<int:review>/withdraw/", review_withdraw_view, name="review_withdraw"),
]
