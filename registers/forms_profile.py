"""The organisation profile form: what an admin typed, checked for shape (months ticked, whole
numbers in range); ``registers.services.profile`` decides and writes, and its refusals (an unknown
timezone) are shown beside the field they name."""

from __future__ import annotations

import calendar

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator

from riskreg.forms import GovukForm, sentence

from .models import Marking, Organisation, PackOrder
from .services.pack_logo import (
    LOGO_MAX_BYTES,
    LOGO_REQUIRED,
    LOGO_TOO_BIG,
    organisation_logo_set,
)
from .services.profile import (
    DEEP_DIVE_MAX,
    DEEP_DIVE_MIN,
    DEEP_DIVE_RANGE,
    MARKING_UNKNOWN,
    MONTHS_INVALID,
    PACK_ORDER_UNKNOWN,
    QUARTER_END_REQUIRED,
    REMINDER_NOTICE_MAX,
    REMINDER_NOTICE_MIN,
    REMINDER_NOTICE_RANGE,
    TIMEZONE_UNKNOWN,
    organisation_profile_set,
    timezone_known,
)

NAME_REQUIRED = "Enter the organisation's name"
TIMEZONE_REQUIRED = "Enter a timezone, such as Europe/London"
REVIEW_MONTHS_RANGE = "The default review period is from 1 to {most} months"
REVIEW_MONTHS_REQUIRED = "Enter the default review period in months, such as 3"
REMINDER_DAYS_REQUIRED = "Enter the reminder notice period in days, such as 14"
DEEP_DIVE_REQUIRED = "Enter the number of quarters red before a deep dive, such as 2"

MONTHS = [(number, calendar.month_name[number]) for number in range(1, 13)]


def _most_review_months() -> int:
    field = Organisation._meta.get_field("default_review_months")
    return next(v.limit_value for v in field.validators if isinstance(v, MaxValueValidator))


def _whole_number(*, low: int, high: int, out_of_range: str, required: str) -> dict:
    return {
        "min_value": low,
        "max_value": high,
        "error_messages": {
            "required": required,
            "invalid": out_of_range,
            "min_value": out_of_range,
            "max_value": out_of_range,
        },
        "widget": forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
    }


def _months_field(label: str, help_text: str, *, required: bool) -> forms.Field:
    return forms.TypedMultipleChoiceField(
        label=label,
        help_text=help_text,
        choices=MONTHS,
        coerce=int,
        required=required,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": sentence(QUARTER_END_REQUIRED),
            "invalid_choice": sentence(MONTHS_INVALID),
        },
    )


