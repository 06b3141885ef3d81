"""Forms for the appetite pages. They check and convert what an admin typed; the services in
appetite/services.py decide and write, and their ValidationErrors land beside the fields."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from registers.forms_treatments import VERSION_MAX, VERSION_MISSING
from registers.merging import KEEP_MINE, KEEP_THEIRS
from riskreg.forms import GovukForm

from .models import AppetiteLevel, AppetiteStatement
from .services import (
    REASON_MAX_LENGTH,
    STATEMENT_FIELDS,
    LevelSpec,
    ScoreScale,
    threshold_problems,
)

DEFAULT_CHOICE = "default"


def _whole_number(name: str, *, required: bool = True, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        required=required,
        error_messages={
            "required": f"Enter the {name}",
            "invalid": f"The {name} must be a whole number, like 12",
            "min_value": f"The {name} must be %(limit_value)s or more",
        },
        **kwargs,
    )


def reason_field(help_text: str) -> forms.CharField:
    return forms.CharField(
        label="Reason for the change",
        max_length=REASON_MAX_LENGTH,
        help_text=help_text,
        error_messages={
            "required": "Enter the reason for the change: it is kept in the appetite history",
            "max_length": f"Keep the reason to {REASON_MAX_LENGTH} characters",
        },
    )


class OrderedErrorsForm(GovukForm):
    """The error summary lists problems in the order of the fields on the page."""

    @property
    def error_links(self) -> list[tuple[str, str]]:
        order = {name: index for index, name in enumerate(self.fields)}
        links = []
        for name in sorted(self.errors, key=lambda name: order.get(name, -1)):
            anchor = "" if name == "__all__" else self.anchor(name)
            links += [(anchor, message) for message in self.errors[name]]
        return links


class LevelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AppetiteLevel) -> str:
        if obj.min_score is not None:
            return f"{obj.name} (scores {obj.min_score} to {obj.max_score})"
        return obj.name


class StatementForm(OrderedErrorsForm):
    """Add a statement (``statement`` None: choose the category) or change one."""

    category = forms.ChoiceField(
        label="Category",
        error_messages={
            "required": "Choose the category this appetite is for",
            "invalid_choice": "Choose a category that has no appetite statement yet",
        },
    )
    level = LevelChoiceField(
        label="Appetite level",
        queryset=AppetiteLevel.objects.none(),
        required=False,
        empty_label="No level",
        error_messages={"invalid_choice": "Choose one of the organisation's appetite levels"},
    )
    tolerance = _whole_number("tolerance threshold", min_value=1, label="Tolerance threshold")
    warning = _whole_number(
        "warning threshold", required=False, min_value=1, label="Warning threshold (optional)"
    )
    rationale = forms.CharField(
        label="Rationale (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why this appetite: the source, the committee decision, what the level means "
        "for this category.",
    )
    reason = reason_field(
        "Kept in the appetite history with your name and the date, for example "
        "“Audit Committee, 12 March 2026: annual review of Table 5”."
    )

    def __init__(
        self,
        *args,
        organisation,
        scale: ScoreScale | None,
        statement: AppetiteStatement | None = None,
        category_choices: list[tuple[str, str]] | None = None,
        **kwargs,
    ):
        if statement is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "level": statement.level_id,
                "tolerance": statement.tolerance,
                "warning": statement.warning,
                "rationale": statement.rationale,
                "version": statement.version,
            }
        super().__init__(*args, **kwargs)
        self.organisation, self.statement, self.scale = organisation, statement, scale
        self.fields["level"].queryset = AppetiteLevel.objects.filter(
            organisation=organisation
        ).order_by("position")
        if statement is not None:
            del self.fields["category"]
            # The version the admin opened, and after a conflict the version whose values they
            # were shown: a save from an older version is merged (appetite_statement_set).
            # A page opened before statements had versions sends none, and is saved as it
            # stands, as it was then.
            message = VERSION_MISSING.format(noun="appetite statement")
            self.fields["version"] = forms.IntegerField(
                widget=forms.HiddenInput,
                required=False,
                min_value=1,
                max_value=VERSION_MAX,
                error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), message),
            )
            self.fields["choices_at"] = forms.IntegerField(
                widget=forms.HiddenInput, required=False, min_value=1, max_value=VERSION_MAX
            )
        else:
            self.fields["category"].choices = [("", "Choose a category"), *category_choices]
        scale_text = f"A score on {scale.scheme_name}, from 1 to {scale.maximum}. " if scale else ""
        self.fields["tolerance"].help_text = (
            f"{scale_text}The highest acceptable current score: a risk scoring more is in "
            "breach of appetite."
        )
        self.fields["warning"].help_text = (
            "Optional, below the tolerance: a risk scoring more (and no more than the tolerance) "
            "shows at warning, amber before red."
        )
        widget_max = {"max": scale.maximum} if scale else {}
        for name in ("tolerance", "warning"):
            self.fields[name].widget.attrs.update({"min": 1, **widget_max})

    def clean(self):
        data = super().clean()
        tolerance = data.get("tolerance")
        if tolerance is not None and "level" not in self.errors and "warning" not in self.errors:
            # The service's own rules, asked now so that every problem shows at once.
            problems = threshold_problems(
                organisation=self.organisation,
                level=data.get("level"),
                tolerance=tolerance,
                warning=data.get("warning"),
            )
            if problems:
                self.add_service_errors(ValidationError(problems))
        return data

    def choices(self) -> dict[str, str]:
        """Whose value to keep for each field both admins changed (``keep-<field>``)."""
        return {
            name: self.data[f"keep-{name}"]
            for name in STATEMENT_FIELDS
            if self.data.get(f"keep-{name}") in (KEEP_THEIRS, KEEP_MINE)
        }

    def chosen_category(self):
        """The category chosen on an add form (None for the organisation-wide default)."""
        value = self.cleaned_data["category"]
        if value == DEFAULT_CHOICE:
            return None
        Category = AppetiteStatement._meta.get_field("category").related_model
        return Category.objects.get(organisation=self.organisation, pk=int(value))


class RemoveStatementForm(GovukForm):
    reason = reason_field(
        "Kept in the appetite history, for example “Category merged into Governance”."
    )


class LevelForm(OrderedErrorsForm):
    """One appetite level in the levels form. A blank extra row adds nothing."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    order = _whole_number("order", min_value=1, label="Order")
    name = forms.CharField(
        label="Name",
        max_length=50,
        required=False,
        error_messages={"max_length": "Keep the name to 50 characters"},
    )
    description = forms.CharField(
        label="Description (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    min_score = _whole_number("lowest score", required=False, min_value=1, label="Lowest score")
    max_score = _whole_number("highest score", required=False, min_value=1, label="Highest score")
    remove = forms.BooleanField(label="Remove this level", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("min_score", "max_score", "order"):
            self.fields[name].widget.attrs.update(
                {"class": "govuk-input govuk-input--width-3", "min": 1}
            )

    @property
    def is_blank_extra(self) -> bool:
        """An empty row for a new level, left empty."""
        data = getattr(self, "cleaned_data", {})
        return not data.get("id") and not (data.get("name") or "").strip()

    def clean(self):
        data = super().clean()
        if not data.get("id") and not (data.get("name") or "").strip():
            # The row for a new level, left blank: ignore whatever else was typed only if it
            # is nothing at all.
            if data.get("min_score") is not None or data.get("max_score") is not None:
                self.add_error("name", "Enter the new level's name, or clear its scores")
            return data
        if data.get("id") and not (data.get("name") or "").strip() and not data.get("remove"):
            self.add_error("name", "Enter the level's name")
        return data


class BaseLevelFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form in self.forms:
            form.use_required_attribute = False

    def specs(self) -> tuple[list[LevelSpec], list[int]]:
        """The levels in the order asked for, and for each the index of its form row."""
        rows = [
            (form.cleaned_data.get("order"), index, form)
            for index, form in enumerate(self.forms)
            if not form.is_blank_extra
        ]
        rows.sort(key=lambda row: (row[0] or 10_000, row[1]))
        specs = [
            LevelSpec(
                id=form.cleaned_data.get("id"),
                name=form.cleaned_data.get("name") or "",
                description=form.cleaned_data.get("description") or "",
                min_score=form.cleaned_data.get("min_score"),
                max_score=form.cleaned_data.get("max_score"),
                remove=bool(form.cleaned_data.get("remove")),
            )
            for _, _, form in rows
        ]
        return specs, [index for _, index, _ in rows]

    def add_service_errors(self, error: ValidationError, rows: list[int]) -> list[str]:
        """Put the service's "<index>.<field>" errors on their row; returns the others."""
        others = []
        for key, messages in error.message_dict.items():
            index, _, field = key.partition(".")
            if index.isdigit() and int(index) < len(rows):
                form = self.forms[rows[int(index)]]
                target = field if field in form.fields else None
                for message in messages:
                    form.add_error(target, message[:1].upper() + message[1:])
            else:
                others += [message[:1].upper() + message[1:] for message in messages]
        return others


LevelFormSet = forms.formset_factory(
    LevelForm, formset=BaseLevelFormSet, extra=1, max_num=20, validate_max=True
)


class LevelsReasonForm(GovukForm):
    reason = reason_field(
        "Kept in the appetite history, for example “Table 4 ranges recalibrated for the 6x6 "
        "scheme”."
    )
