"""Forms for the risk pages. They check and convert what a person typed; the services decide
and write. Choices come from the organisation (members, categories, objectives, responses) and
from the register's scoring scheme (likelihood and impact levels)."""

from __future__ import annotations

import functools

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.template.loader import render_to_string
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import SafeString

from riskreg.forms import GovukBoundField, GovukForm, sentence
from riskreg.one_line import one_line
from scoring.definition import SchemeDefinition
from scoring.engine import Rating, grid, rate

from . import widgets
from .models import (
    ActionStatus,
    Effectiveness,
    Horizon,
    Marking,
    Membership,
    Organisation,
    Progress,
    Proximity,
    Risk,
    RiskKind,
    Scale3,
    User,
)
from .permissions import RISK_OWNER_ROLES
from .prepared import prepared_list
from .refs import REF_HINT, ref_clean
from .services.risks import POSITIONS, RISK_EDITABLE_FIELDS

POSITION_LABELS = {
    "inherent": "Initial (inherent)",
    "current": "Current",
    "target": "Target",
}
POSITION_HINTS = {
    "inherent": "Before any controls or mitigating actions.",
    "current": "Now, taking the controls and actions in place into account.",
    "target": "Where the risk should be once the actions are complete.",
}


class ReadOnceChoiceIterator(ModelChoiceIterator):
    """A model choice field's choices, read once per form and kept on the field: Django's own
    runs the query (through a server-side cursor) each time the field is drawn or asked whether
    it has any. A form that has already read them with another field's (the owner, manager and
    working leads lists are one query) gives them as ``field.read_choices``."""

    def __init__(self, field):
        self.field = field  # the queryset is the field's, asked for only when read

    @property
    def queryset(self):
        return self.field.queryset

    def objects(self) -> list:
        field = self.field
        if field.listed is None:
            field.listed = (
                field.read_choices() if field.read_choices is not None else list(self.queryset)
            )
        return field.listed

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.objects():
            yield self.choice(obj)

    def __len__(self) -> int:
        return len(self.objects()) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self.objects())

    def choice(self, obj):
        if type(obj) is Person:  # the edit form's people: their choice made once, for 3 lists
            return obj.choice
        return super().choice(obj)


class ReadOnceMixin:
    """For ModelChoiceField and ModelMultipleChoiceField: choices read once (above). Setting the
    queryset forgets what was read; validation still asks the queryset, as Django's does.
    ``queryset_from(make)`` builds it only when asked for: a form whose lists are drawn from
    ``read_choices`` and which checks no choice (a GET) never builds it."""

    iterator = ReadOnceChoiceIterator
    listed: list | None = None
    read_choices = None
    make_queryset = None

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.listed = None
        return result

    def _get_queryset(self):
        if self._queryset is None and self.make_queryset is not None:
            self._queryset = self.make_queryset().all()
        return self._queryset

    def _set_queryset(self, queryset):
        self.listed, self.make_queryset = None, None
        super()._set_queryset(queryset)

    queryset = property(_get_queryset, _set_queryset)

    def queryset_from(self, make) -> None:
        self._queryset, self.listed, self.make_queryset = None, None, make
        self.widget.choices = self.choices


class ReadOnceChoiceField(ReadOnceMixin, forms.ModelChoiceField):
    pass


class ReadOnceMultipleChoiceField(ReadOnceMixin, forms.ModelMultipleChoiceField):
    pass


class MemberChoiceField(ReadOnceChoiceField):
    widget = widgets.Select  # the same markup, drawn in Python: members lists are long

    def label_from_instance(self, obj) -> str:
        return obj.display_name


