"""Edit forms of risks, controls and actions: the add forms' fields plus the version the person
opened (optimistic locking) and, after a conflict, whose value they chose to keep for each field both
people changed (``keep-<field>``: theirs or yours)."""

from __future__ import annotations

from django import forms

from riskreg.forms import GovukForm

from .forms import ActionForm, ActionProgressForm, ControlForm, RiskForm
from .merging import KEEP_MINE, KEEP_THEIRS

VERSION_MISSING = "The form did not say which version of the {noun} you opened: open it again"
# The column is a PostgreSQL integer: a larger number in a crafted form must not reach a query.
VERSION_MAX = 2_147_483_647


class OpenedVersionForm(forms.Form):
    """What an edit form adds to its add form (a control's, action's or indicator's,
    ``forms_indicators.IndicatorEditForm``): the version the person opened and, after a conflict,
    their choices. First among the bases, before the add form; ``noun`` names the thing."""

    noun = ""
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=VERSION_MAX)
    # The version whose values a conflict was shown against: choices count only for those.
    choices_at = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=VERSION_MAX
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        message = VERSION_MISSING.format(noun=self.noun)
        self.fields["version"].error_messages.update(
            required=message, invalid=message, min_value=message, max_value=message
        )
        # Errors that belong to no field of the form (whose value to keep, after a conflict),
        # by the id the error summary links them to.
        self.error_anchors: dict[str, str] = {}

    @property
    def error_links(self) -> list[tuple[str, str]]:
        return [
            (anchor or self.error_anchors.get(message, ""), message)
            for anchor, message in super().error_links
        ]

    def changes(self) -> dict:
        """The control's, action's or indicator's fields as the form holds them."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("version", "choices_at")
        }

    def choices(self) -> dict[str, str]:
        choices = {}
        for name in self.changes():
            choice = self.data.get(f"keep-{name}")
            if choice in (KEEP_THEIRS, KEEP_MINE):
                choices[name] = choice
        return choices


class ControlEditForm(OpenedVersionForm, ControlForm):
    noun = "control"


class ActionEditForm(OpenedVersionForm, ActionForm):
    noun = "action"


class ActionProgressEditForm(OpenedVersionForm, ActionProgressForm):
    noun = "action"


class ActionCompleteForm(GovukForm):
    """The "Mark completed" button carries the version its page showed; older pages did not."""

    version = forms.IntegerField(required=False, min_value=1, max_value=VERSION_MAX)


class RiskEditForm(RiskForm):
    """The risk edit form with what a three-way merge needs (``services.risk_edits``): the
    version the person opened, required, and after a conflict the version whose values they were
    shown and whose value they chose to keep for each field both people changed. The fields,
    widgets and layout are RiskForm's own."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=VERSION_MAX)
    choices_at = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=VERSION_MAX
    )
    # What the merge compares, besides RiskForm.SERVICE_FIELDS: each rating position as one
    # unit, and the lists.
    MERGED_LISTS = ("objectives", "leads")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        message = VERSION_MISSING.format(noun="risk")
        self.fields["version"].error_messages.update(
            required=message, invalid=message, min_value=message, max_value=message
        )

    def merge_names(self) -> list[str]:
        return [*self.SERVICE_FIELDS, *self.positions, *self.MERGED_LISTS]

    def choices(self) -> dict[str, str]:
        choices = {}
        for name in self.merge_names():
            choice = self.data.get(f"keep-{name}")
            if choice in (KEEP_THEIRS, KEEP_MINE):
                choices[name] = choice
        return choices
