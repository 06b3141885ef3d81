"""Forms of the categories and objectives settings pages. They check what an admin typed; the
services (``registers.services.categories``) decide and write, and their refusals are shown on
the form beside the field they name."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from riskreg.forms import GovukForm

from .models import Category, Objective, Organisation
from .services import categories as services

MOVE_DIRECTION_UNKNOWN = "Choose to move it up or down"
MERGE_TARGET_REQUIRED = "Choose what to merge it into"
MERGE_TARGET_UNKNOWN = "Choose one of the listed {plural} to merge it into"


class _SavingForm(GovukForm):
    """``save(by=...)`` calls the service and returns what it returned, or None with the
    service's refusal shown on the form."""

    def save(self, *, by):
        if not self.is_valid():
            return None
        try:
            return self.write(by=by)
        except ValidationError as exc:
            self.add_service_errors(exc)
            return None

    def write(self, *, by):  # pragma: no cover - every form below has its own
        raise NotImplementedError


class CategoryForm(_SavingForm):
    """Add a category (``category`` None) or rename one."""

    name = forms.CharField(
        label="Name",
        max_length=Category._meta.get_field("name").max_length,
        error_messages={"required": "Enter the category's name"},
    )

    def __init__(self, *args, organisation: Organisation, category: Category | None = None, **kw):
        super().__init__(*args, **kw)
        self.organisation, self.category = organisation, category
        if category is not None and not self.is_bound:
            self.initial["name"] = category.name
        self.fields["name"].label = "New name" if category is not None else "Name"

    def write(self, *, by) -> Category:
        if self.category is None:
            return services.category_add(
                organisation=self.organisation, name=self.cleaned_data["name"], by=by
            )
        return services.category_rename(
            category=self.category, name=self.cleaned_data["name"], by=by
        )


class ObjectiveForm(_SavingForm):
    """Add an objective (``objective`` None) or change its code and name."""

    code = forms.CharField(
        label="Code",
        max_length=Objective._meta.get_field("code").max_length,
        help_text="A short label lists and spreadsheets show, like P1 or SO2.",
        error_messages={"required": "Enter the objective's code"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )
    name = forms.CharField(
        label="Name",
        max_length=Objective._meta.get_field("name").max_length,
        error_messages={"required": "Enter the objective's name"},
    )

    def __init__(self, *args, organisation: Organisation, objective: Objective | None = None, **kw):
        super().__init__(*args, **kw)
        self.organisation, self.objective = organisation, objective
        if objective is not None and not self.is_bound:
            self.initial.update(code=objective.code, name=objective.name)

    def write(self, *, by) -> Objective:
        data = self.cleaned_data
        if self.objective is None:
            return services.objective_add(
                organisation=self.organisation, code=data["code"], name=data["name"], by=by
            )
        return services.objective_rename(
            objective=self.objective, code=data["code"], name=data["name"], by=by
        )


class MoveForm(GovukForm):
    direction = forms.ChoiceField(
        choices=[(services.UP, "Up"), (services.DOWN, "Down")],
        error_messages={
            "required": MOVE_DIRECTION_UNKNOWN,
            "invalid_choice": MOVE_DIRECTION_UNKNOWN,
        },
    )


class MergeForm(GovukForm):
    """Choose the category (or objective) to merge ``source`` into: any other of the
    organisation's that is not retired."""

    into = forms.TypedChoiceField(
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": MERGE_TARGET_REQUIRED},
    )

    def __init__(self, *args, source, targets, plural: str, **kw):
        super().__init__(*args, **kw)
        self.source = source
        self.targets = {target.pk: target for target in targets}
        field = self.fields["into"]
        field.label = f"Merge {source} into"
        field.choices = [(pk, str(target)) for pk, target in self.targets.items()]
        field.error_messages["invalid_choice"] = MERGE_TARGET_UNKNOWN.format(plural=plural)

    @property
    def target(self):
        return self.targets[self.cleaned_data["into"]]
