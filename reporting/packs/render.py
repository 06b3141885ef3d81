"""Render a pack's data to PDF with WeasyPrint. No network: the url_fetcher serves only the
project's own static files (fonts, ...) and refuses every other URL."""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from .data import PackData

logging.getLogger("fontTools").setLevel(logging.WARNING)  # one INFO line per font otherwise

BASE_URL = "https://pack.invalid/"
STATIC_PREFIX = BASE_URL + "static/"
TEMPLATES = {
    "quarterly": "reporting/pdf/quarterly.html",
    "committee": "reporting/pdf/committee.html",
}


class FetchRefused(ValueError):
    pass


def url_fetcher(url: str, *args, **kwargs):
    """Serve static/... from the project's static files; refuse anything else."""
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
    return {
        "string": content,
        "mime_type": mimetypes.guess_type(path)[0] or "application/octet-stream",
        "redirected_url": url,
    }


@dataclass
class RenderedPack:
    pdf: bytes
    pages: int
    html: str


def render_html(data: PackData) -> str:
    return render_to_string(TEMPLATES[data.kind], {"pack": data, "static_base": STATIC_PREFIX})


def render_pdf(data: PackData) -> RenderedPack:
    from weasyprint import HTML  # imported late: heavy, and only the builder needs it

    html = render_html(data)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=url_fetcher).render()
    pdf = document.write_pdf()
    return RenderedPack(pdf=pdf, pages=len(document.pages), html=html)
