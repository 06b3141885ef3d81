"""``{% rated_under risk as older %}``: the scheme version a risk's ratings are under, when it is
not its register's current version (a new version was adopted and the admin kept the ratings
until each risk's review, or the risk's levels are not on the new version)."""

from __future__ import annotations

from django import template
from django.core.exceptions import ValidationError

from ..selectors.rescoring import RatingVersion, risk_rating_version
from ..services.risks import scheme_version_read_once

register = template.Library()


@register.simple_tag
def rated_under(risk) -> RatingVersion | None:
    try:
        current = scheme_version_read_once(risk.register)
    except ValidationError:  # the organisation has no scheme: nothing to compare with
        return None
    return risk_rating_version(risk, current=current)
