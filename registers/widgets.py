"""A select rendered in Python, for the long lists of members (owner, manager).

Django draws every <option> through a template include; with 200 members, the two owner lists of
the risk page (add a control, add an action) took a third of the page's time (bench/, issue 6).
This draws the same markup with format_html. The class is called Select so that a bound field's
``widget_type`` is still "select" (GovukBoundField and risk_field.html go by it).
"""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe


class Select(forms.Select):
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
                f'  <option value="{escape(text)}"{" selected" if selected else ""}>'
                f"{escape(label)}</option>"
            )
        return format_html(
            '<select name="{}"{}>\n{}\n</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("\n".join(options)),  # noqa: S308  every part escaped above
        )
