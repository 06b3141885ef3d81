"""The risk page's key risk indicators section (issue 18): each current indicator with its
standing (status, stale, next reading due) and latest readings, withheld as risk detail, and the
forms open on it."""

from __future__ import annotations

import re

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from ..calendar import organisation_today
from ..forms_indicators import IndicatorForm, ReadingForm
from ..models import Indicator, IndicatorReading, Risk
from ..prepared import prepared_list
from ..selectors.indicators import indicator_standing, indicator_start_day, with_latest_reading
from ..withholding import withhold_indicators

READINGS_SHOWN = 8


def thresholds_in_words(indicator) -> str:
    """'Higher is worse: amber from 5 %, red from 10 %'."""
    unit = f" {indicator.unit}" if indicator.unit else ""

    def shown(value) -> str:
        text = format(value.normalize(), "f") if value is not None else ""
        return f"{text}{unit}"

    return (
        f"{indicator.get_direction_display()}: amber from {shown(indicator.amber_from)}, "
        f"red from {shown(indicator.red_from)}"
    )


def value_shown(value, unit: str) -> str:
    """A reading with its unit: "3 hours", but "1 hour" (a unit that is a plural word is
    singular for exactly 1: "1 incident per month"); a symbol ("%", "£k") is shown as typed."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    if value == 1:
        unit = _singular(unit)
    return f"{text} {unit}".strip()


_PLURAL_WORD = re.compile(r"[A-Za-z]{2,}s")


def _singular(unit: str) -> str:
    """The unit with its first word made singular when it is a plain English plural ("hours",
    "days", "entries", "boxes"); anything else unchanged."""
    word, space, rest = unit.strip().partition(" ")
    if not _PLURAL_WORD.fullmatch(word) or word.lower().endswith(("ss", "us", "is")):
        return unit
    lower = word.lower()
    if lower.endswith("ies"):
        word = word[:-3] + ("Y" if word[-3].isupper() else "y")
    elif lower.endswith(("xes", "ches", "shes", "sses", "zes")):
        word = word[:-2]
    else:
        word = word[:-1]
    return word + space + rest


# A reading's columns, read beside its indicator's (``risk_indicators``).
_READING_COLUMNS = (
    "id",
    "organisation_id",
    "taken_on",
    "value",
    "note",
    "entered_by_id",
    "created_at",
)


def _current(risk_id: int):
    return Indicator.objects.filter(risk_id=risk_id, retired_at__isnull=True).select_related(
        "owner"
    )


def _indicator_rows(risk_id: int):
    """A row per current indicator and reading, the newest ``READINGS_SHOWN`` of each."""
    return (
        _current(risk_id)
        .annotate(
            **{f"reading_{name}": F(f"readings__{name}") for name in _READING_COLUMNS},
            reading_row=Window(
                RowNumber(),
                partition_by=[F("id")],
                order_by=[F("readings__taken_on").desc(), F("readings__id").desc()],
            ),
        )
        .filter(reading_row__lte=READINGS_SHOWN)
        .order_by("position", "id", "reading_row")
    )


def risk_indicators(risk: Risk, *, organisation, today, readings: bool = True) -> list[Indicator]:
    """The risk's current indicators with their standing and, with ``readings``, each one's
    latest readings: one query either way, whatever their number (with readings, a row per
    indicator and reading, the newest ``READINGS_SHOWN`` of each, a row for one with none)."""
    if not readings:
        indicators = list(with_latest_reading(_current(risk.id)).order_by("position", "id"))
        recent: dict[int, list] = {indicator.pk: [] for indicator in indicators}
    else:
        rows = prepared_list("risk_indicators", _indicator_rows, risk_id=risk.id)
        indicators, recent = [], {}
        for row in rows:
            if row.pk not in recent:
                indicators.append(row)
                recent[row.pk] = []
            if row.reading_id is not None:
                recent[row.pk].append(
                    IndicatorReading(
                        indicator_id=row.pk,
                        **{name: getattr(row, f"reading_{name}") for name in _READING_COLUMNS},
                    )
                )
        for indicator in indicators:  # as ``with_latest_reading``: the newest reading's
            latest = recent[indicator.pk][0] if recent[indicator.pk] else None
            indicator.latest_value = latest.value if latest else None
            indicator.latest_taken_on = latest.taken_on if latest else None
    for indicator in indicators:
        indicator.risk = risk
        indicator.standing = indicator_standing(
            indicator,
            today=today,
            since=indicator_start_day(indicator, organisation=organisation),
        )
        indicator.thresholds = thresholds_in_words(indicator)
        indicator.latest_shown = value_shown(indicator.standing.value, indicator.unit)
        indicator.recent = recent[indicator.pk]
        for reading in indicator.recent:
            reading.shown = value_shown(reading.value, indicator.unit)
    return indicators


def indicators_context(access, risk: Risk, *, can_see_detail: bool, **state) -> dict:
    """The risk page's indicators section: each indicator with its standing and latest
    readings (for the charts helper: ``indicator.recent``, newest first), the forms open."""
    today = organisation_today(access.organisation)
    indicators = risk_indicators(
        risk, organisation=access.organisation, today=today, readings=can_see_detail
    )
    if not can_see_detail:
        indicators = withhold_indicators(indicators, access=access)
    can_edit = can_see_detail and access.can_edit_indicators(risk)
    editing = state.get("indicator_editing")
    reading_form = state.get("reading_form")
    reading_for = state.get("reading_for")
    for indicator in indicators:
        indicator.can_record = can_see_detail and access.can_record_reading(indicator)
        if editing is not None and editing[0] == indicator.pk:
            indicator.edit_form = editing[1]
            indicator.conflict = state.get("indicator_conflict")
        if state.get("indicator_retiring") == indicator.pk:
            indicator.retiring = True
        # A reading form is drawn only when open: its errors, or /readings/ without JavaScript
        # (``reading_form_open``); otherwise the page carries a link that htmx swaps for the
        # form when the details are first opened (as the control and action add forms).
        if indicator.can_record:
            if reading_for == indicator.pk and reading_form is not None:
                indicator.reading_form = reading_form
            elif state.get("reading_form_open") == indicator.pk:
                indicator.reading_form = new_reading_form(
                    indicator, organisation=access.organisation
                )
    context = {
        "indicators": indicators,
        "can_edit_indicators": can_edit,
        "indicators_message": state.get("indicators_message", ""),
    }
    if can_edit:
        form = state.get("indicator_form")
        if form is None and state.get("indicator_form_open"):
            form = IndicatorForm(organisation=access.organisation, auto_id="new-indicator-%s")
        context["indicator_form"] = form
    return context


def new_reading_form(indicator, *, organisation) -> ReadingForm:
    return ReadingForm(organisation=organisation, auto_id=f"reading-{indicator.pk}-%s")


def indicator_error_forms(context: dict) -> list:
    """The indicator forms with errors, for the risk page's error summary."""
    found = []
    form = context.get("indicator_form")
    if form is not None and form.errors:
        found.append(form)
    for indicator in context.get("indicators", []):
        for name in ("edit_form", "reading_form"):
            form = getattr(indicator, name, None)
            if form is not None and form.is_bound and form.errors:
                found.append(form)
    return found
