"""The bulk invitation form: a pasted list or a CSV file, read into rows by
``registers.services.invitation_batches`` (validation only; checking and sending are the
service's)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from riskreg.forms import GovukForm

from .services.invitation_batches import (
    BATCH_EMPTY,
    BATCH_NOT_TEXT,
    BATCH_TOO_LARGE,
    MAX_BYTES,
    MAX_ROWS,
    ParsedRow,
    batch_parse,
)

PASTE_OR_FILE = "Paste a list or choose a file, not both"


class InvitationBatchForm(GovukForm):
    rows = forms.CharField(
        label="Paste the list",
        required=False,
        strip=False,
        help_text=(
            "One person a line: their e-mail address, a comma, then their role "
            "(admin, coordinator, owner, viewer or panel). You can paste two columns from a "
            f"spreadsheet. At most {MAX_ROWS} people."
        ),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off"}),
    )
    file = forms.FileField(
        label="Or choose a CSV file",
        required=False,
        help_text="Columns email and role; the first line may name them.",
        widget=forms.FileInput(
            attrs={"class": "govuk-file-upload", "accept": ".csv,text/csv,text/plain"}
        ),
    )
    error_anchor = "id_rows"

    def __init__(self, *args, too_large: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        self.text = ""
        self.parsed: list[ParsedRow] = []

    def clean_rows(self) -> str:
        text = self.cleaned_data["rows"]
        if len(text.encode()) > MAX_BYTES:
            raise ValidationError(BATCH_TOO_LARGE.format(kb=MAX_BYTES // 1024, limit=MAX_ROWS))
        return text

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if self.too_large or (upload is not None and upload.size > MAX_BYTES):
            raise ValidationError(BATCH_TOO_LARGE.format(kb=MAX_BYTES // 1024, limit=MAX_ROWS))
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        text, upload = cleaned.get("rows", ""), cleaned.get("file")
        if text.strip() and upload is not None:
            raise ValidationError(PASTE_OR_FILE)
        field = "file" if upload is not None else "rows"
        if upload is not None:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", BATCH_NOT_TEXT)
                return cleaned
            if "\x00" in text:
                self.add_error("file", BATCH_NOT_TEXT)
                return cleaned
        if not text.strip():
            self.add_error("rows", BATCH_EMPTY)
            return cleaned
        try:
            self.parsed = batch_parse(text)
        except ValidationError as error:
            self.add_error(field, error)
            return cleaned
        self.text = text
        return cleaned


class InvitationBatchConfirmForm(forms.Form):
    """The checked list again, as the preview showed it, to send."""

    rows = forms.CharField(strip=False, widget=forms.HiddenInput)
    # The preview's own key: the same batch confirmed twice is sent once.
    key = forms.RegexField(regex=r"^[A-Za-z0-9_-]{16,64}$", widget=forms.HiddenInput)

    def clean_rows(self) -> str:
        text = self.cleaned_data["rows"]
        try:
            self.parsed = batch_parse(text)
        except ValidationError:
            raise ValidationError(BATCH_EMPTY) from None
        return text
