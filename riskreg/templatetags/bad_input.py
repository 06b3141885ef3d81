"""``{% bad_input %}``: the error summary says the page shows bad input (riskreg/bad_input.py)."""

from django import template

from riskreg.bad_input import mark_bad_input

register = template.Library()


@register.simple_tag(takes_context=True)
def bad_input(context) -> str:
    mark_bad_input(context.get("request"))
    return ""
