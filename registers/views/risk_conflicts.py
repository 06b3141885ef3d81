"""The risk edit form again after a save met a field both people changed: what the person typed,
their colleague's changes to the fields only the colleague changed, and for each field both
changed the value when the form was opened, theirs and yours, with a choice."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.forms import models as forms_models

from scoring.engine import RatingError, rate

from .. import history
from ..form_values import as_posted
from ..forms import POSITION_LABELS
from ..forms_treatments import RiskEditForm
from ..merging import KEEP_MINE, KEEP_THEIRS
from ..models import Category, Objective
from ..services.risk_edits import M2M_FIELDS, POSITIONS, RiskEditConflict
from ..services.treatments import CHOOSE_A_VALUE
from .risk_common import date_value


def _ids(value) -> list[str]:
    return sorted(str(getattr(item, "pk", item)) for item in value or ())


def conflict_form(request, exc: RiskEditConflict, opened_version: int, **kwargs):
    """The form holding what was typed, with the merged values of the fields only the colleague
    changed, still at the opened version; and what the page says about the fields both changed."""
    data = request.POST.copy()
    for name, value in exc.merged.items():
        if name in POSITIONS:
            likelihood, impact = value or ("", "")
            data[f"{name}_likelihood"] = as_posted(likelihood)
            data[f"{name}_impact"] = as_posted(impact)
        elif name in M2M_FIELDS:
            data.setlist(name, _ids(value))
        else:
            data[name] = as_posted(value)
    data["version"] = str(opened_version)
    data["choices_at"] = str(exc.risk.version)
    for name, choice in exc.chosen.items():
        data[f"keep-{name}"] = choice
    form = RiskEditForm(data, **kwargs)
    form.is_valid()
    names = _Names(exc)
    rows = []
    for conflict in exc.conflicts:
        label = _label(form, conflict.name)
        missing = conflict.name in exc.unchosen
        if missing:
            message = CHOOSE_A_VALUE.format(field=label.lower())
            form.add_error(None, message)
        rows.append(
            {
                "name": conflict.name,
                "label": label,
                "opened": (
                    names.shown(form, conflict.name, conflict.base)
                    if exc.base_known
                    else "Not known"
                ),
                "theirs": names.shown(form, conflict.name, conflict.theirs),
                "mine": names.shown(form, conflict.name, conflict.mine),
                "choice": exc.chosen.get(conflict.name, ""),
                "error": CHOOSE_A_VALUE.format(field=label.lower()) if missing else "",
            }
        )
    context = history.changes_since_version(exc.risk, opened_version)
    return form, {
        "conflict": context,
        "merge": {"rows": rows, "keep_theirs": KEEP_THEIRS, "keep_mine": KEEP_MINE},
    }


def _label(form, name: str) -> str:
    if name in POSITIONS:
        return f"{POSITION_LABELS[name]} rating"
    return str(form[name].label or name.replace("_", " ").capitalize())


class _Names:
    """Names for the ids on either side of the conflicts, fetched once."""

    def __init__(self, exc: RiskEditConflict):
        people, categories, objectives = set(), set(), set()
        for conflict in exc.conflicts:
            values = [v for v in (conflict.base, conflict.mine, conflict.theirs) if v is not None]
            flat = []
            for value in values:
                flat += list(value) if isinstance(value, frozenset | list | set) else [value]
            ids = {getattr(v, "pk", v) for v in flat}
            if conflict.name in ("owner", "manager", "leads"):
                people |= ids
            elif conflict.name == "category":
                categories |= ids
            elif conflict.name == "objectives":
                objectives |= ids
        self.people = {u.pk: u.display_name for u in get_user_model().objects.filter(pk__in=people)}
        self.categories = dict(Category.objects.filter(pk__in=categories).values_list("pk", "name"))
        self.objectives = {o.pk: str(o) for o in Objective.objects.filter(pk__in=objectives)}

    def shown(self, form, name: str, value) -> str:
        if name in POSITIONS:
            if value is None:
                return "Not rated"
            try:
                return rate(form.scheme, *value).label
            except (RatingError, TypeError, ValueError):
                return f"{value[0]} v {value[1]}"
        if name in M2M_FIELDS:
            lookup = self.people if name == "leads" else self.objectives
            shown = sorted(lookup.get(getattr(v, "pk", v), "Removed") for v in value or ())
            return ", ".join(shown) or "None"
        if value in (None, ""):
            return "Not set"
        value = getattr(value, "pk", value)
        if name in ("owner", "manager"):
            return self.people.get(value, "Someone who has left")
        if name == "category":
            return self.categories.get(value, "Removed")
        if isinstance(value, dt.date):
            return date_value(value)
        field = form.fields.get(name)
        choices = getattr(field, "choices", None)
        if choices is not None and not isinstance(field, forms_models.ModelChoiceField):
            return str(dict(choices).get(value, value))
        return str(value)
