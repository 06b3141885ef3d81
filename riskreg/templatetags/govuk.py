"""``{{ form|error_links }}``: a form's errors as (anchor, message) pairs for the GOV.UK error
summary, for riskreg's forms (``GovukForm.error_links``) and for others' (django-allauth's)."""

from django import template

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
