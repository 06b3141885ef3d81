"""The organisation dashboard and My work: short lists and counts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Length
from django.utils import timezone

from ..models import (
    Action,
    ActionStatus,
    Organisation,
    Risk,
)
from .heatmaps import _open_risks
from .register_list import DUE_SOON_DAYS
from .rows import with_appetite

LIST_LIMIT = 10


def risk_summary(*, organisation: Organisation, user, today: dt.date) -> dict[str, int]:
    """Counts of the organisation's open risks for the dashboard's key figures, in one query."""
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    return with_appetite(_open_risks(organisation), organisation=organisation).aggregate(
        open=Count("id"),
        breach=Count("id", filter=Q(appetite_rank=3)),
        warning=Count("id", filter=Q(appetite_rank=2)),
        overdue=Count("id", filter=Q(next_review_due__lt=today)),
        due_soon=Count("id", filter=Q(next_review_due__gte=today, next_review_due__lte=soon)),
        mine=Count("id", filter=_mine(user)),
        no_threshold=Count("id", filter=Q(appetite_rank=0, current_score__isnull=False)),
    )


def outside_appetite(*, organisation: Organisation) -> QuerySet[Risk]:
    """Open risks in breach of appetite or at warning: breaches first, then highest score."""
    return (
        with_appetite(_open_risks(organisation), organisation=organisation)
        .filter(appetite_rank__gte=2)
        .select_related("register", "owner", "scheme_version")
        .order_by("-appetite_rank", F("current_score").desc(), Length("ref"), "ref")
    )


def reviews_overdue(*, organisation: Organisation, today: dt.date) -> QuerySet[Risk]:
    return (
        with_appetite(_open_risks(organisation), organisation=organisation)
        .filter(next_review_due__lt=today)
        .select_related("register", "owner", "scheme_version")
        .order_by("next_review_due", Length("ref"), "ref")
    )


def reviews_due_soon(*, organisation: Organisation, today: dt.date) -> QuerySet[Risk]:
    return (
        with_appetite(_open_risks(organisation), organisation=organisation)
        .filter(
            next_review_due__gte=today,
            next_review_due__lte=today + dt.timedelta(days=DUE_SOON_DAYS),
        )
        .select_related("register", "owner", "scheme_version")
        .order_by("next_review_due", Length("ref"), "ref")
    )


DONE_ACTIONS = (ActionStatus.COMPLETED, ActionStatus.CANCELLED)


def _open_actions(organisation: Organisation) -> QuerySet[Action]:
    return (
        Action.objects.filter(organisation=organisation)
        .exclude(status__in=DONE_ACTIONS)
        .select_related("risk", "owner")
    )


def action_summary(*, organisation: Organisation, user, today: dt.date) -> dict[str, int]:
    return (
        Action.objects.filter(organisation=organisation)
        .exclude(status__in=DONE_ACTIONS)
        .aggregate(
            overdue=Count("id", filter=Q(due_date__lt=today)),
            mine=Count("id", filter=Q(owner=user)),
            mine_overdue=Count("id", filter=Q(owner=user, due_date__lt=today)),
        )
    )


def actions_overdue(*, organisation: Organisation, today: dt.date) -> QuerySet[Action]:
    """Actions past their due date and neither completed nor cancelled, oldest first."""
    return (
        _open_actions(organisation)
        .filter(due_date__lt=today)
        .order_by("due_date", Length("risk__ref"), "risk__ref", "id")
    )


# --- my work -----------------------------------------------------------------------------------


def _mine(user) -> Q:
    led = Risk.leads.through.objects.filter(user_id=user.id).values("risk_id")
    return Q(owner_id=user.id) | Q(manager_id=user.id) | Q(pk__in=led)


def my_risks(*, organisation: Organisation, user) -> QuerySet[Risk]:
    """Open risks the user owns, manages or leads on; the earliest review (overdue) first.
    ``my_part`` says how they are involved."""
    return (
        with_appetite(_open_risks(organisation), organisation=organisation)
        .filter(_mine(user))
        .annotate(
            my_part=Case(
                When(owner_id=user.id, then=Value("Owner")),
                When(manager_id=user.id, then=Value("Manager")),
                default=Value("Working lead"),
                output_field=CharField(),
            )
        )
        .select_related("register", "scheme_version")
        .order_by(F("next_review_due").asc(nulls_last=True), Length("ref"), "ref")
    )


def my_actions(*, organisation: Organisation, user) -> QuerySet[Action]:
    """The user's actions not yet completed or cancelled; the earliest due (overdue) first."""
    return (
        _open_actions(organisation)
        .filter(owner_id=user.id)
        .order_by(F("due_date").asc(nulls_last=True), Length("risk__ref"), "risk__ref", "id")
    )


def organisation_today(organisation: Organisation) -> dt.date:
    """Today where the organisation is: review and due dates are read in its timezone."""
    try:
        zone = ZoneInfo(organisation.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    return timezone.localdate(timezone=zone)
