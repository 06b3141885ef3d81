"""The owners' updates of a risk: the notes of its reviews (docs/decisions.md: a review's note
is the period's update, "what changed and what is being done")."""

from __future__ import annotations

from ..models import Review, ReviewState, Risk

UPDATES_ON_PAGE = 5
# Reviews that reached the risk: an update awaiting sign-off is shown in its own panel.
APPLIED = (ReviewState.RECORDED, ReviewState.SIGNED_OFF)


def risk_updates(risk: Risk, *, access, limit: int = UPDATES_ON_PAGE, reviews=None) -> list[Review]:
    """The risk's latest updates (reviews with a note), newest first, with their author; none
    when ``access`` may not read the risk's OFFICIAL-SENSITIVE detail. One query, or none from
    ``reviews`` (all the risk's, with their authors, as the risk page holds them)."""
    if not access.can_see_sensitive(risk):
        return []
    if reviews is not None:
        applied = [r for r in reviews if r.state in APPLIED and r.note != ""]
        applied.sort(key=lambda r: (r.reviewed_on, r.created_at, r.id), reverse=True)
        return applied[:limit]
    return list(
        Review.objects.filter(risk=risk, state__in=APPLIED)
        .exclude(note="")
        .select_related("reviewed_by")
        .order_by("-reviewed_on", "-created_at", "-id")[:limit]
    )
