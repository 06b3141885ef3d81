"""Forms of key risk indicators (issue 18): an indicator's definition, and a reading."""

from __future__ import annotations

from django import forms

from riskreg.forms import GovukForm

from . import widgets
from .calendar import organisation_today
from .forms import MemberChoiceField, _textarea, members
from .forms_treatments import OpenedVersionForm
from .models import IndicatorDirection, IndicatorFrequency, Organisation

# The columns hold 14 digits, 3 after the point: a larger number must not reach a query.
VALUE_LIMIT = 10**11 - 1


def _number(label: str, required_message: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=3,
        min_value=-VALUE_LIMIT,
        max_value=VALUE_LIMIT,
        error_messages={
            "required": required_message,
            "invalid": f"{label} must be a number, like 7.5",
            "max_decimal_places": f"{label} can have at most 3 decimal places",
            "max_digits": f"{label} is too long a number",
        },
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "class": "govuk-input govuk-input--width-5"}
        ),
        **kwargs,
    )


class IndicatorForm(GovukForm):
    name = forms.CharField(
        label="Indicator",
        max_length=200,
        error_messages={"required": "Give the indicator a name"},
        help_text="What is measured, like 'Staff vacancy rate' or 'Days to pay invoices'.",
    )
    unit = forms.CharField(
        label="Unit",
        required=False,
        max_length=50,
        help_text="%, days, cases, £k ...",
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-10"}),
    )
    direction = forms.ChoiceField(
        label="Which way is worse",
        choices=IndicatorDirection.choices,
        initial=IndicatorDirection.HIGHER_IS_WORSE,
        widget=forms.RadioSelect,
    )
    amber_from = _number("Amber from", "Enter the value where amber starts")
    red_from = _number("Red from", "Enter the value where red starts")
    frequency = forms.ChoiceField(
        label="Reading due",
        choices=IndicatorFrequency.choices,
        initial=IndicatorFrequency.MONTHLY,
    )
    owner = MemberChoiceField(
        queryset=None,
        required=False,
        empty_label="Nobody yet",
        help_text="Records the readings and is reminded when one is overdue.",
    )
    description = forms.CharField(label="How it is measured", required=False, widget=_textarea(2))

    def __init__(self, *args, organisation: Organisation, keep=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members(organisation, keep)


class IndicatorEditForm(OpenedVersionForm, IndicatorForm):
    """The indicator's form with the version the person opened and, after a conflict, their
    choices: a save from an older version is merged as a control's is."""

    noun = "indicator"


class ReadingForm(GovukForm):
    taken_on = widgets.DateField(
        label="Date of the reading",
        invalid="Enter the reading's date as a real date, day first",
        error_messages={"required": "Enter the date the reading was taken"},
    )
    value = _number("Value", "Enter the reading's value")
    note = forms.CharField(label="Note (optional)", required=False, widget=_textarea(2))

    def __init__(self, *args, organisation: Organisation | None = None, **kwargs):
        # A new reading opens dated today where the organisation is, not the server's day.
        if organisation is not None:
            kwargs.setdefault("initial", {"taken_on": organisation_today(organisation)})
        super().__init__(*args, **kwargs)
