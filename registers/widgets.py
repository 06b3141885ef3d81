"""Widgets and fields every form shares.

Select: a select rendered in Python, for the long lists of members (owner, manager).

Django draws every <option> through a template include; with 200 members, the two owner lists of
the risk page (add a control, add an action) took a third of the page's time (bench/, issue 6).
This draws the same markup with format_html. The class is called Select so that a bound field's
``widget_type`` is still "select" (GovukBoundField and govuk/field.html go by it).

DateField and DateInput: every date a person types, shown and read day first (30/06/2027).
<input type="date"> shows mm/dd/yyyy to anyone whose browser is set to American English, and its
value cannot be typed the way our users write dates, so dates are text boxes (as GOV.UK's date
input is) with an example in the hint. ISO (2027-06-30) is still read: links and scripts use it.

CheckboxSelectMultiple: a long list of people (working leads) drawn in a compact scrolling box
with a filter (static/js/risk-form.js); named like Django's so ``widget_type`` is unchanged.
"""

from __future__ import annotations

import datetime as dt
import html

from django import forms
from django.forms.utils import flatatt
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def _escaped(value) -> str:
    """``conditional_escape``'s characters, without the lazy-string wrapper Django's ``escape``
    goes through on every call (two calls an option): a label already escaped (the risk form's
    people, escaped once for its three lists) is kept as it is, as Django's template does."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


class Select(forms.Select):
    def __init__(self, attrs=None, choices=(), *, blank_lines: bool = False):
        super().__init__(attrs, choices)
        # Django's template's markup byte for byte: each option's include ends in a line
        # break, so a blank line follows each option (the risk form's short lists).
        self.blank_lines = blank_lines

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = set(self.format_value(value))
        selected_one = False
        options = []
        for option_value, label in self.choices:
            text = "" if option_value is None else str(option_value)
            # As Django's Select: only the first matching option is selected.
            selected = not selected_one and text in chosen
            selected_one = selected_one or selected
            options.append(
                f'  <option value="{html.escape(text)}"{" selected" if selected else ""}>'
                f"{_escaped(label)}</option>"
            )
        attrs = self.build_attrs(self.attrs, attrs)
        if self.blank_lines:
            end, attrs_html = "\n\n", _template_attrs(attrs)
        else:
            end, attrs_html = "\n", flatatt(attrs)
        return format_html(
            '<select name="{}"{}>\n{}{}</select>',
            name,
            attrs_html,
            mark_safe(end.join(options)),  # noqa: S308  every part escaped above
            end,
        )


def _template_attrs(attrs: dict) -> SafeString:
    """What ``django/forms/widgets/attrs.html`` draws: in the attributes' order, True as the
    name alone, False left out."""
    parts = []
    for name, value in attrs.items():
        if value is True:
            parts.append(f" {_escaped(name)}")
        elif value is not False:
            parts.append(f' {_escaped(name)}="{_escaped(value)}"')
    return mark_safe("".join(parts))  # noqa: S308  every value escaped


DATE_EXAMPLE = "30/06/2027"
DATE_HINT = f"For example, {DATE_EXAMPLE}."
DATE_INVALID = f"Enter a real date, day first, like {DATE_EXAMPLE}"
# Day first always, never month first: 04/05/2027 is 4 May. ISO last, for links and scripts.
DATE_INPUT_FORMATS = (
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d %m %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%Y-%m-%d",
)


class DateInput(forms.DateInput):
    """A text box holding dd/mm/yyyy (``widget_type`` stays "date" for GovukBoundField)."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__({"spellcheck": "false", **(attrs or {})}, format="%d/%m/%Y")

    def format_value(self, value):
        # A date that came in ISO (a link, a script) is shown back day first too; anything
        # unreadable is shown as typed, so it can be corrected.
        if isinstance(value, str):
            for pattern in DATE_INPUT_FORMATS:
                try:
                    day = dt.datetime.strptime(" ".join(value.split()), pattern)  # noqa: DTZ007
                    value = day.date()  # a day, no time: nothing to be aware of
                    break
                except ValueError:
                    continue
        return super().format_value(value)


class DateField(forms.DateField):
    """A date typed day first; ``help_text`` gets the example, ``invalid`` names the field."""

    widget = DateInput
    input_formats = DATE_INPUT_FORMATS

    def __init__(self, *, help_text: str = "", invalid: str = "", **kwargs):
        messages = {"invalid": f"{invalid}, like {DATE_EXAMPLE}" if invalid else DATE_INVALID}
        messages.update(kwargs.pop("error_messages", {}))
        hint = f"{help_text} {DATE_HINT}".strip()
        super().__init__(help_text=hint, error_messages=messages, **kwargs)

    def to_python(self, value):
        # Doubled spaces ("30  6 2027") are not a reason to refuse a date.
        if isinstance(value, str):
            value = " ".join(value.split())
        return super().to_python(value)


class CheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    """Checkboxes for a long list of people: govuk/field.html draws them in a scrolling box with
    a filter box that static/js/risk-form.js shows and runs (without it, the box scrolls)."""

    filterable = True
