from django import forms

from .spreadsheets.exporting import FORMATS, parse_as_of
from .spreadsheets.reading import (
    SpreadsheetError,
    check_filename,
    describe_size,
    max_upload_bytes,
)


class ImportUploadForm(forms.Form):
    # Not required here: clean_file says which of "missing" and "too large" it is.
    file = forms.FileField(
        label="Spreadsheet", required=False, error_messages={"empty": "The file is empty"}
    )

    def __init__(self, *args, too_large: bool = False, **kwargs):
        self.too_large = too_large
        super().__init__(*args, **kwargs)

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


class ExportForm(forms.Form):
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
