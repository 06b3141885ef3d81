"""The scoring scheme's forms: a scheme file uploaded, a starting point chosen (the current version
or a preset), the scheme edited field by field, and the new version adopted with the admin's choice
for the risks rated under the old one.

Every rule is ``scoring.definition.parse_scheme``'s: the edit form builds a definition from what
was typed and shows each of its messages beside the field it names (a message about several
fields, such as a score no band covers, in the error summary). The writes are
``registers.services.rescoring``'s.
"""

from __future__ import annotations

import json
import re

from django import forms
from django.core.exceptions import ValidationError

from riskreg.forms import GovukForm, sentence
from scoring.definition import (
    MAX_FILE_BYTES,
    SchemeDefinition,
    SchemeError,
    parse_scheme,
    parse_scheme_text,
)
from scoring.presets import PRESET_KEYS, preset

START_CURRENT = "current"
FILE_REQUIRED = "Choose a scheme file (JSON) to upload"
FILE_TOO_LARGE = f"The file is too large for a scheme file (at most {MAX_FILE_BYTES:,} bytes)"
FILE_NOT_TEXT = "The file is not text: a scheme file is JSON, saved as UTF-8"
START_REQUIRED = "Choose what to start from"
START_UNKNOWN = "Choose the current version or one of the presets"
DEFINITION_BROKEN = (
    "The scheme sent with the page is not a valid scheme: start again from the scheme page"
)
CHOICE_REQUIRED = "Choose what happens to the ratings of the open risks"
WHOLE_NUMBER = "Enter a whole number"

RERATE, KEEP = "rerate", "keep"
AXES = (("likelihood", "Likelihood"), ("impact", "Impact"))


def start_choices(*, current_number: int | None) -> list[tuple[str, str]]:
    choices = []
    if current_number is not None:
        choices.append((START_CURRENT, f"The current version (version {current_number})"))
    for key in PRESET_KEYS:
        definition = preset(key)
        size = f"{len(definition.likelihood)}x{len(definition.impact)}"
        choices.append((key, f"Preset: {definition.name} ({size}, {definition.method})"))
    return choices


def definition_from_json(text: str) -> SchemeDefinition:
    """A definition carried by a page (hidden field); ValidationError if it is not a scheme."""
    try:
        return parse_scheme(json.loads(text))
    except (ValueError, TypeError, RecursionError, SchemeError):
        raise ValidationError(DEFINITION_BROKEN) from None


def definition_json(definition: SchemeDefinition) -> str:
    return json.dumps(definition.as_dict(), separators=(",", ":"))


class SchemeUploadForm(GovukForm):
    file = forms.FileField(
        label="Upload a scheme file",
        help_text="A JSON file in the scheme format (the format load_scheme reads). A file that "
        "breaks any rule is refused whole, with every rule it breaks listed.",
        error_messages={"required": FILE_REQUIRED, "empty": FILE_REQUIRED},
    )

    def clean_file(self) -> SchemeDefinition:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(FILE_TOO_LARGE)
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(FILE_NOT_TEXT) from None
        try:
            return parse_scheme_text(text, source=upload.name or "the file")
        except SchemeError as exc:
            raise ValidationError([sentence(problem) for problem in exc.problems]) from None


class SchemeStartForm(GovukForm):
    start = forms.ChoiceField(
        label="Start from",
        widget=forms.RadioSelect,
        error_messages={"required": START_REQUIRED, "invalid_choice": START_UNKNOWN},
    )

    def __init__(self, *args, current_number: int | None, **kw):
        super().__init__(*args, **kw)
        self.fields["start"].choices = start_choices(current_number=current_number)


# Where parse_scheme's messages belong: "likelihood level 2: code is required", "band 3: ...",
# "band 'Low': ...", "likelihood: duplicate code 'H'", "bands: 'Low' (1-6) overlaps 'Medium'".
_LEVEL = re.compile(r"^(likelihood|impact) level (\d+): (value|label|code|description)")
_BAND_NUMBER = re.compile(r"^band (\d+): ")
_BAND_NAME = re.compile(r"^band '(.*)': ")
_DUPLICATE = re.compile(r"^(likelihood|impact): duplicate (code|label) '(.*)'$")
_OVERLAP = re.compile(r"^bands: '.*' \(-?\d+--?\d+\) overlaps '(.*)' \(")
_DUPLICATE_BAND = re.compile(r"^bands: duplicate band name '(.*)'$")


