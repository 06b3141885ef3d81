"""The risk page and everything that changes a risk: create and edit, controls and actions,
reviews, close and reopen, history.

Every change is a plain form POST that redirects back to the risk page, so the pages work with
JavaScript off. With htmx the same URLs answer with the piece of page that changed (a row, a
form, a section), so controls and actions are added and edited in place. Objects are fetched only
through ``registers.permissions``; a member whose role does not allow a change gets 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET

from appetite.selectors import appetite_lookup
from riskreg import unsaved
from scoring.engine import RatingError, rate

from .. import history, permissions, selectors
from ..calendar import organisation_today
from ..forms import (
    POSITION_LABELS,
    CloseForm,
    ReopenForm,
    ReviewForm,
    RiskForm,
)
from ..forms_treatments import RiskEditForm
from ..models import ReviewState, RiskStatus
from ..refs import ref_saved_as
from ..selectors.reviews import risk_updates
from ..selectors.sign_off import SentBack, awaiting_on_review_page, sent_back_updates
from ..services.review_submissions import SIGN_OFF_BY
from ..services.reviews import review_record
from ..services.risk_edits import RiskEditConflict
from ..services.risks import (
    RiskConflict,
    risk_close,
    risk_create,
    risk_reopen,
    risk_update,
    scheme_version_for_register,
    score_warnings,
)
from .risk_common import (
    GET_POST,
    RISK,
    WITHHELD,
    allow,
    allow_on_register,
    conflict_context,
    date_value,
    fetch_risk,
    page_scheme_for,
    rebound,
    render_risk_page,
    risk_url,
)
from .risk_conflicts import conflict_form

# Sign-off (issue 17): what the owner is told when their update waits for an approver.
REVIEW_SUBMITTED = (
    "Review of {ref} submitted for sign-off. The register shows the rating last signed off "
    f"until {SIGN_OFF_BY} signs your review off."
)
REVIEW_CLOSED = "{ref} is closed: reopen it before recording a review."
CURRENT_RATING_SUBMITTED = (
    "The change of current rating of {ref} is submitted for sign-off: the risk keeps its "
    f"current rating until {SIGN_OFF_BY} signs it off."
)


@login_required
@require_GET
def risk_detail(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    return render_risk_page(request, access, risk)


@login_required
@require_GET
def risk_history(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    can_see_detail = access.can_see_sensitive(risk)
    return render(
        request,
        "registers/risk_history.html",
        {
            "access": access,
            "organisation": access.organisation,
            "risk": risk,
            # OFFICIAL-SENSITIVE and the member is not cleared: the history is withheld.
            "entries": history.risk_history(risk, reader=access) if can_see_detail else [],
            "detail_withheld": not can_see_detail,
            "withheld_message": WITHHELD,
        },
    )


# --- create and edit --------------------------------------------------------------------------


def _preview_warnings(form: RiskForm) -> list[str]:
    inherent, current = form.ratings.get("inherent"), form.ratings.get("current")
    return score_warnings(
        inherent_score=inherent.score if inherent else None,
        current_score=current.score if current else None,
    )


def _render_risk_form(request, access, register, form: RiskForm, **extra) -> HttpResponse:
    return render(
        request,
        "registers/risk_form.html",
        {
            "access": access,
            "organisation": access.organisation,
            "register": register,
            "form": form,
            "risk": form.risk,
            **extra,
        },
    )


@login_required
@GET_POST
def risk_create_view(request: HttpRequest, org: str, register: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    register_obj = permissions.register_for_user(
        user=request.user, organisation=access.organisation, slug=register
    )
    register_obj.organisation = access.organisation
    allow_on_register(
        access.can_edit_register(register_obj),
        "add risks to this register",
        register=register_obj,
        access=access,
    )
    try:
        scheme = scheme_version_for_register(register_obj).parsed
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("register", org, register)
    kwargs = {"organisation": access.organisation, "scheme": scheme, "auto_id": "%s"}
    if request.method == "GET":
        restored = unsaved.restore(request)  # typed before a sign-in: shown again, unsaved
        if restored is not None:
            form = RiskForm(restored, **kwargs)
            form.is_valid()
        else:
            initial = {"kind": "threat", "marking": access.organisation.default_marking}
            form = RiskForm(initial=initial, **kwargs)
        return _render_risk_form(request, access, register_obj, form)
    form = RiskForm(request.POST, **kwargs)
    if not form.is_valid() or "preview" in request.POST:
        return _render_risk_form(
            request,
            access,
            register_obj,
            form,
            previewed="preview" in request.POST and form.is_valid(),
            preview_warnings=_preview_warnings(form) if form.is_valid() else [],
        )
    data = form.cleaned_data
    try:
        risk = risk_create(
            register=register_obj,
            ref=data["ref"],
            title=data["title"],
            positions={k: v for k, v in form.position_values().items() if v is not None},
            objectives=data["objectives"],
            leads=data["leads"],
            reviewed_on=organisation_today(register_obj.organisation),
            reason="created",
            **{k: v for k, v in form.service_fields().items() if k != "title"},
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _render_risk_form(request, access, register_obj, form)
    typed = request.POST.get("ref", "").strip()
    if typed != risk.ref:  # said, so nobody hunts for the ref they typed
        messages.success(
            request, f"Risk {risk.ref} created (reference {ref_saved_as(typed, risk.ref)})."
        )
    else:
        messages.success(request, f"Risk {risk.ref} created.")
    return redirect(risk_url(risk))


@login_required
@GET_POST
def risk_edit(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    allow(access.can_edit_risk(risk), "edit this risk", register=risk.register, access=access)
    kwargs = {
        "organisation": access.organisation,
        # The register's scheme version as read with the risk (fetch_risk), when the risk is
        # rated under it: no query. The form only checks levels; the save reads it afresh.
        "scheme": page_scheme_for(risk),
        "risk": risk,
        "auto_id": "%s",
    }
    if request.method == "GET":
        restored = unsaved.restore(request)  # typed before a sign-in: shown again, unsaved
        if restored is not None:
            form = RiskEditForm(restored, **kwargs)
            form.is_valid()
        else:
            form = RiskEditForm(initial=RiskForm.initial_for(risk), **kwargs)
        return _render_risk_form(request, access, risk.register, form)
    form = RiskEditForm(request.POST, **kwargs)
    if not form.is_valid() or "preview" in request.POST:
        return _render_risk_form(
            request,
            access,
            risk.register,
            form,
            previewed="preview" in request.POST and form.is_valid(),
            preview_warnings=_preview_warnings(form) if form.is_valid() else [],
        )
    data = form.cleaned_data
    try:
        saved = risk_update(
            risk=risk,
            expected_version=data["version"],
            fields=form.service_fields(),
            positions=form.position_values(),
            objectives=data["objectives"],
            leads=data["leads"],
            reason=data.get("reason") or "edited",
            merge_stale=True,
            choices=form.choices(),
            choices_at=data["choices_at"],
            user=request.user,
        )
    except RiskEditConflict as exc:
        form, context = conflict_form(request, exc, data["version"], **kwargs)
        return _render_risk_form(request, access, risk.register, form, **context)
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _render_risk_form(request, access, risk.register, form)
    if saved.version - 1 != data["version"]:
        messages.success(
            request,
            f"Risk {risk.ref} saved, keeping the changes someone else saved while you were "
            "editing.",
        )
    else:
        messages.success(request, f"Risk {risk.ref} saved.")
    if getattr(saved, "sign_off_submission", None) is not None:
        messages.info(request, CURRENT_RATING_SUBMITTED.format(ref=risk.ref))
    return redirect(risk_url(risk))


@login_required
@require_GET
def risk_rating_preview(request: HttpRequest, org: str, register: str) -> HttpResponse:
    """The rating of one position as chosen so far (htmx asks on every change of the radios)."""
    access = permissions.organisation_for_user(user=request.user, slug=org)
    register_obj = permissions.register_for_user(
        user=request.user, organisation=access.organisation, slug=register
    )
    register_obj.organisation = access.organisation
    position = request.GET.get("position", "current")
    if position not in POSITION_LABELS:
        position = "current"
    likelihood = request.GET.get(f"{position}_likelihood", "")
    impact = request.GET.get(f"{position}_impact", "")
    rating, problem = None, ""
    if likelihood and impact:
        try:
            rating = rate(scheme_version_for_register(register_obj).parsed, likelihood, impact)
        except (RatingError, ValidationError) as exc:
            problem = str(exc)
    elif likelihood or impact:
        problem = "Choose both a likelihood and an impact to see the rating."
    return render(
        request,
        "registers/partials/risk_rating_preview.html",
        {"rating": rating, "problem": problem, "label": POSITION_LABELS[position]},
    )


# --- review, close, reopen --------------------------------------------------------------------


@login_required
@GET_POST
def risk_review(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    allow(access.can_review_risk(risk), "review this risk", register=risk.register, access=access)
    closed = risk.status == RiskStatus.CLOSED
    if closed and request.method == "GET":
        messages.error(request, REVIEW_CLOSED.format(ref=risk.ref))
        return redirect(risk_url(risk))
    kwargs = {
        "scheme": page_scheme_for(risk),  # as the edit form's; the review reads it afresh
        "current": (risk.current_likelihood, risk.current_impact),
        "auto_id": "%s",
    }
    extra: dict = {}
    # An update sent back by an approver: the reason above the form, which starts from what
    # its author submitted (decision 119).
    sent_back = sent_back_updates([risk], access=access).get(risk.pk)
    restored = unsaved.restore(request)  # typed before a sign-in: shown again, unsaved
    if restored is not None:
        form = ReviewForm(restored, **kwargs)
        form.is_valid()
    elif request.method == "GET":
        initial = {
            "version": risk.version,
            "current_likelihood": str(risk.current_likelihood or ""),
            "current_impact": str(risk.current_impact or ""),
        }
        if sent_back is not None and sent_back.prefill:
            initial.update(review_initial_sent_back(sent_back, risk))
        form = ReviewForm(initial=initial, **kwargs)
    else:
        form = ReviewForm(request.POST, **kwargs)
        if closed:
            # Closed since the page was opened: the form again, what was typed kept and the
            # reason in the error summary (bad input, 400: decision 66), not a redirect that
            # drops the note.
            form.is_valid()
            form.add_error(None, REVIEW_CLOSED.format(ref=risk.ref))
        elif form.is_valid():
            data = form.cleaned_data
            rescore = data["outcome"] == ReviewForm.RESCORE
            try:
                review = review_record(
                    risk=risk,
                    user=request.user,
                    expected_version=data["version"],
                    note=data["note"],
                    positions=form.position_values() if rescore else None,
                    reviewed_on=data["reviewed_on"],
                )
            except RiskConflict as exc:
                form = rebound(ReviewForm, request, exc.risk.version, **kwargs)
                extra = conflict_context(risk, data["version"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if review.state == ReviewState.SUBMITTED:
                    messages.success(request, REVIEW_SUBMITTED.format(ref=risk.ref))
                    return redirect(risk_url(risk))
                review.risk.refresh_from_db(fields=["next_review_due"])
                messages.success(
                    request,
                    f"Review of {risk.ref} recorded. Next review due "
                    f"{date_value(review.risk.next_review_due)}.",
                )
                return redirect(risk_url(risk))
    lookup = appetite_lookup(organisation=access.organisation)
    return render(
        request,
        "registers/risk_review.html",
        {
            "access": access,
            "organisation": access.organisation,
            "risk": risk,
            "row": selectors.risk_row(risk, lookup),
            "form": form,
            "updates": risk_updates(risk, access=access, limit=3),
            "sent_back": sent_back,
            "awaiting": awaiting_on_review_page(risk, access=access),
            "withheld_message": WITHHELD,
            **extra,
        },
    )


def review_initial_sent_back(sent_back: SentBack, risk) -> dict:
    """The review form as its author submitted the update sent back: the note, the re-score
    (unless the risk stands at that rating now) and the date they typed, if they typed one."""
    initial = {"note": sent_back.words, "outcome": ReviewForm.UNCHANGED}
    if sent_back.current is not None and sent_back.current != (
        risk.current_likelihood,
        risk.current_impact,
    ):
        likelihood, impact = sent_back.current
        initial.update(
            outcome=ReviewForm.RESCORE,
            current_likelihood=str(likelihood),
            current_impact=str(impact),
        )
    if sent_back.reviewed_on is not None:
        initial["reviewed_on"] = sent_back.reviewed_on
    return initial


def _status_change(request, org: str, ref: str, *, closing: bool) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    allow(
        access.can_edit_risk(risk),
        "close or reopen this risk",
        register=risk.register,
        access=access,
    )
    is_closed = risk.status == RiskStatus.CLOSED
    if closing == is_closed:
        messages.info(request, f"{risk.ref} is already {'closed' if is_closed else 'open'}.")
        return redirect(risk_url(risk))
    form_class = CloseForm if closing else ReopenForm
    extra: dict = {}
    if request.method == "GET":
        form = form_class(initial={"version": risk.version}, auto_id="%s")
    else:
        form = form_class(request.POST, auto_id="%s")
        if form.is_valid():
            data = form.cleaned_data
            change = risk_close if closing else risk_reopen
            try:
                change(risk=risk, expected_version=data["version"], reason=data["reason"])
            except RiskConflict as exc:
                form = rebound(form_class, request, exc.risk.version, auto_id="%s")
                extra = conflict_context(risk, data["version"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"{risk.ref} {'closed' if closing else 'reopened'}.")
                return redirect(risk_url(risk))
    return render(
        request,
        "registers/risk_close.html",
        {
            "access": access,
            "organisation": access.organisation,
            "risk": risk,
            "form": form,
            "closing": closing,
            **extra,
        },
    )


@login_required
@GET_POST
def risk_close_view(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    return _status_change(request, org, ref, closing=True)


@login_required
@GET_POST
def risk_reopen_view(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    return _status_change(request, org, ref, closing=False)


urlpatterns = [
    path(RISK, risk_detail, name="risk"),
    path(f"{RISK}history/", risk_history, name="risk_history"),
    path(f"{RISK}edit/", risk_edit, name="risk_edit"),
    path(f"{RISK}review/", risk_review, name="risk_review"),
    path(f"{RISK}close/", risk_close_view, name="risk_close"),
    path(f"{RISK}reopen/", risk_reopen_view, name="risk_reopen"),
    path("o/<slug:org>/registers/<slug:register>/risks/new/", risk_create_view, name="risk_create"),
    path(
        "o/<slug:org>/registers/<slug:register>/rating-preview/",
        risk_rating_preview,
        name="risk_rating_preview",
    ),
]
