"""The upload form of assurance evidence (issue 18): a file, what it is attached to (the risk,
or one of its controls, actions or reviews), its line of assurance, the day it lapses."""

from __future__ import annotations

from django import forms

from riskreg.forms import GovukForm

from . import widgets
from .models.evidence import AssuranceLine

ON_RISK = "risk"


class EvidenceForm(GovukForm):
    file = forms.FileField(
        label="File",
        help_text=(
            "PDF, PNG or JPEG, Word, Excel or PowerPoint, OpenDocument, plain text or CSV. "
            "Checked by its content, not its name."
        ),
        error_messages={"required": "Choose a file to upload"},
    )
    attach_to = forms.ChoiceField(label="Evidence for", choices=())
    line = forms.TypedChoiceField(
        label="Line of assurance",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Not said"), *AssuranceLine.choices],
        help_text="Who gives the assurance (the Orange Book's three lines).",
    )
    valid_until = widgets.DateField(
        label="Valid until",
        required=False,
        help_text="Optional: after this day the assurance it gives is shown as lapsed.",
        invalid="Enter the valid until date as a real date, day first",
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=300,
        help_text="Optional, like 'Internal audit report 2026/07, reasonable assurance'.",
    )

    def __init__(self, *args, targets: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attach_to"].choices = targets
        self.fields["attach_to"].error_messages["invalid_choice"] = (
            "Choose what the evidence is for"
        )