def _band_part(message: str) -> str:
    if "colour" in message:
        return "colour"
    if "review_months" in message:
        return "review_months"
    if "min" in message or "max" in message:
        return "min"
    return "name"


class SchemeEditForm(GovukForm):
    """The fields of a scheme: each level's label, code and description, each band's name, score
    range (for a product scheme), colour and review period. How many levels and bands there are
    comes from the starting point (``base``): to change the size, start from a preset or upload a
    file. Band names may change in a matrix scheme: its cells follow their band."""

    base = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, base: SchemeDefinition, **kw):
        super().__init__(*args, **kw)
        self.starting = base
        self.initial["base"] = definition_json(base)
        text = {"class": "govuk-input--width-20"}
        short = {"class": "govuk-input--width-5", "spellcheck": "false"}
        for axis, word in AXES:
            for level in getattr(base, axis):
                prefix = f"{axis}_{level.value}"
                self.fields[f"{prefix}_label"] = forms.CharField(
                    label=f"{word} {level.value}: label",
                    required=False,
                    max_length=100,
                    widget=forms.TextInput(attrs=text),
                )
                self.fields[f"{prefix}_code"] = forms.CharField(
                    label=f"{word} {level.value}: code",
                    required=False,
                    max_length=10,
                    widget=forms.TextInput(attrs=short),
                )
                self.fields[f"{prefix}_description"] = forms.CharField(
                    label=f"{word} {level.value}: description (optional)",
                    required=False,
                    max_length=1000,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
                self.initial.update(
                    {
                        f"{prefix}_label": level.label,
                        f"{prefix}_code": level.code,
                        f"{prefix}_description": level.description,
                    }
                )
        numbers = {"min_value": -999, "max_value": 9999, "required": False}
        whole = {"invalid": WHOLE_NUMBER}
        for band in base.bands:
            prefix = f"band_{band.position}"
            self.fields[f"{prefix}_name"] = forms.CharField(
                label=f"Band {band.position}: name",
                required=False,
                max_length=50,
                widget=forms.TextInput(attrs=text),
            )
            if base.method == "product":
                self.fields[f"{prefix}_min"] = forms.IntegerField(
                    label=f"Band {band.position}: lowest score", error_messages=whole, **numbers
                )
                self.fields[f"{prefix}_max"] = forms.IntegerField(
                    label=f"Band {band.position}: highest score", error_messages=whole, **numbers
                )
            self.fields[f"{prefix}_colour"] = forms.CharField(
                label=f"Band {band.position}: colour",
                help_text="A hex colour, such as #d4351c.",
                required=False,
                max_length=7,
                widget=forms.TextInput(
                    attrs={"class": "govuk-input--width-7", "spellcheck": "false"}
                ),
            )
            self.fields[f"{prefix}_review_months"] = forms.IntegerField(
                label=f"Band {band.position}: review period, in months (optional)",
                help_text="Left empty, the register's or the organisation's period applies.",
                error_messages=whole,
                **numbers,
            )
            self.initial.update(
                {
                    f"{prefix}_name": band.name,
                    f"{prefix}_min": band.min,
                    f"{prefix}_max": band.max,
                    f"{prefix}_colour": band.colour,
                    f"{prefix}_review_months": band.review_months,
                }
            )

    # --- layout -------------------------------------------------------------------------------

    def level_groups(self, axis: str) -> list[tuple[str, list]]:
        word = dict(AXES)[axis]
        return [
            (
                f"{word} {level.value}",
                [self[f"{axis}_{level.value}_{part}"] for part in ("label", "code", "description")],
            )
            for level in getattr(self.starting, axis)
        ]

    @property
    def likelihood_groups(self):
        return self.level_groups("likelihood")

    @property
    def impact_groups(self):
        return self.level_groups("impact")

    @property
    def band_groups(self) -> list[tuple[str, list]]:
        parts = ("name", "min", "max", "colour", "review_months")
        return [
            (
                f"Band {band.position}",
                [
                    self[f"band_{band.position}_{part}"]
                    for part in parts
                    if f"band_{band.position}_{part}" in self.fields
                ],
            )
            for band in self.starting.bands
        ]

    # --- the definition -----------------------------------------------------------------------

    def _data(self) -> dict:
        data = self.starting.as_dict()
        cleaned = self.cleaned_data
        for axis, _ in AXES:
            for level in data[axis]:
                prefix = f"{axis}_{level['value']}"
                for part in ("label", "code", "description"):
                    level[part] = cleaned.get(f"{prefix}_{part}", "")
        renamed = {}
        for position, band in enumerate(data["bands"], start=1):
            prefix = f"band_{position}"
            renamed[band["name"]] = cleaned.get(f"{prefix}_name", "")
            band["name"] = cleaned.get(f"{prefix}_name", "")
            band["colour"] = cleaned.get(f"{prefix}_colour", "").strip()
            band["review_months"] = cleaned.get(f"{prefix}_review_months")
            if self.starting.method == "product":
                band["min"] = cleaned.get(f"{prefix}_min")
                band["max"] = cleaned.get(f"{prefix}_max")
        if data.get("matrix"):
            data["matrix"] = [[renamed.get(cell, cell) for cell in row] for row in data["matrix"]]
        return data

    def definition(self) -> SchemeDefinition | None:
        """The scheme as edited, or None with every rule it breaks shown on the form."""
        if not self.is_valid():
            return None
        data = self._data()
        try:
            return parse_scheme(data)
        except SchemeError as exc:
            for problem in exc.problems:
                self.add_error(self._field_for(problem, data), sentence(problem))
            return None

    def _field_for(self, problem: str, data: dict) -> str | None:
        found = _LEVEL.match(problem)
        if found:
            axis, number, part = found.groups()
            name = f"{axis}_{number}_{'label' if part == 'value' else part}"
            return name if name in self.fields else None
        found = _DUPLICATE.match(problem)
        if found:
            axis, part, value = found.groups()
            seen = 0
            for level in data[axis]:
                if str(level[part]).casefold() == value.casefold():
                    seen += 1
                    if seen == 2:
                        return f"{axis}_{level['value']}_{part}"
            return None
        names = [str(band["name"]).strip().casefold() for band in data["bands"]]
        found = _BAND_NUMBER.match(problem)
        position = int(found.group(1)) if found else None
        for pattern in (_BAND_NAME, _OVERLAP, _DUPLICATE_BAND):
            found = pattern.match(problem)
            if found and position is None:
                wanted = found.group(1).casefold()
                matches = [i for i, name in enumerate(names, start=1) if name == wanted]
                if matches:
                    position = matches[-1]
        if position is None:
            return None
        if problem.startswith(("bands: duplicate", "bands: '")):
            part = "name" if "duplicate" in problem else "min"
        else:
            part = _band_part(problem.split(": ", 1)[1])
        name = f"band_{position}_{part}"
        return name if name in self.fields else f"band_{position}_name"


class SchemeAdoptForm(GovukForm):
    """The preview page's form: the proposed definition (carried as JSON), the version it was
    made from, what happens to the ratings under the old version, and why."""

    definition = forms.CharField(widget=forms.HiddenInput)
    based_on = forms.IntegerField(widget=forms.HiddenInput)
    choice = forms.ChoiceField(
        label="What happens to the ratings of the open risks",
        widget=forms.RadioSelect,
        choices=[
            (RERATE, "Re-rate them all now under the new version"),
            (KEEP, "Keep their ratings under the old version until each risk's next review"),
        ],
        error_messages={"required": CHOICE_REQUIRED, "invalid_choice": CHOICE_REQUIRED},
    )
    reason = forms.CharField(
        label="Why is the scheme changing?",
        help_text="Kept in the scheme's history, and in the history of every risk re-rated.",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_definition(self) -> SchemeDefinition:
        return definition_from_json(self.cleaned_data["definition"])
