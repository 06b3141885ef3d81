"""The form of the bulk edit page: which risks (hidden, chosen on the register page), what to
change, the new value and a reason. Validation only: what happens to each risk is
``registers.services.risks_bulk_edit``'s plan."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from riskreg.forms import GovukForm

from . import widgets
from .forms import MemberChoiceField, members
from .models import Category, Marking, Register
from .services.risks_bulk_edit import REASON_MAX, REASON_REQUIRED, BulkField

VALUE_REQUIRED = {
    BulkField.OWNER: "Choose the new owner",
    BulkField.NEXT_REVIEW: "Enter the new next review date",
    BulkField.MARKING: "Choose the new handling marking",
    BulkField.REGISTER: "Choose the register to move the risks to",
}
NOT_LISTED = "Choose one of the {what} listed"


def _not_listed(what: str) -> dict:
    return {"invalid_choice": NOT_LISTED.format(what=what)}


class BulkEditForm(GovukForm):
    field = forms.ChoiceField(
        label="What to change",
        choices=BulkField.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what to change", **_not_listed("changes")},
    )
    owner = MemberChoiceField(
        label="New owner",
        queryset=None,
        required=False,
        empty_label="Choose a person",
        error_messages=_not_listed("people"),
    )
    manager = MemberChoiceField(
        label="New manager",
        queryset=None,
        required=False,
        empty_label="Nobody",
        error_messages=_not_listed("people"),
    )
    category = forms.ModelChoiceField(
        label="New category",
        queryset=None,
        required=False,
        empty_label="No category",
        error_messages=_not_listed("categories"),
    )
    next_review_due = widgets.DateField(
        label="New next review date",
        required=False,
        invalid="Enter the next review date as a real date, day first",
    )
    marking = forms.ChoiceField(
        label="New handling marking",
        choices=[("", "Choose a marking"), *Marking.choices],
        required=False,
        error_messages=_not_listed("markings"),
    )
    register = forms.ModelChoiceField(
        label="Move to register",
        queryset=None,
        required=False,
        to_field_name="slug",
        empty_label="Choose a register",
        help_text="Only registers you edit. Risks are re-rated under its scoring scheme.",
        error_messages=_not_listed("registers"),
    )
    reason = forms.CharField(
        label="Reason for the change",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the history of every risk changed.",
        error_messages={
            "required": REASON_REQUIRED[:1].upper() + REASON_REQUIRED[1:],
            "max_length": f"Keep the reason under {REASON_MAX} characters",
        },
    )

    def __init__(self, *args, access, **kwargs):
        super().__init__(*args, **kwargs)
        organisation = access.organisation
        self.fields["owner"].queryset = members(organisation)
        self.fields["manager"].queryset = members(organisation)
        # A retired category is given to no risk (it stays on those that have it).
        self.fields["category"].queryset = Category.objects.filter(
            organisation=organisation, retired_at__isnull=True
        ).order_by("position", "name")
        self.fields["register"].queryset = Register.objects.filter(
            organisation=organisation, pk__in=access.editable_register_ids
        ).order_by("name")

    @property
    def value(self):
        """The new value of the field chosen (None: nobody, no category)."""
        return self.cleaned_data.get(self.cleaned_data.get("field"))

    def clean(self):
        data = super().clean()
        name = data.get("field")
        if name in VALUE_REQUIRED and name not in self.errors and data.get(name) in (None, ""):
            self.add_error(name, VALUE_REQUIRED[name])
        return data

    def value_fields(self) -> list[tuple[str, str, forms.BoundField]]:
        """Each choice of ``field`` with the field of its new value (a conditional reveal)."""
        return [(value, label, self[value]) for value, label in BulkField.choices]


def seen_versions(values: list[str]) -> dict[str, int]:
    """The preview's ``REF:VERSION`` pairs (a ref saved before the ref rule may hold a colon)."""
    seen = {}
    for value in values:
        ref, _, version = value.rpartition(":")
        if not ref or not version.isdigit():
            raise ValidationError("the preview was not understood: choose the risks again")
        seen[ref] = int(version)
    return seen
