"""Render a pack's data to PDF with WeasyPrint. No network: the URL fetcher serves only the
project's own static files (fonts, ...) and, at one address (``LOGO_URL``), the organisation's
logo read from the media storage and checked again before the render; it refuses every other
URL."""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import mimetypes
from dataclasses import dataclass

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from registers.services.pack_logo import Logo, logo_for_pack

from .data import PackData

logging.getLogger("fontTools").setLevel(logging.WARNING)  # one INFO line per font otherwise
# WeasyPrint up to 66 set its logger to WARNING itself; from 67 on it leaves the level to the
# root (INFO here), which printed about 100 "weasyprint.progress" lines for every pack.
logging.getLogger("weasyprint").setLevel(logging.WARNING)

BASE_URL = "https://pack.invalid/"
STATIC_PREFIX = BASE_URL + "static/"
LOGO_URL = BASE_URL + "organisation-logo"
TEMPLATES = {
    "quarterly": "reporting/pdf/quarterly.html",
    "committee": "reporting/pdf/committee.html",
}


class FetchRefused(ValueError):
    pass


@dataclass(frozen=True)
class Served:
    content: bytes
    mime_type: str


def serve(url: str, *, logo: Logo | None = None) -> Served:
    """What a pack may load: static/... from the project's static files, and ``LOGO_URL`` from
    ``logo`` (the bytes the render was given, never a file named by the URL); anything else is
    refused (``FetchRefused``)."""
    if url == LOGO_URL and logo is not None:
        return Served(logo.content, logo.mime_type)
    if not url.startswith(STATIC_PREFIX):
        raise FetchRefused(f"PDF packs fetch nothing from outside the project: {url}")
    relative = url[len(STATIC_PREFIX) :].split("?", 1)[0].split("#", 1)[0]
    if ".." in relative.split("/"):
        raise FetchRefused(f"Refused: {url}")
    path = finders.find(relative)
    if not path:
        raise FetchRefused(f"No such static file: {relative}")
    with open(path, "rb") as handle:
        content = handle.read()
    return Served(content, mimetypes.guess_type(path)[0] or "application/octet-stream")


@functools.cache
def _fetcher_class():
    # Built on first use: importing WeasyPrint is heavy (0.8 s), and only the builder needs it.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class PackFetcher(URLFetcher):
        """WeasyPrint's fetcher (68 and later) answering from ``serve`` alone. ``fetch`` is
        the method WeasyPrint documents for a subclass to replace; it never calls the
        parent's, which would open the URL with urllib. The parent is built with no protocol
        allowed and no redirects, so even a path into it we have not seen opens nothing."""

        def __init__(self, logo: Logo | None = None):
            super().__init__(allowed_protocols=frozenset(), allow_redirects=False)
            self.logo = logo

        def fetch(self, url, headers=None):
            served = serve(url, logo=self.logo)
            return URLFetcherResponse(url, served.content, {"Content-Type": served.mime_type})

    return PackFetcher


def pack_fetcher(logo: Logo | None = None):
    """The ``url_fetcher`` for a pack's render: serves what ``serve`` serves, refuses the rest
    (WeasyPrint logs a refusal and goes on without the resource)."""
    return _fetcher_class()(logo)


@dataclass
class RenderedPack:
    pdf: bytes
    pages: int
    html: str
    docx: bytes | None = None  # the Word edition, when asked for (``pack_render(word=True)``)


def render_html(data: PackData, *, logo: Logo | None = None) -> str:
    """The pack's HTML; with ``logo``, the cover and running header show it instead of the
    organisation's name."""
    context = {"pack": data, "static_base": STATIC_PREFIX, "logo_url": LOGO_URL if logo else ""}
    return render_to_string(TEMPLATES[data.kind], context)


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector off while WeasyPrint works, then one collection of
    what it left. A render allocates about a million objects (boxes, styles, pages) with parent
    links; with the collector on, each growth of the heap set off a full pass over all of them
    and the whole of Django: a quarter to a third of a 200-risk pack's CPU time (issue 20). The
    one pass after it frees the same cycles in about half a second. The peak of memory hardly
    moves (469 MB with the collector on, 480 MB off, for the 68-page stress pack): little of
    what a render allocates is garbage before its end. A caller that had the collector off
    keeps it off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            gc.collect(0)  # everything WeasyPrint allocated is still in the youngest generation


def render_pdf(data: PackData) -> RenderedPack:
    from weasyprint import HTML  # imported late: heavy, and only the builder needs it

    logo = logo_for_pack(data.organisation)
    html = render_html(data, logo=logo)
    with collector_paused():
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=pack_fetcher(logo)).render()
        pdf = document.write_pdf()
        pages = len(document.pages)
        del document  # its boxes are garbage now, for the collection on the way out
    return RenderedPack(pdf=pdf, pages=pages, html=html)
