"""Forms of the reporting pages: spreadsheet import and export, the movement period, a pack
request and reminder e-mail preferences. They check what was typed; services decide and write."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.db.models.functions import Length
from django.utils.text import capfirst

from registers import selectors
from registers.models import Register, Risk
from registers.selectors import OPEN_STATUSES
from registers.widgets import DateField
from riskreg.forms import GovukForm

from .models import DigestFrequency, PackEdition, PackKind
from .packs.access import FULL_EDITION_REFUSED
from .packs.release import PACK_CORRECTION_NOTE_REQUIRED, SUMMARY_MAX_LENGTH, SUMMARY_TOO_LONG
from .packs.services import PACK_REGISTERS_NONE, pack_as_of_check
from .spreadsheets.exporting import FORMATS, parse_as_of
from .spreadsheets.reading import (
    SpreadsheetError,
    check_filename,
    describe_size,
    max_upload_bytes,
)


class ImportUploadForm(GovukForm):
    error_anchor = "id_file"  # the one box on the page
    # Not required here: clean_file says which of "missing" and "too large" it is.
    file = forms.FileField(
        label="Spreadsheet", required=False, error_messages={"empty": "The file is empty"}
    )

    invite = forms.BooleanField(
        label="Invite people who are not members yet",
        required=False,
        help_text=(
            "An owner, manager, working lead, control owner or action owner given as an e-mail "
            "address that is not a member is sent an invitation as a risk owner. Until they "
            "accept, their rows are imported without them."
        ),
    )

    def __init__(self, *args, too_large: bool = False, can_invite: bool = False, **kwargs):
        self.too_large = too_large
        self.can_invite = can_invite  # may invite risk owners (registers.permissions)
        super().__init__(*args, **kwargs)

    def clean_invite(self):
        invite = self.cleaned_data.get("invite", False)
        if invite and not self.can_invite:
            raise forms.ValidationError(
                "You cannot invite people to the organisation: ask an admin or a coordinator, "
                "or untick the box"
            )
        return invite

    def clean_file(self):
        limit = max_upload_bytes()
        if self.too_large:  # the upload handler stopped storing it at the limit
            raise forms.ValidationError(
                f"The file is larger than {describe_size(limit)}, the largest file accepted"
            )
        upload = self.cleaned_data.get("file")
        if not upload:
            raise forms.ValidationError("Choose an Excel (.xlsx) or CSV (.csv) file to import")
        try:
            check_filename(upload.name)
        except SpreadsheetError as exc:
            raise forms.ValidationError(str(exc)) from None
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {describe_size(upload.size)}; the largest file accepted is "
                f"{describe_size(limit)}"
            )
        return upload


class ExportForm(GovukForm):
    format = forms.ChoiceField(
        label="Format",
        choices=[("xlsx", "Excel workbook (.xlsx)"), ("csv", "CSV (.csv)")],
        error_messages={"required": "Choose a format", "invalid_choice": "Choose xlsx or csv"},
    )
    as_of = forms.CharField(
        label="As at (optional)",
        required=False,
        max_length=40,
        help_text="Leave empty for the register as it is now. A date such as 31/03/2026 shows "
        "the register as it stood at the end of that day.",
    )

    def __init__(self, *args, organisation, **kwargs):
        self.organisation = organisation
        super().__init__(*args, **kwargs)

    def clean_format(self):
        value = self.cleaned_data["format"]
        if value not in FORMATS:  # pragma: no cover - ChoiceField already refuses
            raise forms.ValidationError("Choose xlsx or csv")
        return value

    def clean_as_of(self):
        text = self.cleaned_data["as_of"].strip()
        if not text:
            return None
        try:
            return parse_as_of(text, organisation=self.organisation)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


def _not_too_early(day: dt.date | None) -> dt.date | None:
    try:
        return day and selectors.as_of_day_check(day)
    except ValueError as exc:
        raise forms.ValidationError(capfirst(str(exc))) from None


class PeriodForm(GovukForm):
    """The window of "movement since": two dates, each meaning the end of that day in the
    organisation's timezone. Missing dates take the defaults (the last report, and now)."""

    since = DateField(
        label="Since the end of",
        required=False,
        invalid="Enter the start as a real date, day first",
    )
    until = DateField(
        label="Up to the end of",
        required=False,
        invalid="Enter the end as a real date, day first",
    )

    def __init__(self, *args, today: dt.date, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)

    def clean_since(self):
        return _not_too_early(self.cleaned_data.get("since"))

    def clean_until(self):
        until = self.cleaned_data.get("until")
        if until is not None and until > self.today:
            raise forms.ValidationError(
                "The end cannot be in the future: movement is read from what has happened"
            )
        return _not_too_early(until)

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until") or self.today
        if since is not None and since >= until:
            self.add_error("since", "The start must be before the end")
        return cleaned


REGISTERS_SHOWN = "registers_shown"


