"""``{% cached_url %}`` (riskreg/templatetags/cached_url.py), the header's links worked out once per
process (issue 20): always what ``{% url %}`` gives, under another URLconf or script prefix too."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.template import Context, Template
from django.urls import NoReverseMatch, clear_script_prefix, path, set_script_prefix

# Another URLconf (ROOT_URLCONF = this module): the same name, another address.
urlpatterns = [path("elsewhere/<slug:org>/", HttpResponse, name="organisation")]

LINKS = [
    ("home", ()),
    ("account", ()),
    ("notifications", ()),
    ("logout", ()),
    ("my_packs", ()),
    ("organisation", ("an-org",)),
    ("my_work", ("an-org",)),
    ("settings_home", ("another",)),
    ("members", ("an-org",)),
    ("unsaved", ("<b>&\"'",)),  # escaped as {% url %} escapes
]


def both(name: str, args: tuple) -> tuple[str, str]:
    context = Context({"name": name, "args": args, **{f"a{i}": a for i, a in enumerate(args)}})
    arguments = " ".join(f"a{i}" for i in range(len(args)))
    ours = Template(f"{{% load cached_url %}}{{% cached_url name {arguments} %}}").render(context)
    theirs = Template(f"{{% url name {arguments} %}}").render(context)
    return ours, theirs


@pytest.mark.parametrize(("name", "args"), LINKS)
def test_the_address_is_the_url_tags(name, args):
    for _ in range(2):  # the second remembered
        ours, theirs = both(name, args)
        assert ours == theirs


def test_another_script_prefix_or_urlconf_is_another_address(settings):
    assert both("home", ())[0] == "/"
    set_script_prefix("/risks/")
    try:
        ours, theirs = both("organisation", ("an-org",))
        assert ours == theirs == "/risks/o/an-org/"
    finally:
        clear_script_prefix()
        set_script_prefix("/")
    assert both("organisation", ("an-org",))[0] == "/o/an-org/"
    settings.ROOT_URLCONF = __name__
    ours, theirs = both("organisation", ("an-org",))
    assert ours == theirs == "/elsewhere/an-org/"


def test_an_address_that_cannot_be_made_fails_every_time():
    for _ in range(2):
        with pytest.raises(NoReverseMatch):
            both("no_such_page", ())


@pytest.mark.parametrize("path", ["css/riskreg.css", "vendor/htmx/htmx.min.js", "a b&<c>.js"])
def test_the_static_address_is_the_static_tags(path, settings):
    def both_static() -> tuple[str, str]:
        context = Context({"path": path})
        ours = Template("{% load cached_url %}{% cached_static path %}").render(context)
        theirs = Template("{% load static %}{% static path %}").render(context)
        return ours, theirs

    for _ in range(2):
        ours, theirs = both_static()
        assert ours == theirs
    settings.STATIC_URL = "/elsewhere/"
    ours, theirs = both_static()
    assert ours == theirs
    assert ours.startswith("/elsewhere/")
