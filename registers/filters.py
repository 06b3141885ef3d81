"""The register page's filters: a GET form, so the filter state lives in the URL and a filtered
register can be bookmarked and shared. Bad values in a URL are reported and ignored, never a 500."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst

from riskreg.forms import GovukForm

from . import widgets
from .models import Horizon, RegisterLevel, RiskStatus
from .models.risks import LEVEL_MAX
from .selectors import (
    HORIZON_NONE,
    POSITION_LABELS,
    SORTS,
    STATUS_ALL,
    AppetiteFilter,
    ChangedFilter,
    ReviewFilter,
    RiskFilter,
    as_of_day_check,
)
from .selectors.register_list import EMERGING_NO, EMERGING_YES

ANY = ("", "Any")
# ``?rollup=all`` on a register page: every register of the organisation, not only those below.
EVERY_REGISTER = "all"
STATUS_CHOICES = [
    ("", "Open and escalated"),
    (RiskStatus.OPEN, "Open"),
    (RiskStatus.ESCALATED, "Escalated"),
    (RiskStatus.CLOSED, "Closed"),
    (STATUS_ALL, "All, including closed"),
]
APPETITE_CHOICES = [
    ANY,
    (AppetiteFilter.OUTSIDE, "Breach or at warning"),
    (AppetiteFilter.BREACH, "Breach"),
    (AppetiteFilter.WARNING, "At warning"),
    (AppetiteFilter.WITHIN, "Within appetite"),
    (AppetiteFilter.NOT_SET, "No threshold or not rated"),
]
REVIEW_CHOICES = [
    ANY,
    (ReviewFilter.OVERDUE, "Overdue"),
    (ReviewFilter.DUE_SOON, "Due within 30 days"),
    (ReviewFilter.AWAITING_SIGN_OFF, "Awaiting sign-off"),
]
CHANGED_CHOICES = [ANY, (ChangedFilter.LAST_REPORT, "Changed since the last report")]
SORT_CHOICES = [("", "Default")] + [
    (f"{prefix}{column}", f"{prefix}{column}") for column in SORTS for prefix in ("", "-")
]


class RiskFilterForm(GovukForm):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="Words in the reference, title or description",
        # A search box is no GOV.UK text input to GovukForm: it keeps these classes.
        widget=forms.SearchInput(
            {"class": "govuk-input govuk-!-width-two-thirds", "aria-describedby": "id_q-hint"}
        ),
    )
    # Every select is drawn in Python (widgets.Select), not an include per option: the ten
    # selects of the register page cost it 3 ms in Django's templates (issue 20).
    status = forms.ChoiceField(
        label="Status", choices=STATUS_CHOICES, required=False, widget=widgets.Select
    )
    category = forms.TypedChoiceField(
        label="Category", coerce=int, empty_value=None, required=False, widget=widgets.Select
    )
    owner = forms.TypedChoiceField(
        label="Owner", coerce=int, empty_value=None, required=False, widget=widgets.Select
    )
    band = forms.ChoiceField(label="Current band", required=False, widget=widgets.Select)
    appetite = forms.ChoiceField(
        label="Appetite", choices=APPETITE_CHOICES, required=False, widget=widgets.Select
    )
    review = forms.ChoiceField(
        label="Review", choices=REVIEW_CHOICES, required=False, widget=widgets.Select
    )
    changed = forms.ChoiceField(
        label="Changes", choices=CHANGED_CHOICES, required=False, widget=widgets.Select
    )
    level = forms.ChoiceField(
        label="Register level",
        choices=[ANY, *RegisterLevel.choices],
        required=False,
        widget=widgets.Select,
    )
    horizon = forms.ChoiceField(
        label="Horizon",
        choices=[
            ANY,
            *((value, label) for value, label in Horizon.choices if value),
            (HORIZON_NONE, "Not set"),
        ],
        required=False,
        widget=widgets.Select,
    )
    emerging = forms.ChoiceField(
        label="Emerging",
        choices=[ANY, (EMERGING_YES, "Emerging risks only"), (EMERGING_NO, "Not emerging")],
        required=False,
        widget=widgets.Select,
    )
    rollup = forms.BooleanField(label="Include child registers", required=False)
    # Set by heat-map links and column headings; carried as hidden fields.
    position = forms.ChoiceField(
        choices=[("", "Current"), *POSITION_LABELS.items()], required=False
    )
    likelihood = forms.IntegerField(
        label="Likelihood", min_value=1, max_value=LEVEL_MAX, required=False
    )
    impact = forms.IntegerField(label="Impact", min_value=1, max_value=LEVEL_MAX, required=False)
    sort = forms.ChoiceField(label="Sort", choices=SORT_CHOICES, required=False)

    HIDDEN = ("position", "likelihood", "impact", "sort")

    def __init__(self, data=None, *, categories=(), owners=(), bands=(), **kwargs):
        super().__init__(data, **kwargs)
        # str(): a retired category is still filtered on, and says it is retired.
        self.fields["category"].choices = [ANY, *((c.id, str(c)) for c in categories)]
        self.fields["owner"].choices = [ANY, *((u.id, u.display_name) for u in owners)]
        self.fields["band"].choices = [ANY, *((name, name) for name, _ in bands)]
        for name in self.HIDDEN:
            self.fields[name].widget = forms.HiddenInput()
        # The selects get their GOV.UK classes from GovukForm.
        self.fields["rollup"].widget.attrs.update(
            {"class": "govuk-checkboxes__input", "value": "1"}
        )

    @property
    def error_links(self) -> list[tuple[str, str]]:
        """Errors as the error summary lists them (govuk/error_summary.html): each names its
        filter, and links to it unless it is a hidden field, which the page does not draw."""
        links = []
        for field in self:
            for error in field.errors:
                if field.is_hidden:
                    links.append(("", f"{capfirst(field.label)}: {error}"))
                else:
                    links.append((field.id_for_label, f"{field.label}: {error}"))
        return links

    def value(self, name: str):
        """The cleaned value of a field, or its empty value when it was missing or bad."""
        data = getattr(self, "cleaned_data", {})
        if name in data and data[name] not in (None, ""):
            return data[name]
        return None

    def risk_filter(self) -> RiskFilter:
        """Only the values that validated: a bad value in the URL is ignored, and reported."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return RiskFilter(
            q=(self.value("q") or "").strip(),
            category=self.value("category"),
            owner=self.value("owner"),
            band=self.value("band") or "",
            appetite=self.value("appetite") or "",
            review=self.value("review") or "",
            status=self.value("status") or "",
            level=self.value("level") or "",
            horizon=self.value("horizon") or "",
            emerging=self.value("emerging") or "",
            position=self.value("position") or "current",
            likelihood=self.value("likelihood"),
            impact=self.value("impact"),
            changed=self.value("changed") or "",
        )

    @property
    def wants_rollup(self) -> bool:
        return bool(self.value("rollup"))

    @property
    def wants_every_register(self) -> bool:
        """``rollup=all``: every register of the organisation (the dashboard's links when it
        has several top-level registers)."""
        return self.data.get("rollup") == EVERY_REGISTER

    @property
    def sort_key(self) -> str:
        return self.value("sort") or ""

    @property
    def narrowed(self) -> bool:
        """Anything beyond the default view is applied (shows "Clear filters")."""
        return self.risk_filter() != RiskFilter()


