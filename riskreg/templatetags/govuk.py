"""``{{ form|error_links }}``: a form's errors as (anchor, message) pairs for the GOV.UK error
summary, for riskreg's forms (``GovukForm.error_links``) and for others' (django-allauth's).
``{{ field|choice_items }}``: a radio or checkbox list's items (riskreg.forms.choice_items)."""

from django import template

from riskreg import forms

register = template.Library()

GROUPED = ("radioselect", "checkboxselectmultiple")


@register.filter
def error_links(form) -> list[tuple[str, str]]:
    if hasattr(form, "error_links"):
        links = form.error_links
        return links() if callable(links) else links
    links = []
    for name, errors in form.errors.items():
        anchor = ""
        if name in form.fields:
            bound = form[name]
            anchor = f"{bound.auto_id}_0" if bound.widget_type in GROUPED else bound.auto_id
        links += [(anchor, message) for message in errors]
    return links


@register.filter
def choice_items(field):
    return forms.choice_items(field)
