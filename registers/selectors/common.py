"""Building blocks the dashboard, the heat maps and My work share: which risks count as open, and
which are a person's own."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ..models import Organisation, Risk
from .rows import OPEN_STATUSES


def open_risks(organisation: Organisation) -> QuerySet[Risk]:
    """The organisation's open and escalated risks on registers in use (an archived register's
    are left out of the dashboard and My work), unordered."""
    return Risk.objects.filter(
        organisation=organisation, status__in=OPEN_STATUSES, register__archived_at__isnull=True
    )


def mine(user) -> Q:
    """Risks the user owns, manages or leads on: their ids from the owner, manager and lead
    indexes (an OR of the three read every risk of the organisation to find a person's few)."""
    ids = (
        Risk.objects.filter(owner_id=user.id)
        .order_by()
        .values("pk")
        .union(
            Risk.objects.filter(manager_id=user.id).order_by().values("pk"),
            Risk.leads.through.objects.filter(user_id=user.id).order_by().values("risk_id"),
        )
    )
    return Q(pk__in=ids)
