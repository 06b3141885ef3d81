"""The GOV.UK form kit every app's forms use: widgets with GOV.UK classes, errors linked to the
field they belong to (``GovukForm.error_links``, read by ``templates/govuk/error_summary.html``),
a service's ValidationError shown on the form, and the form renderer that draws
``{{ field.as_field_group }}`` as a GOV.UK form group (``templates/govuk/field.html``).

A page draws a field with ``{{ form.name.as_field_group }}`` and its errors with
``{% include "govuk/error_summary.html" with forms=... %}``; a page with a hand-drawn layout
(the role radios, the scheme's grid) keeps its own markup but the same ids and anchors."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

WIDGET_CLASSES = {
    "text": "govuk-input",
    "email": "govuk-input",
    "password": "govuk-input govuk-input--width-20",
    "number": "govuk-input govuk-input--width-4",
    "date": "govuk-input govuk-input--width-10",
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "selectmultiple": "govuk-select rr-select-multiple",
    "file": "govuk-file-upload",
}
ERROR_CLASSES = {
    "govuk-input": "govuk-input--error",
    "govuk-textarea": "govuk-textarea--error",
    "govuk-select": "govuk-select--error",
    "govuk-file-upload": "govuk-file-upload--error",
}


class GovukBoundField(forms.BoundField):
    """Widgets carry GOV.UK classes, and the error modifier when the field has errors
    (Django already adds aria-describedby for the hint and error and aria-invalid)."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        classes = WIDGET_CLASSES.get(self.widget_type)
        if classes:
            base = classes.split()[0]
            if self.errors:
                classes = f"{classes} {ERROR_CLASSES[base]}"
            attrs["class"] = f"{classes} {attrs.get('class', '')}".strip()
        return attrs


# One radio or checkbox of a list, as templates/govuk/field.html places them.
CHOICE_ITEM = (
    '\n      <div class="govuk-{module}__item">\n'
    '        <input class="govuk-{module}__input" id="{id}" name="{name}" type="{type}" '
    'value="{value}"{checked}>\n'
    '        <label class="govuk-label govuk-{module}__label" for="{id}">{label}</label>\n'
    "      </div>"
)


def choice_items(bound: forms.BoundField) -> SafeString:
    """The radios or checkboxes of ``bound`` (a RadioSelect or CheckboxSelectMultiple), drawn in
    one loop in Python: the template's loop over ``subwidgets`` resolved seven variables an item,
    and a list of 250 people (a risk's working leads) was a fifth of the risk edit page's CPU.
    Each item's id, value and checked state are Django's (``ChoiceWidget.optgroups``)."""
    widget = bound.field.widget
    radio = bound.widget_type == "radioselect"
    module, kind = ("radios", "radio") if radio else ("checkboxes", "checkbox")
    base_id = widget.attrs.get("id") or bound.auto_id
    choices = list(widget.choices)
    if base_id and not any(isinstance(label, (list, tuple)) for _, label in choices):
        chosen = set(widget.format_value(bound.value()))
        items, selected_one = [], False
        for index, (value, label) in enumerate(choices):
            text = "" if value is None else str(value)
            # As Django's: a radio list checks only its first match.
            checked = (widget.allow_multiple_selected or not selected_one) and text in chosen
            selected_one = selected_one or checked
            items.append((widget.id_for_label(base_id, index), text, checked, label))
    else:  # grouped choices, or no id: Django's own subwidgets
        items = [
            (choice.id_for_label, str(choice.data["value"]), choice.data["selected"], label)
            for choice in bound.subwidgets
            for label in (choice.choice_label,)
        ]
    name = escape(bound.html_name)
    return mark_safe(  # noqa: S308  every part escaped
        "".join(
            CHOICE_ITEM.format(
                module=module,
                type=kind,
                id=escape(item_id),
                name=name,
                value=escape(value),
                checked=" checked" if checked else "",
                label=conditional_escape(label),
            )
            for item_id, value, checked, label in items
        )
    )


class GovukFormRenderer(TemplatesSetting):
    """``FORM_RENDERER``: the project's templates (so ``govuk/`` is found) and GOV.UK field
    groups. Widgets keep Django's own templates (``django.forms`` is an installed app)."""

    field_template_name = "govuk/field.html"
    # Every form's fields, django-allauth's included, get GOV.UK classes (Django 5.2).
    bound_field_class = GovukBoundField


class GovukForm(forms.Form):
    """Errors as GOV.UK error summaries want them: each linked to the field it belongs to.
    ``error_anchor`` is where an error that names no field links to ("" for no link, unless
    the page gives one)."""

    bound_field_class = GovukBoundField
    error_anchor = ""

    # Widgets whose first option carries the field's id (radios, checkboxes).
    GROUPED = ("radioselect", "checkboxselectmultiple")

    def anchor(self, name: str) -> str:
        if name not in self.fields:
            return ""
        bound = self[name]
        if bound.widget_type in self.GROUPED:
            return f"{bound.auto_id}_0"
        return bound.auto_id

    @property
    def error_links(self) -> list[tuple[str, str]]:
        links = []
        for name, errors in self.errors.items():
            anchor = "" if name == "__all__" else self.anchor(name)
            links += [(anchor, message) for message in errors]
        return links

    def add_service_errors(self, exc: ValidationError) -> None:
        """Show a service's ValidationError beside the fields it names."""
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                target = name if name in self.fields else None
                for message in errors:
                    self.add_error(target, sentence(message))
        else:
            for message in exc.messages:
                self.add_error(None, sentence(message))


def sentence(message: str) -> str:
    return message[:1].upper() + message[1:] if message else message


def posted(request):
    """The data a form is bound to: the POST's, even when empty, and None on GET.

    ``request.POST or None`` leaves a form unbound on an empty POST, which then re-renders the
    page with 200 and no message instead of the 400 with the error summary bad input gets."""
    return request.POST if request.method == "POST" else None
