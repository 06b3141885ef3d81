"""``{% cached_url 'name' arg ... %}``: ``{% url %}`` for the links every page has (the header's),
each address worked out once per process rather than on every page (issue 20: the header's dozen
``reverse()`` calls, about 35 us each, were a tenth of a small page's template time).

The address is remembered per URLconf (the resolver, which ``override_settings(ROOT_URLCONF=...)``
and ``set_urlconf`` replace), script prefix and language, so it is what ``reverse()`` gives for
them. Only for names without a namespace, whose address does not depend on the current
application. Escaped as ``{% url %}`` escapes it; an address that cannot be made raises
``NoReverseMatch`` as ``{% url %}`` does, every time (failures are not remembered).

``{% cached_static 'path' %}``: ``{% static %}`` for the stylesheets and scripts of base.html, the
same way: remembered per static files storage (a changed ``STORAGES``, ``STATIC_URL`` or
``STATIC_ROOT`` makes a new one) and ``DEBUG`` (a manifest storage gives unhashed names then)."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.apps import apps
from django.conf import settings
from django.core.files.storage import storages
from django.templatetags.static import StaticNode
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


@lru_cache(maxsize=256)
def _static(storage, debug: bool, path: str) -> str:
    return StaticNode.handle_simple(path)


@register.simple_tag
def cached_static(path: str) -> str:
    if not apps.is_installed("django.contrib.staticfiles"):
        return StaticNode.handle_simple(path)
    return _static(storages["staticfiles"], settings.DEBUG, path)
