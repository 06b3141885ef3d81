"""Actions to chase: who must see an action done, for every list that says so (My work, the
dashboard, the reminder digests).

The rule: an open action (neither completed nor cancelled) of an open risk (open or escalated) is
chased by its own owner and by its risk's owner and manager, whoever owns the action and whether or
not anybody does. A risk owner answers for every action on their risk: an action given to a
colleague elsewhere, or to nobody, is still theirs to see through. An action with no owner is
flagged as such (``NO_OWNER``) to its risk's owner and to the coordinators.

Two forms of the one rule: ``actions_to_chase`` for one person's lists, and ``chasers`` for readers
that go through every action of an organisation at once (the digests); a test holds them equal.
What a person may read of each action is still decided by ``registers.withholding``.
"""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.db.models.functions import Length

from ..models import Action, ActionStatus, Organisation, RiskStatus
from ..models.risks import NO_OWNER
from .register_list import pk_in

__all__ = [
    "CHASED_RISK_STATUSES",
    "DONE_ACTION_STATUSES",
    "NO_OWNER",
    "actions_to_chase",
    "chaseable_actions",
    "chasers",
]

CHASED_RISK_STATUSES = (RiskStatus.OPEN, RiskStatus.ESCALATED)
DONE_ACTION_STATUSES = (ActionStatus.COMPLETED, ActionStatus.CANCELLED)


def chaseable_actions(organisation: Organisation) -> QuerySet[Action]:
    """Every action of the organisation that somebody should be chasing, with its risk, the
    risk's register and the action's owner joined (what every list shows). Nobody chases an
    action on an archived register: it cannot be updated."""
    return (
        Action.objects.filter(
            organisation=organisation,
            risk__status__in=CHASED_RISK_STATUSES,
            risk__register__archived_at__isnull=True,
        )
        .exclude(status__in=DONE_ACTION_STATUSES)
        .select_related("risk__register", "owner")
    )


def chasers(action: Action) -> set[int]:
    """Ids of the people who chase ``action`` (its risk joined): its owner, its risk's owner and
    manager."""
    return {action.owner_id, action.risk.owner_id, action.risk.manager_id} - {None}


def actions_to_chase(*, user, organisation: Organisation) -> QuerySet[Action]:
    """The open actions ``user`` chases in ``organisation``: theirs, and every one on the open
    risks they own or manage; the earliest due first, so overdue ones lead, undated ones last."""
    # Ids from the action-owner, risk-owner and risk-manager indexes: an OR across the join read
    # every open action of the organisation to find a person's few.
    ids = (
        Action.objects.filter(owner_id=user.id)
        .order_by()
        .values("pk")
        .union(
            Action.objects.filter(risk__owner_id=user.id).order_by().values("pk"),
            Action.objects.filter(risk__manager_id=user.id).order_by().values("pk"),
        )
    )
    # Looked up by key (``pk_in``): as ``IN (union)`` PostgreSQL hashed the few ids against a
    # scan of every open action of the organisation (24,000 at 10,000 risks: 28-40 ms).
    return (
        chaseable_actions(organisation)
        .filter(pk_in(ids))
        .order_by(F("due_date").asc(nulls_last=True), Length("risk__ref"), "risk__ref", "id")
    )
