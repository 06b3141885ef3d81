"""Where a risk's review stands on a day: overdue, due soon, on time, not scheduled, or waiting
for an approver (decision 123). One rule for every page, count, e-mail and pack that says so.

A risk whose update awaits sign-off (``sign_off.awaiting_sign_off``) has been reviewed: its owner
did their part and an approver has not yet decided. Until the update is signed off, sent back or
withdrawn it is neither overdue nor due soon, whatever its next review date: it stands as
"Update awaiting sign-off" and is counted as such, beside the overdue reviews, never among them.
Signed off, the review moves its date on; sent back or withdrawn, its date counts again.

The conditions here are for querysets (``Count(filter=...)``, ``filter``): each asks for the
update awaiting sign-off in the same query, never a query more. ``standing`` is the same rule for
a row already read (annotated ``awaiting_sign_off`` by ``with_review_standing``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from ..calendar import DUE_SOON_DAYS
from ..models import Review, ReviewState
from ..models.risks import review_due
from .sign_off import AWAITING_MARKER, awaiting_sign_off

OVERDUE = "overdue"
DUE_SOON = "due_soon"
ON_TIME = "on_time"  # due later than the next 30 days
NOT_SCHEDULED = "not_scheduled"
AWAITING_SIGN_OFF = "awaiting_sign_off"

# The words every page, e-mail and pack shows for the state (``sign_off.AWAITING_MARKER``).
AWAITING_WORDS = AWAITING_MARKER


def awaiting(moment: dt.datetime | None = None) -> Q:
    """The risk has an update awaiting sign-off (at ``moment``, for historical records).

    Now, it is ``sign_off.awaiting_sign_off()`` written as ``id IN (...)``: the counts read
    every open risk of the organisation, and the database then reads the few updates awaiting
    sign-off once (a hashed subplan) instead of looking for one once per risk."""
    if moment is None:
        return Q(id__in=Review.objects.filter(state=ReviewState.SUBMITTED).values("risk_id"))
    return Q(awaiting_sign_off(moment))


def review_overdue(today: dt.date, moment: dt.datetime | None = None) -> Q:
    """Due before ``today`` and not waiting for an approver."""
    return Q(next_review_due__lt=today) & ~awaiting(moment)


def review_due_soon(today: dt.date, moment: dt.datetime | None = None) -> Q:
    """Due from ``today`` to ``DUE_SOON_DAYS`` later and not waiting for an approver."""
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    return Q(next_review_due__gte=today, next_review_due__lte=soon) & ~awaiting(moment)


def review_counts(today: dt.date, moment: dt.datetime | None = None) -> dict[str, Count]:
    """Aggregates for a count of risks by where their review stands: ``overdue``, ``due_soon``
    and ``awaiting_sign_off`` (each risk in at most one of them)."""
    return {
        "overdue": Count("id", filter=review_overdue(today, moment)),
        "due_soon": Count("id", filter=review_due_soon(today, moment)),
        "awaiting_sign_off": Count("id", filter=awaiting(moment)),
    }


def with_review_standing(risks: QuerySet, moment: dt.datetime | None = None) -> QuerySet:
    """``risks`` annotated ``awaiting_sign_off``, which ``standing`` reads. A subquery in the
    same query."""
    return risks.annotate(awaiting_sign_off=awaiting_sign_off(moment))


def standing_of(*, due: dt.date | None, awaiting_sign_off: bool, today: dt.date) -> str:
    """Where a review due on ``due`` stands on ``today``: one of the names above."""
    if awaiting_sign_off:
        return AWAITING_SIGN_OFF
    if due is None:
        return NOT_SCHEDULED
    if due < today:
        return OVERDUE
    if due <= today + dt.timedelta(days=DUE_SOON_DAYS):
        return DUE_SOON
    return ON_TIME


def standing(risk, today: dt.date) -> str:
    """The same for a risk (or a historical record) read with ``awaiting_sign_off`` annotated
    (``with_review_standing``); a closed risk's review is not scheduled (``review_due``)."""
    return standing_of(
        due=review_due(risk), awaiting_sign_off=bool(risk.awaiting_sign_off), today=today
    )


def is_overdue(risk, today: dt.date) -> bool:
    return standing(risk, today) == OVERDUE
