"""Reads for the categories and objectives settings pages: each with the number of open risks
using it (and, for categories, its appetite statement), in a fixed number of queries however
many risks there are."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from appetite.models import AppetiteStatement

from ..models import Category, Objective, Organisation
from .common import OPEN_STATUSES


def category_rows(*, organisation: Organisation) -> QuerySet[Category]:
    """The organisation's categories in their order, retired ones included, each with
    ``open_risks`` and ``statements`` (its appetite statement, at most one, level joined)."""
    return (
        Category.objects.filter(organisation=organisation)
        .annotate(open_risks=Count("risks", filter=Q(risks__status__in=OPEN_STATUSES)))
        .prefetch_related(
            Prefetch(
                "appetite_statements",
                queryset=AppetiteStatement.objects.select_related("level").order_by(),
                to_attr="statements",
            )
        )
        .order_by("position", "name", "pk")
    )


def objective_rows(*, organisation: Organisation) -> QuerySet[Objective]:
    """The organisation's objectives in their order, retired ones included, each with
    ``open_risks``."""
    return (
        Objective.objects.filter(organisation=organisation)
        .annotate(open_risks=Count("risks", filter=Q(risks__status__in=OPEN_STATUSES)))
        .order_by("position", "code", "pk")
    )


def in_use(queryset: QuerySet) -> QuerySet:
    """Those not retired: what a new risk may be given."""
    return queryset.filter(retired_at__isnull=True)
