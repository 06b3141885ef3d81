"""Reading risk acceptances (issue 17): which breaches are accepted, until when, by whom.

An acceptance explains a breach while it is open, its ``expires_on`` is today or later and the
risk's current score is no higher than the score accepted (``services.acceptance.covers``, the
same rule in Python). The breach stays a breach (``appetite_rank`` 3): lists add "accepted until"
beside it, they do not hide it.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from ..models import Organisation, Risk, RiskAcceptance
from ..prepared import prepared_list
from .common import open_risks
from .rows import with_appetite


def covering(*, today: dt.date, risk_ref=None) -> QuerySet[RiskAcceptance]:
    """Acceptances in force today that cover their risk's current score, correlated to the outer
    risk (``risk_ref``, an OuterRef to its id)."""
    risk_ref = risk_ref if risk_ref is not None else OuterRef("id")
    return RiskAcceptance.objects.filter(
        risk_id=risk_ref,
        ended_at__isnull=True,
        expires_on__gte=today,
        accepted_score__gte=OuterRef("current_score"),
    ).order_by()


def with_acceptance(risks: QuerySet, *, today: dt.date) -> QuerySet:
    """Annotate ``accepted_until``: the day the risk's acceptance runs to, where one covers it
    today, else None. One correlated subquery on the open-acceptance index (at most one row a
    risk), so a list's query count does not change."""
    return risks.annotate(
        accepted_until=Subquery(covering(today=today).values("expires_on")[:1]),
    )


def with_acceptance_as_of(records: QuerySet, *, moment: dt.datetime, day: dt.date) -> QuerySet:
    """``with_acceptance`` for historical records (the register as it stood at ``moment``, whose
    day is ``day``): the acceptance in force then (given by then, not ended by then, running to
    ``day`` or later) covering the score the risk had then. One correlated subquery."""
    then = (
        RiskAcceptance.objects.filter(
            risk_id=OuterRef("id"),
            accepted_at__lte=moment,
            expires_on__gte=day,
            accepted_score__gte=OuterRef("current_score"),
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=moment))
        .order_by("-accepted_at", "-id")
    )
    return records.annotate(accepted_until=Subquery(then.values("expires_on")[:1]))


def accepted_breach_count(*, organisation: Organisation, today: dt.date, statements=None) -> int:
    """How many of the organisation's open risks are in breach and accepted today (the
    dashboard's "N in breach, of which M accepted"): two queries (the appetite statements, the
    count), one when the ``statements`` are given."""
    return (
        with_appetite(open_risks(organisation), organisation=organisation, statements=statements)
        .filter(appetite_rank=3)
        .filter(Exists(covering(today=today)))
        .order_by()
        .count()
    )


def risk_acceptances(risk: Risk) -> list[RiskAcceptance]:
    """The risk's acceptances, newest first, with who gave and ended them (one query)."""
    return prepared_list("risk_acceptances", _acceptances, risk_id=risk.id)


def _acceptances(risk_id: int):
    return (
        RiskAcceptance.objects.filter(risk_id=risk_id)
        .select_related("accepted_by", "ended_by")
        .order_by("-accepted_at", "-id")
    )


def acceptances_as_of(
    *, organisation: Organisation, risk_ids, moment: dt.datetime, day: dt.date
) -> dict[int, RiskAcceptance]:
    """Per risk, the acceptance in force at ``moment`` (given by then, not ended by then, running
    to ``day`` or later): for packs and exports, now or as at a day. One query (none for no
    risks)."""
    risk_ids = list(risk_ids)
    if not risk_ids:
        return {}
    found = (
        RiskAcceptance.objects.filter(
            organisation=organisation,
            risk_id__in=risk_ids,
            accepted_at__lte=moment,
            expires_on__gte=day,
        )
        .exclude(ended_at__lte=moment)
        .select_related("accepted_by")
        .order_by("risk_id", "-accepted_at", "-id")
    )
    chosen: dict[int, RiskAcceptance] = {}
    for acceptance in found:
        chosen.setdefault(acceptance.risk_id, acceptance)
    return chosen