class PackRequestForm(GovukForm):
    kind = forms.ChoiceField(label="Pack", choices=PackKind.choices, widget=forms.RadioSelect)
    edition = forms.ChoiceField(
        label="Edition",
        choices=PackEdition.choices,
        initial=PackEdition.FULL,
        widget=forms.RadioSelect,
    )
    registers = forms.ModelMultipleChoiceField(
        label="Registers",
        help_text="The pack covers the open risks of the registers ticked. They start as the "
        "registers the packs cover by default, which the scheduled packs cover and an admin "
        "chooses on the registers settings page.",
        queryset=Register.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        # Not required: a request that never showed the boxes (a script) gets the remembered
        # choice; the page sends REGISTERS_SHOWN, so unticking them all is an error there.
        required=False,
    )
    as_of = DateField(
        label="As at",
        help_text="The pack shows the registers as they stood at the end of this day.",
        invalid="Enter the date the pack is as at as a real date, day first",
    )
    three_quarters = forms.BooleanField(
        label="Show each risk's rating at the last three quarter ends (quarterly pack)",
        required=False,
    )
    deep_dive_risks = forms.ModelMultipleChoiceField(
        label="Risks for a deep dive (optional)",
        help_text="Each risk ticked gets a full page in the pack, whatever its rating. Risks in "
        "breach, at warning or moved more than one tolerance level get one anyway.",
        queryset=Risk.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={
            "invalid_choice": "Choose deep-dive risks from the organisation's open risks",
            "invalid_pk_value": "Choose deep-dive risks from the organisation's open risks",
        },
    )

    def __init__(self, *args, editions, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        # Only the organisation's open risks are offered (and accepted) for a deep dive.
        self.fields["deep_dive_risks"].queryset = Risk.objects.filter(
            organisation=organisation, status__in=OPEN_STATUSES
        ).order_by(Length("ref"), "ref")
        self.fields["deep_dive_risks"].label_from_instance = lambda r: f"{r.ref} {r.title}"
        # Only the organisation's own registers in use are offered (and accepted): an archived
        # one is covered only by packs as at a day before it was archived, which its earlier
        # packs are.
        self.fields["registers"].queryset = Register.objects.filter(
            organisation=organisation, archived_at__isnull=True
        ).order_by("parent_id", "name")
        self.fields["registers"].label_from_instance = lambda register: register.name
        # Only the editions the member may read are offered (and accepted).
        self.fields["edition"].choices = [
            (value, label) for value, label in PackEdition.choices if value in editions
        ]
        self.fields["edition"].error_messages["invalid_choice"] = FULL_EDITION_REFUSED
        if PackEdition.FULL not in editions:
            self.fields["edition"].initial = PackEdition.PUBLIC

    def clean_three_quarters(self):
        value = self.cleaned_data.get("three_quarters", False)
        if value and self.data.get("kind") == PackKind.COMMITTEE:
            raise ValidationError(
                "Three quarters side by side is an option of the quarterly pack: untick it or "
                "choose the quarterly pack"
            )
        return value

    def clean_registers(self):
        chosen = self.cleaned_data["registers"]
        if not chosen and self.data.get(REGISTERS_SHOWN):
            raise ValidationError(PACK_REGISTERS_NONE)
        return list(chosen) or None

    def clean_as_of(self):
        value = self.cleaned_data["as_of"]
        if value > selectors.organisation_today(self.organisation):
            raise ValidationError("Choose a date that is not in the future")
        try:
            selectors.as_of_day_check(value)
        except ValueError as exc:
            raise ValidationError(capfirst(str(exc))) from None
        try:  # not before the organisation's records begin (decision 143)
            return pack_as_of_check(organisation=self.organisation, as_of=value)
        except ValidationError as error:
            raise ValidationError(error.message_dict["as_of"]) from None


class PreferenceForm(GovukForm):
    frequency = forms.ChoiceField(
        label="How often do you want reminder e-mails?",
        choices=[
            (DigestFrequency.DAILY, "Daily"),
            (DigestFrequency.WEEKLY, "Weekly, on Mondays"),
            (DigestFrequency.NEVER, "Only when something is overdue"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how often you want reminder e-mails"},
    )


class PackSummaryForm(GovukForm):
    """A draft pack's executive summary (the write is ``packs.release.pack_summary_save``)."""

    summary = forms.CharField(
        label="Executive summary",
        required=False,
        help_text=(
            "Printed on the pack's first page. Start from the draft generated from the pack's "
            "data, or write your own; left empty, the generated draft is printed. Saving builds "
            "the draft again."
        ),
        widget=forms.Textarea(attrs={"rows": 12}),
    )

    def clean_summary(self):
        summary = self.cleaned_data["summary"]
        if len(summary) > SUMMARY_MAX_LENGTH:
            raise ValidationError(SUMMARY_TOO_LONG)
        return summary


class PackCorrectionForm(GovukForm):
    """What a correction of a released pack corrects (``packs.release.pack_correct``)."""

    correction_note = forms.CharField(
        label="What does this version correct?",
        help_text="Printed on the new version's first page and sent to the panel with it.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        error_messages={"required": PACK_CORRECTION_NOTE_REQUIRED},
    )