class ProfileForm(GovukForm):
    name = forms.CharField(
        label="Name",
        max_length=Organisation._meta.get_field("name").max_length,
        error_messages={"required": NAME_REQUIRED},
    )
    short_name = forms.CharField(
        label="Short name (optional)",
        max_length=Organisation._meta.get_field("short_name").max_length,
        required=False,
        help_text="Shown in headings, lists and e-mails instead of the full name, such as MOPAC.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20"}),
    )
    panel_name = forms.CharField(
        label="Committee or panel the packs are addressed to (optional)",
        max_length=Organisation._meta.get_field("panel_name").max_length,
        required=False,
        help_text=(
            "As a pack's cover names it after “For”. A joint panel is one name, such as "
            "MPS-MOPAC Joint Audit Panel. Left empty, packs say “Audit panel”."
        ),
    )
    quarter_end_months = _months_field(
        "Quarter-end months",
        "The months whose last day ends a reporting quarter: the dashboard compares with the "
        "end of the last one, and a quarterly pack is made after each.",
        required=True,
    )
    committee_months = _months_field(
        "Committee months (optional)",
        "The months whose end a committee pack is made for. They need not be quarter ends. "
        "None ticked: no committee packs are built on a calendar, and changes are counted "
        "from the last quarter end (a coordinator can still request a committee pack for any "
        "date).",
        required=False,
    )
    timezone = forms.CharField(
        label="Timezone",
        max_length=Organisation._meta.get_field("timezone").max_length,
        help_text="The timezone name the organisation's days and quarters are read in, "
        "such as Europe/London.",
        error_messages={"required": TIMEZONE_REQUIRED},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false"}),
    )
    default_review_months = forms.IntegerField(
        label="Default review period, in months",
        help_text="How often a risk is reviewed when neither its register nor its score band "
        "says otherwise.",
        **_whole_number(
            low=1,
            high=_most_review_months(),
            out_of_range=REVIEW_MONTHS_RANGE.format(most=_most_review_months()),
            required=REVIEW_MONTHS_REQUIRED,
        ),
    )
    reminder_notice_days = forms.IntegerField(
        label="Reminder notice period, in days",
        help_text="Owners are reminded of a review or action due within this many days.",
        **_whole_number(
            low=REMINDER_NOTICE_MIN,
            high=REMINDER_NOTICE_MAX,
            out_of_range=sentence(REMINDER_NOTICE_RANGE),
            required=REMINDER_DAYS_REQUIRED,
        ),
    )

    default_marking = forms.ChoiceField(
        label="Handling marking of a new risk",
        choices=Marking.choices,
        help_text="What the risk form starts from, and what an imported new risk gets when its "
        "marking column is blank. OFFICIAL-SENSITIVE detail is shown only to cleared members.",
        widget=forms.RadioSelect,
        error_messages={
            "required": sentence(MARKING_UNKNOWN),
            "invalid_choice": sentence(MARKING_UNKNOWN),
        },
    )

    pack_order = forms.ChoiceField(
        label="Order of risks in packs",
        choices=PackOrder.choices,
        help_text="How a pack's summary ranks the risks (ESPO ranks by score).",
        widget=forms.RadioSelect,
        error_messages={
            "required": sentence(PACK_ORDER_UNKNOWN),
            "invalid_choice": sentence(PACK_ORDER_UNKNOWN),
        },
    )
    deep_dive_quarters = forms.IntegerField(
        label="Quarters red before a deep dive",
        help_text="A risk in the top band of its scoring scheme at more than this many "
        "consecutive quarter ends is listed in packs as a candidate for a deep dive.",
        **_whole_number(
            low=DEEP_DIVE_MIN,
            high=DEEP_DIVE_MAX,
            out_of_range=sentence(DEEP_DIVE_RANGE),
            required=DEEP_DIVE_REQUIRED,
        ),
    )

    def __init__(self, *args, organisation: Organisation, **kw):
        super().__init__(*args, **kw)
        self.organisation = organisation
        if not self.is_bound:
            self.initial.update({name: getattr(organisation, name) for name in self.fields})

    def clean_timezone(self) -> str:
        # Checked here as well as by the service, so that it is listed with the other errors.
        zone = self.cleaned_data["timezone"].strip()
        if not timezone_known(zone):
            raise ValidationError(sentence(TIMEZONE_UNKNOWN.format(zone=zone)))
        return zone

    def save(self, *, by) -> list[str] | None:
        """The names of the fields that changed ([] for none), or None with the refusal shown."""
        if not self.is_valid():
            return None
        try:
            return organisation_profile_set(
                organisation=self.organisation, by=by, **self.cleaned_data
            )
        except ValidationError as exc:
            self.add_service_errors(exc)
            return None


class LogoForm(GovukForm):
    """A logo for the packs (checked by its content in ``registers.services.pack_logo``)."""

    error_anchor = "id_logo"
    logo = forms.FileField(
        label="Logo on packs",
        required=False,
        help_text="A PNG or JPEG picture of at most 500 KB. Packs show it on the cover page and "
        "in the running header; without one, they show the organisation's name.",
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
    )

    def __init__(self, *args, organisation: Organisation, **kw):
        super().__init__(*args, **kw)
        self.organisation = organisation

    def save(self, *, by) -> Organisation | None:
        """The organisation with its new logo, or None with the refusal shown."""
        if not self.is_valid():
            return None
        upload = self.cleaned_data.get("logo")
        if upload is None:
            self.add_error("logo", sentence(LOGO_REQUIRED))
            return None
        if upload.size > LOGO_MAX_BYTES:  # refused before a byte is read
            self.add_error("logo", sentence(LOGO_TOO_BIG))
            return None
        try:
            return organisation_logo_set(
                organisation=self.organisation, content=upload.read(), by=by
            )
        except ValidationError as exc:
            self.add_service_errors(exc)
            return None
