"""``{% cached_url 'name' arg ... %}``: ``{% url %}`` for the links every page has (the header's),
each address worked out once per process rather than on every page (issue 20: the header's dozen
``reverse()`` calls, about 35 us each, were a tenth of a small page's template time).

The address is remembered per URLconf (the resolver, which ``override_settings(ROOT_URLCONF=...)``
and ``set_urlconf`` replace), script prefix and language, so it is what ``reverse()`` gives for
them. Only for names without a namespace, whose address does not depend on the current
application. Escaped as ``{% url %}`` escapes it; an address that cannot be made raises
``NoReverseMatch`` as ``{% url %}`` does, every time (failures are not remembered)."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

register = template.Library()


@lru_cache(maxsize=4096)
def _address(resolver, prefix: str, language: str | None, viewname: str, args: tuple) -> str:
    return reverse(viewname, args=args)


@register.simple_tag
def cached_url(viewname: str, *args) -> str:
    if ":" in viewname:
        raise ValueError(f"cached_url is for names without a namespace, not {viewname!r}")
    try:
        hash(args)
    except TypeError:
        return reverse(viewname, args=args)
    return _address(
        get_resolver(get_urlconf()), get_script_prefix(), get_language(), viewname, args
    )
