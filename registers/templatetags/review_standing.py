"""``{% review_standing due=... awaiting=... today=... as standing %}``: where a review stands
(``registers.selectors.review_standing``, decision 123), for the tag beside a review date
(``registers/partials/review_tag.html``): an update awaiting sign-off is never overdue."""

from __future__ import annotations

from django import template

from ..selectors.review_standing import standing_of

register = template.Library()


@register.simple_tag
def review_standing(*, due, awaiting, today) -> str:
    return standing_of(due=due or None, awaiting_sign_off=bool(awaiting), today=today)
