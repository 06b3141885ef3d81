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
