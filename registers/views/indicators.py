"""Key risk indicators on the risk page (issue 18): add, edit and retire an indicator, record a
reading. Plain forms that redirect back to the risk page (JavaScript off); with htmx, the
indicators section is swapped in place."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format

from riskreg.forms import posted

from .. import permissions
from ..calendar import organisation_today
from ..forms_indicators import IndicatorEditForm, IndicatorForm, ReadingForm
from ..services.indicators import (
    indicator_add,
    indicator_retire,
    indicator_update,
    reading_record,
)
from ..services.treatments import TreatmentConflict
from .indicator_context import indicators_context, new_reading_form, value_shown
from .risk_common import (
    GET_POST,
    RISK,
    allow,
    allow_owned,
    allow_sensitive,
    fetch_risk,
    is_htmx,
    render_risk_page,
    risk_url,
)
from .treatments import conflict_form, saved_message

# An indicator a colleague retired while the person was on its form: what they are told.
RETIRED_MEANWHILE = (
    "{by} retired {name} while you had it open: it takes no more readings or changes."
)
CHANGES_NOT_SAVED = "Your changes to it were not saved."
READING_NOT_RECORDED = "Your reading of {value} for {day} was not recorded."
# One reading a day: a second replaces the first, which its history keeps (a colleague's too).
READING_REPLACED = " It replaces the reading of {value} {by} had recorded for {day}."

INDICATOR_FIELDS = (
    "name",
    "unit",
    "direction",
    "amber_from",
    "red_from",
    "frequency",
    "owner",
    "description",
)


def _section(request, access, risk, *, status: int = 200, **state) -> HttpResponse:
    context = {
        "organisation": access.organisation,
        "risk": risk,
        "can_see_detail": True,
        **indicators_context(access, risk, can_see_detail=True, **state),
    }
    return render(request, "registers/partials/indicator_section.html", context, status=status)


def _answer(request, access, risk, *, status: int, **state) -> HttpResponse:
    if is_htmx(request):
        # htmx swaps only 2xx answers: the section with its errors, as the control forms do.
        return _section(request, access, risk, **state)
    return render_risk_page(request, access, risk, status=status, **state)


def _done(request, access, risk, message: str, anchor: str) -> HttpResponse:
    if is_htmx(request):
        return _section(request, access, risk, indicators_message=message)
    messages.success(request, message)
    return redirect(risk_url(risk, anchor))


def _indicator(request, org: str, ref: str, pk: int):
    access, risk = fetch_risk(request, org, ref)
    indicator = permissions.indicator_for_user(user=request.user, risk=risk, pk=pk)
    allow_sensitive(access, risk)
    return access, risk, indicator


def _person(user, *, reader, start: bool = False) -> str:
    """Who did something (recorded a reading, retired an indicator), as ``reader`` is told it:
    "you", their name, or "someone" when there is nobody to name: their account deleted since,
    or a command that acts for nobody. ``start``: the words begin a sentence."""
    if user is None:
        words = "someone"
    elif user.pk == reader.pk:
        words = "you"
    else:
        return user.display_name
    return words.capitalize() if start else words


def _retired(request, access, risk, indicator, *, lost: str) -> HttpResponse:
    """An indicator retired since the person opened its form: who retired it, and what of
    theirs was not saved, rather than a refusal that blames their role."""
    record = (
        indicator.history.filter(retired_at__isnull=False)
        .select_related("history_user")
        .order_by("history_date", "history_id")
        .first()
    )
    user = record.history_user if record is not None else None
    by = _person(user, reader=request.user, start=True)
    message = " ".join(
        part for part in (RETIRED_MEANWHILE.format(by=by, name=indicator.name), lost) if part
    )
    if is_htmx(request):
        return _section(request, access, risk, indicators_message=message)
    messages.error(request, message)
    return render_risk_page(request, access, risk, status=409)


@login_required
@GET_POST
def indicator_add_view(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access, risk = fetch_risk(request, org, ref)
    allow_sensitive(access, risk)
    allow(
        access.can_edit_indicators(risk),
        "add indicators to this risk",
        register=risk.register,
        access=access,
    )
    if request.method == "GET":
        return _answer(request, access, risk, status=200, indicator_form_open=True)
    form = IndicatorForm(
        posted(request), organisation=access.organisation, auto_id="new-indicator-%s"
    )
    if form.is_valid():
        try:
            indicator = indicator_add(user=request.user, risk=risk, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return _done(request, access, risk, "Indicator added.", f"indicator-{indicator.pk}")
    form.error_anchor = "add-indicator"
    return _answer(request, access, risk, status=400, indicator_form=form)


@login_required
@GET_POST
def indicator_edit_view(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, indicator = _indicator(request, org, ref, pk)
    allow(
        access.can_edit_indicators(risk),
        "change this indicator",
        register=risk.register,
        access=access,
    )
    if indicator.retired_at is not None:
        lost = CHANGES_NOT_SAVED if request.method == "POST" else ""
        return _retired(request, access, risk, indicator, lost=lost)
    kwargs = {
        "organisation": access.organisation,
        "keep": [indicator.owner_id],
        "auto_id": f"indicator-{indicator.pk}-%s",
    }
    if request.method == "GET":
        initial = {name: getattr(indicator, name) for name in INDICATOR_FIELDS}
        initial |= {"owner": indicator.owner_id, "version": indicator.version}
        form = IndicatorEditForm(initial=initial, **kwargs)
        return _answer(request, access, risk, status=200, indicator_editing=(indicator.pk, form))
    form = IndicatorEditForm(posted(request), **kwargs)
    status, conflict = 400, None
    if form.is_valid():
        opened = form.cleaned_data["version"]
        try:
            saved = indicator_update(
                user=request.user,
                indicator=indicator,
                expected_version=opened,
                merge_stale=True,
                choices=form.choices(),
                choices_at=form.cleaned_data["choices_at"],
                **form.changes(),
            )
        except TreatmentConflict as exc:
            # As a control's conflict: what they typed kept, the colleague's other changes
            # taken in, and for each field both changed, both values and a choice.
            form, conflict = conflict_form(IndicatorEditForm, exc, indicator, opened, kwargs)
            status = 409
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            message = saved_message("Indicator", opened, saved, chose=bool(form.choices()))
            return _done(request, access, risk, message, f"indicator-{indicator.pk}")
    return _answer(
        request,
        access,
        risk,
        status=status,
        indicator_editing=(indicator.pk, form),
        indicator_conflict=conflict,
    )


@login_required
@GET_POST
def indicator_retire_view(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, indicator = _indicator(request, org, ref, pk)
    allow(
        access.can_edit_indicators(risk),
        "retire this indicator",
        register=risk.register,
        access=access,
    )
    if indicator.retired_at is not None:
        return _retired(request, access, risk, indicator, lost="")
    if request.method == "POST":
        try:
            indicator_retire(user=request.user, indicator=indicator)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(risk_url(risk, "indicators"))
        return _done(
            request,
            access,
            risk,
            f"Indicator retired: {indicator.name} keeps its readings in the history.",
            "indicators",
        )
    return _answer(request, access, risk, status=200, indicator_retiring=indicator.pk)


@login_required
@GET_POST
def reading_add_view(request: HttpRequest, org: str, ref: str, pk: int) -> HttpResponse:
    access, risk, indicator = _indicator(request, org, ref, pk)
    # Retired since the form was opened, for someone who could record a reading before.
    if indicator.retired_at is not None and (
        access.can_edit_indicators(risk) or indicator.owner_id == request.user.id
    ):
        lost = ""
        if request.method == "POST" and request.POST.get("value", "").strip():
            lost = READING_NOT_RECORDED.format(  # as typed, for them to note down
                value=request.POST["value"].strip()[:30],
                day=request.POST.get("taken_on", "").strip()[:30],
            )
        return _retired(request, access, risk, indicator, lost=lost)
    allow_owned(
        access.can_record_reading(indicator),
        "record readings of this indicator",
        item=indicator,
        noun="indicator",
        risk=risk,
        access=access,
    )
    if request.method == "GET":
        # htmx: the form alone, swapped into the indicator's "Record a reading" details when
        # they are first opened; without JavaScript: the risk page with that form open.
        if is_htmx(request):
            response = render(
                request,
                "registers/partials/reading_form.html",
                {
                    "organisation": access.organisation,
                    "risk": risk,
                    "indicator": indicator,
                    "form": new_reading_form(indicator, organisation=access.organisation),
                },
            )
            patch_vary_headers(response, ["HX-Request"])
            return response
        return render_risk_page(request, access, risk, reading_form_open=indicator.pk)
    form = ReadingForm(posted(request), auto_id=f"reading-{indicator.pk}-%s")
    if form.is_valid():
        try:
            reading = reading_record(
                user=request.user,
                indicator=indicator,
                today=organisation_today(access.organisation),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            message = f"Reading of {indicator.name} recorded."
            if reading.replaced is not None:
                message += READING_REPLACED.format(
                    day=date_format(reading.taken_on, "j M Y"),
                    value=value_shown(reading.replaced.value, indicator.unit),
                    by=_person(reading.replaced.entered_by, reader=request.user),
                )
            return _done(request, access, risk, message, f"indicator-{indicator.pk}")
    return _answer(request, access, risk, status=400, reading_form=form, reading_for=indicator.pk)


urlpatterns = [
    path(f"{RISK}indicators/add/", indicator_add_view, name="indicator_add"),
    path(f"{RISK}indicators/<int:pk>/edit/", indicator_edit_view, name="indicator_edit"),
    path(f"{RISK}indicators/<int:pk>/retire/", indicator_retire_view, name="indicator_retire"),
    path(f"{RISK}indicators/<int:pk>/readings/", reading_add_view, name="reading_add"),
]