class MembersChoiceField(ReadOnceMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


def members(organisation: Organisation, keep=(), *, keep_leads_of=None):
    """Members who can be named as owners, plus anyone already named (``keep``, or the working
    leads of the risk ``keep_leads_of``, read in the same query). Each has ``can_own``: whether
    they could be named were they not already."""
    keep = [pk for pk in keep if pk]
    member = Membership.objects.filter(organisation=organisation, user=OuterRef("pk"))
    kept = Q(pk__in=keep)
    if keep_leads_of is not None:
        kept |= Q(
            pk__in=keep_leads_of.leads.through.objects.filter(risk=keep_leads_of).values("user")
        )
    # EXISTS rather than a join made DISTINCT, and only what a choice shows: the risk page draws
    # this list twice (controls, actions), for hundreds of members.
    return (
        get_user_model()
        .objects.annotate(can_own=Exists(member.filter(role__in=RISK_OWNER_ROLES)))
        .filter(Q(can_own=True) | (kept & Exists(member)))
        .only("id", "email", "full_name", "job_title")
        .order_by("full_name", "email")
    )


# What the risk form reads of each person its owner, manager and working-leads lists show.
PERSON_FIELDS = ("id", "email", "full_name", "job_title")


class PersonChoiceValue(ModelChoiceIteratorValue):
    """A person's value in a list: its ``instance`` (a User) is built only when asked for;
    drawing the list needs only the key."""

    def __init__(self, person: Person):
        self.value, self.person = person.pk, person

    @cached_property
    def instance(self):
        person = self.person
        user = User.from_db("default", PERSON_FIELDS, [getattr(person, n) for n in PERSON_FIELDS])
        user.can_own, user.is_lead = person.can_own, person.is_lead
        return user


class Person:
    """One person of the risk form's owner, manager and working-leads lists, read as a row
    (``RiskForm.people``): the three lists share it, its label escaped once (a list of 250
    people as model instances, each label escaped in each list, was a tenth of the edit page)."""

    def __init__(self, row):
        self.id, self.email, self.full_name, self.job_title, self.can_own, self.is_lead = row

    @property
    def pk(self) -> int:
        return self.id

    display_name = User.display_name  # the same words as the person's own page

    @cached_property
    def choice(self) -> tuple:
        return (PersonChoiceValue(self), escape(self.display_name))


def _people(*, organisation_id: int, owner_id: int | None, manager_id: int | None, risk_id):
    """``members`` with each person's ``is_lead``, as rows of PERSON_FIELDS, ``can_own``,
    ``is_lead``: read through ``prepared_list`` (only None is branched on; every value is
    given, None included, so that each shape has its own key)."""
    keep = [pk for pk in (owner_id, manager_id) if pk is not None]
    risk = None if risk_id is None else Risk(pk=risk_id)
    is_lead = (
        Value(False)
        if risk_id is None
        else Exists(Risk.leads.through.objects.filter(risk_id=risk_id, user=OuterRef("pk")))
    )
    return (
        members(Organisation(pk=organisation_id), keep, keep_leads_of=risk)
        .annotate(is_lead=is_lead)
        .values_list(*PERSON_FIELDS, "can_own", "is_lead")
    )


# A retired category or objective is offered to no new risk, but stays a choice on a risk that
# already has it, so editing the risk does not drop it. (Each takes the other's value unused.)
def _categories(*, organisation_id: int, editing: bool, category_id, risk_id):
    categories = Organisation(pk=organisation_id).categories.all()
    if not editing:
        return categories.filter(retired_at__isnull=True)
    return categories.filter(Q(retired_at__isnull=True) | Q(pk=category_id))


def _objectives(*, organisation_id: int, editing: bool, category_id, risk_id):
    objectives = Organisation(pk=organisation_id).objectives.all()
    if not editing:
        return objectives.filter(retired_at__isnull=True)
    return objectives.filter(Q(retired_at__isnull=True) | Q(risks=risk_id)).distinct()


def _chosen(risk_id: int):
    """The ids of the risk's objectives and working leads, one query, no join."""
    return (
        Risk.objectives.through.objects.filter(risk_id=risk_id)
        .annotate(field=Value("objectives", output_field=CharField()))
        .values_list("field", "objective_id")
        .order_by()
        .union(
            Risk.leads.through.objects.filter(risk_id=risk_id)
            .annotate(field=Value("leads", output_field=CharField()))
            .values_list("field", "user_id")
            .order_by(),
            all=True,
        )
    )


def level_choices(levels) -> list[tuple[str, str]]:
    return [("", "Not rated")] + [
        (str(level.value), f"{level.value} {level.label}") for level in levels
    ]


class PositionsMixin:
    """Likelihood and impact per position, chosen from the scheme's levels; ``ratings`` holds
    the engine's rating of every complete position once the form is valid."""

    positions: tuple[str, ...] = POSITIONS

    def add_position_fields(self, scheme: SchemeDefinition) -> None:
        self.scheme = scheme
        self.ratings: dict[str, Rating | None] = {}
        for position in self.positions:
            for axis, levels in (("likelihood", scheme.likelihood), ("impact", scheme.impact)):
                label = f"{POSITION_LABELS[position]} {axis}"
                values = ", ".join(f"{level.value} {level.label}" for level in levels)
                self.fields[f"{position}_{axis}"] = forms.TypedChoiceField(
                    label=label,
                    choices=level_choices(levels),
                    coerce=int,
                    empty_value=None,
                    required=False,
                    widget=forms.RadioSelect,
                    error_messages={
                        "invalid_choice": (
                            f"{label.capitalize()} must be one of the scheme's levels: {values}"
                        )
                    },
                )

    def clean_positions(self, cleaned: dict) -> None:
        for position in self.positions:
            likelihood = cleaned.get(f"{position}_likelihood")
            impact = cleaned.get(f"{position}_impact")
            if f"{position}_likelihood" in self.errors or f"{position}_impact" in self.errors:
                continue
            name = POSITION_LABELS[position].lower()
            if likelihood is None and impact is not None:
                self.add_error(
                    f"{position}_likelihood",
                    f"Choose the {name} likelihood as well as the impact, or neither",
                )
            elif impact is None and likelihood is not None:
                self.add_error(
                    f"{position}_impact",
                    f"Choose the {name} impact as well as the likelihood, or neither",
                )
            elif likelihood is not None:
                self.ratings[position] = rate(self.scheme, likelihood, impact)
            else:
                self.ratings[position] = None

    def position_values(self) -> dict[str, tuple[int, int] | None]:
        data = self.cleaned_data
        return {
            position: (data[f"{position}_likelihood"], data[f"{position}_impact"])
            if data.get(f"{position}_likelihood") is not None
            else None
            for position in self.positions
        }

    @property
    def position_groups(self) -> list[dict]:
        """What the template needs to draw each position: its fields, each level's value, label
        and description, and the rating of what is chosen (or was saved)."""
        groups = []
        for position in self.positions:
            axes = []
            for axis, levels in (
                ("likelihood", self.scheme.likelihood),
                ("impact", self.scheme.impact),
            ):
                bound = self[f"{position}_{axis}"]
                chosen = str(bound.value() if bound.value() is not None else "")
                options = [
                    {
                        "value": "",
                        "label": "Not rated",
                        "description": "",
                        "id": bound.auto_id + "_0",
                        "checked": chosen == "",
                    }
                ]
                options += [
                    {
                        "value": str(level.value),
                        # Schemes written in letters ("M v H") show the codes people know.
                        "label": f"{level.value} {level.label}"
                        + (f" ({level.code})" if self.scheme.notation == "letters" else ""),
                        "code": level.code,
                        "description": level.description,
                        "id": f"{bound.auto_id}_{index}",
                        "checked": chosen == str(level.value),
                    }
                    for index, level in enumerate(levels, start=1)
                ]
                axes.append({"axis": axis, "field": bound, "options": options})
            groups.append(
                {
                    "position": position,
                    "label": POSITION_LABELS[position],
                    "hint": POSITION_HINTS[position],
                    "axes": axes,
                    "rating": self.shown_rating(position),
                }
            )
        return groups

    @cached_property
    def scheme_grid(self) -> list[dict]:
        """Every cell of the scheme, as the grid of each position draws it (static/js/risk-form.js
        turns a click on a cell into the two radios): rows from the highest likelihood down."""
        rows = []
        for cells in grid(self.scheme):
            likelihood = cells[0].likelihood
            row = []
            for cell in cells:
                # Short enough for a phone: "10" over "Medium", "M v H" over "Medium", or the
                # band alone where the band is the rating.
                short = cell.rating.display.removesuffix(f" ({cell.rating.band.name})")
                band = "" if cell.rating.display == cell.rating.band.name else cell.rating.band.name
                # The name ends with the cell's text as it reads ("10 Medium", not "10
                # (Medium)"): what a speech-input user sees is what they say (WCAG 2.5.3).
                shown = f"{short} {band}" if band else short
                row.append(
                    {
                        "likelihood": cell.likelihood.value,
                        "impact": cell.impact.value,
                        "rating": cell.rating,
                        "short": short,
                        "band": band,
                        "label": f"Likelihood {likelihood.value} {likelihood.label}, impact "
                        f"{cell.impact.value} {cell.impact.label}: {shown}",
                    }
                )
            rows.append({"likelihood": likelihood, "cells": row})
        return rows

    @cached_property
    def scheme_grid_body(self) -> SafeString:
        """The grid's cells and axes, the same for every position: drawn once a form rather than
        once a position (three times on the edit page: a tenth of its CPU)."""
        return render_to_string("registers/partials/risk_grid_body.html", {"form": self})

    def shown_rating(self, position: str) -> Rating | None:
        """The rating of what the form holds now (typed, or loaded), rated by the engine."""
        if position in self.ratings:
            return self.ratings[position]
        likelihood = self[f"{position}_likelihood"].value()
        impact = self[f"{position}_impact"].value()
        if likelihood in (None, "") or impact in (None, ""):
            return None
        try:
            return rate(self.scheme, likelihood, impact)
        except ValueError:
            return None


# Django's select markup, blank lines and all, drawn in Python: each option was two includes.
SPACED_SELECT = widgets.Select(blank_lines=True)


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class RiskForm(PositionsMixin, GovukForm):
    """Create or edit a risk. ``version`` is the version the editor loaded (optimistic locking)."""

    ref = forms.CharField(
        label="Reference",
        max_length=30,
        help_text=REF_HINT,
        error_messages={"required": "Enter a reference for the risk"},
    )
    title = forms.CharField(
        max_length=250, error_messages={"required": "Enter a title for the risk"}
    )
    description = forms.CharField(
        required=False, widget=_textarea(), help_text="The cause and the event."
    )
    consequence = forms.CharField(required=False, widget=_textarea(3))
    category = ReadOnceChoiceField(
        queryset=None, required=False, empty_label="No category", widget=SPACED_SELECT
    )
    objectives = ReadOnceMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    owner = MemberChoiceField(
        queryset=None,
        required=False,
        empty_label="Nobody yet",
        help_text="Accountable for the risk.",
    )
    manager = MemberChoiceField(
        queryset=None,
        required=False,
        empty_label="Nobody yet",
        help_text="Responsible for managing the risk day to day.",
    )
    leads = MembersChoiceField(
        label="Working leads",
        queryset=None,
        required=False,
        widget=widgets.CheckboxSelectMultiple,
        help_text="People who work on the risk with the owner and manager.",
    )
    kind = forms.ChoiceField(
        label="Threat or opportunity", choices=RiskKind.choices, widget=forms.RadioSelect
    )
    horizon = forms.ChoiceField(required=False, choices=Horizon.choices, widget=SPACED_SELECT)
    emerging = forms.BooleanField(
        label="Emerging risk",
        required=False,
        help_text="On the horizon and not yet fully understood: it may have no current rating "
        "yet. Reports list emerging risks in a section of their own.",
    )
    response = forms.ChoiceField(required=False, widget=SPACED_SELECT)
    proximity = forms.ChoiceField(required=False, choices=Proximity.choices, widget=SPACED_SELECT)
    progress = forms.ChoiceField(
        label="Progress to target",
        required=False,
        choices=[("", "Not assessed")] + [choice for choice in Progress.choices if choice[0]],
        widget=SPACED_SELECT,
    )
    marking = forms.ChoiceField(
        label="Handling marking",
        choices=Marking.choices,
        widget=forms.RadioSelect,
        help_text="OFFICIAL-SENSITIVE risks are left out of public report packs.",
    )
    review_months = forms.IntegerField(
        label="Review period override (months)",
        required=False,
        min_value=1,
        max_value=60,
        help_text="Leave blank to follow the register's period or the rating's band.",
        error_messages={
            "min_value": "The review period must be between 1 and 60 months",
            "max_value": "The review period must be between 1 and 60 months",
            "invalid": "The review period must be a whole number of months, like 6",
        },
    )
    next_review_due = widgets.DateField(
        label="Next review due",
        required=False,
        help_text="Recording a review sets this from the review period.",
        invalid="Enter the next review date as a real date, day first",
    )
    reason = forms.CharField(
        label="Reason for the change (optional)",
        required=False,
        max_length=200,
        help_text="Recorded in the risk's history.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    DETAIL_FIELDS = ("ref", "title", "description", "consequence", "category", "objectives")
    PEOPLE_FIELDS = ("owner", "manager", "leads")
    HANDLING_FIELDS = (
        "kind",
        "horizon",
        "emerging",
        "response",
        "proximity",
        "progress",
        "marking",
        "review_months",
        "next_review_due",
    )
    # The service's fields this form shows (``RISK_EDITABLE_FIELDS``, in its order): set below
    # the class, from the fields it declares.
    SERVICE_FIELDS: tuple[str, ...] = ()

    def __init__(
        self,
        *args,
        organisation: Organisation,
        scheme: SchemeDefinition,
        risk=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.risk = risk
        self.creating = risk is None
        if not self.creating:
            del self.fields["ref"]
        else:
            # A new risk counts as reviewed today; its next review follows from its rating.
            del self.fields["reason"], self.fields["next_review_due"]
        # The category and objective choices: drawn from a read compiled once per connection,
        # the querysets that check a choice built only when one is checked.
        for name, build in (("category", _categories), ("objectives", _objectives)):
            values = {
                "organisation_id": organisation.pk,
                "editing": risk is not None,
                "category_id": risk.category_id if risk is not None else None,
                "risk_id": risk.pk if risk is not None else None,
            }
            self.fields[name].queryset_from(functools.partial(build, **values))
            self.fields[name].read_choices = functools.partial(
                prepared_list, f"risk_form.{name}", build, **values
            )
        keep = (risk.owner_id, risk.manager_id) if risk else ()
        # Who each field accepts, built when a choice is checked (building the query is a tenth
        # of the edit page's CPU); the owner and manager share one.
        owners = functools.cache(lambda: members(organisation, keep))
        self.fields["owner"].queryset_from(owners)
        self.fields["manager"].queryset_from(owners)
        self.fields["leads"].queryset_from(lambda: members(organisation, keep_leads_of=risk))
        # Drawn, the three lists are one query: those who can be named, the owner and manager
        # and the working leads, each list keeping its own (the queries above check a choice).
        self.fields["owner"].read_choices = self.fields["manager"].read_choices = lambda: [
            person for person in self.people if person.can_own or person.pk in keep
        ]
        self.fields["leads"].read_choices = lambda: [
            person for person in self.people if person.can_own or person.is_lead
        ]
        options = list(organisation.response_options)
        if risk is not None and risk.response and risk.response not in options:
            options.append(risk.response)
        self.fields["response"].choices = [("", "Not decided")] + [(o, o) for o in options]
        self.add_position_fields(scheme)

    @cached_property
    def people(self) -> list[Person]:
        """Every member the owner, manager and leads lists show, ``is_lead`` if a working lead:
        one query, compiled once per connection."""
        risk = self.risk
        rows = prepared_list(
            "risk_form.people",
            _people,
            organisation_id=self.organisation.pk,
            owner_id=risk.owner_id if risk else None,
            manager_id=risk.manager_id if risk else None,
            risk_id=risk.pk if risk else None,
        )
        return [Person(row) for row in rows]

    @classmethod
    def initial_for(cls, risk) -> dict:
        initial = {name: getattr(risk, name) for name in cls.SERVICE_FIELDS}
        # A title stored with a line break before decision 122 is offered on one line (a
        # browser's one-line box would drop the breaks and join the words): saved so.
        initial["title"] = one_line(risk.title)
        initial["category"] = risk.category_id
        initial["owner"] = risk.owner_id
        initial["manager"] = risk.manager_id
        chosen = {"objectives": [], "leads": []}
        for name, pk in prepared_list("risk_form.chosen", _chosen, risk_id=risk.pk):
            chosen[name].append(pk)
        initial["objectives"] = sorted(chosen["objectives"])
        initial["leads"] = sorted(chosen["leads"])
        initial["version"] = risk.version
        for position in POSITIONS:
            for axis in ("likelihood", "impact"):
                value = getattr(risk, f"{position}_{axis}")
                initial[f"{position}_{axis}"] = str(value) if value is not None else ""
        return initial

    def clean_ref(self) -> str:
        try:
            return ref_clean(self.cleaned_data["ref"])
        except ValidationError as exc:
            raise ValidationError(sentence(exc.messages[0])) from None

    def clean(self):
        cleaned = super().clean()
        self.clean_positions(cleaned)
        return cleaned

    def service_fields(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in self.SERVICE_FIELDS if name in self.fields
        }

    def sections(self) -> list[tuple[str, list]]:
        return [
            ("The risk", [self[name] for name in self.DETAIL_FIELDS if name in self.fields]),
            ("People", [self[name] for name in self.PEOPLE_FIELDS]),
            (
                "Response and handling",
                [self[name] for name in self.HANDLING_FIELDS if name in self.fields],
            ),
        ]


RiskForm.SERVICE_FIELDS = tuple(
    name for name in RISK_EDITABLE_FIELDS if name in RiskForm.base_fields
)


class ControlForm(GovukForm):
    description = forms.CharField(
        label="Control",
        widget=_textarea(3),
        error_messages={"required": "Describe the control"},
    )
    owner = MemberChoiceField(queryset=None, required=False, empty_label="Nobody yet")
    effectiveness = forms.ChoiceField(
        choices=Effectiveness.choices, initial=Effectiveness.NOT_ASSESSED
    )
    assurance = forms.CharField(
        label="Source of assurance",
        required=False,
        widget=_textarea(2),
        help_text="How you know the control works: an audit, a report, a test.",
    )

    def __init__(self, *args, organisation: Organisation, keep=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members(organisation, keep)


class ActionForm(GovukForm):
    description = forms.CharField(
        label="Action",
        widget=_textarea(3),
        error_messages={"required": "Describe the action"},
    )
    owner = MemberChoiceField(queryset=None, required=False, empty_label="Nobody yet")
    due_date = widgets.DateField(
        label="Due date",
        required=False,
        invalid="Enter the due date as a real date, day first",
    )
    status = forms.ChoiceField(choices=ActionStatus.choices, initial=ActionStatus.NOT_STARTED)
    priority = forms.ChoiceField(required=False, choices=Scale3.choices)
    difficulty = forms.ChoiceField(required=False, choices=Scale3.choices)
    progress_note = forms.CharField(label="Progress", required=False, widget=_textarea(2))

    def __init__(self, *args, organisation: Organisation, keep=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members(organisation, keep)


class ActionProgressForm(GovukForm):
    """What an action's owner (who does not edit the risk) may change."""

    status = forms.ChoiceField(choices=ActionStatus.choices)
    progress_note = forms.CharField(label="Progress", required=False, widget=_textarea(3))

    def __init__(self, *args, organisation: Organisation | None = None, keep=(), **kwargs):
        # Same signature as ActionForm so the view builds either; there is no owner to choose.
        super().__init__(*args, **kwargs)


class ReviewForm(PositionsMixin, GovukForm):
    """Confirm the risk unchanged (with a note) or re-score its current position."""

    UNCHANGED, RESCORE = "unchanged", "rescore"
    positions = ("current",)

    outcome = forms.ChoiceField(
        label="What did the review find?",
        choices=[
            ("unchanged", "No change: the current rating still stands"),
            ("rescore", "The current rating has changed: re-score it"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the current rating still stands"},
    )
    note = forms.CharField(
        label="This period's update: what changed and what is being done",
        required=False,
        widget=_textarea(5),
        help_text=(
            "Printed in the next risk report with the date and your name, and recorded in the "
            "risk's history. Needed when the rating still stands."
        ),
    )
    reviewed_on = widgets.DateField(
        label="Date of the review",
        required=False,
        help_text="Leave blank for today.",
        invalid="Enter the date of the review as a real date, day first",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, scheme: SchemeDefinition, current=(None, None), **kwargs):
        super().__init__(*args, **kwargs)
        self.current = tuple(current)
        self.add_position_fields(scheme)

    def clean(self):
        cleaned = super().clean()
        self.clean_positions(cleaned)
        outcome = cleaned.get("outcome")
        chosen = (cleaned.get("current_likelihood"), cleaned.get("current_impact"))
        submitted = "current_likelihood" in self.data or "current_impact" in self.data
        if outcome == self.UNCHANGED and submitted and chosen != self.current:
            self.add_error(
                "outcome",
                "You chose a new current rating but said it still stands: choose “re-score” "
                "to save the new rating, or put the rating back",
            )
        if outcome == self.UNCHANGED and not (cleaned.get("note") or "").strip():
            self.add_error(
                "note", "Write this period's update: what changed and what is being done"
            )
        if (
            outcome == self.RESCORE
            and self.ratings.get("current") is None
            and "current_likelihood" not in self.errors
            and "current_impact" not in self.errors
        ):
            self.add_error(
                "current_likelihood", "Choose the current likelihood and impact to re-score"
            )
        return cleaned


class CloseForm(GovukForm):
    reason = forms.CharField(
        label="Why is the risk being closed?",
        widget=_textarea(3),
        max_length=2000,
        help_text="For example: fully mitigated, the activity has ended, merged into another risk.",
        error_messages={"required": "Say why the risk is being closed"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReopenForm(GovukForm):
    reason = forms.CharField(
        label="Why is the risk being reopened? (optional)",
        required=False,
        max_length=2000,
        widget=_textarea(3),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class _SizedBoundField(GovukBoundField):
    """Keeps a widget's own classes (a GOV.UK width) beside the ones GovukBoundField adds."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        own = (widget or self.field.widget).attrs.get("class", "")
        if own and own not in attrs.get("class", ""):
            attrs["class"] = f"{attrs.get('class', '')} {own}".strip()
        return attrs


class LinkForm(GovukForm):
    """Link the risk to a related one, named by its reference (any register of the
    organisation), with a short note on how the two relate."""

    bound_field_class = _SizedBoundField

    other = forms.CharField(
        label="Reference of the related risk",
        max_length=30,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false"}),
        help_text="For example CRR18. It can be on any register of the organisation.",
        error_messages={"required": "Enter the reference of the related risk"},
    )
    note = forms.CharField(
        label="How are they related? (optional)",
        max_length=250,
        required=False,
        help_text="For example: a cyber attack would also stop the control room.",
        error_messages={"max_length": "Keep the note under 250 characters"},
    )
