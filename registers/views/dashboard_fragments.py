"""The parts of the dashboard's page drawn from the overview alone (decision 67): the figures,
heat maps, bands, exposure, risks outside appetite, reviews and the registers table, rendered
once per overview and kept beside it, so a view between writes draws only the reader's own part.

Each part's template takes only what the overview holds and what follows from it (the links to
the register page, the reader's role through ``access``, which the key names), never the
request or the reader's own lists: those stay in ``organisation_detail.html``.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from .. import caching
from ..selectors.overview import vary

FRAGMENTS = {
    "top": "registers/partials/dash_shared_top.html",
    "reviews": "registers/partials/dash_shared_reviews.html",
    "registers": "registers/partials/dash_shared_registers.html",
}


def shared_html(*, access, today, shared, context: dict) -> dict[str, str]:
    """The parts, from the cache, or rendered from ``context`` (drawn from ``shared`` alone).

    Kept under the overview's own name (``shared.built``) as well as the organisation's token:
    the token is read again here, and a write committed between reading the overview and
    drawing it would otherwise keep HTML of the older overview under the newer token."""

    def render() -> dict[str, str]:
        return {name: render_to_string(template, context) for name, template in FRAGMENTS.items()}

    built = getattr(shared, "built", None)  # kept before overviews were named: draw afresh
    if built is None:
        return render()
    return caching.cached(
        access.organisation.id, "dashboard-html", f"{vary(access, today)}:{built}", render
    )