TREND_QUARTERS = "quarters"
TREND_QUARTER_COUNT = 3  # WMP's Q1, Q2, Q3 trending
TREND_VIEW_OMITS = frozenset({"owner", "target"})  # shown again when the columns are hidden
ESCALATED_IN = "in"
INDICATORS_SHOWN = "shown"


class RegisterViewForm(RiskFilterForm):
    """The register's filters, plus how the register is shown: with the trend of the last three
    quarters (WMP), only the risks escalated into it, or as it stood at the end of a past day.
    Hidden fields, so applying filters keeps them; bad values are reported and ignored."""

    trend = forms.ChoiceField(
        label="Trend columns",
        choices=[("", "None"), (TREND_QUARTERS, "The last three quarters")],
        required=False,
    )
    escalated = forms.ChoiceField(
        label="Escalated risks",
        choices=[("", "All risks"), (ESCALATED_IN, "Escalated into this register")],
        required=False,
    )
    as_of = widgets.DateField(
        label="As it stood on", required=False, invalid="enter a real date, day first"
    )
    indicators = forms.ChoiceField(
        label="Indicators column",
        choices=[("", "Hidden"), (INDICATORS_SHOWN, "Shown")],
        required=False,
    )

    HIDDEN = (*RiskFilterForm.HIDDEN, "trend", "escalated", "as_of", "indicators")

    def __init__(self, *args, today, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)

    def clean_as_of(self):
        day = self.cleaned_data.get("as_of")
        if day is not None and day > self.today:
            raise forms.ValidationError(
                "the date is in the future: the register can only be shown as it was"
            )
        if day is not None:
            try:
                as_of_day_check(day)
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from None
        return day
