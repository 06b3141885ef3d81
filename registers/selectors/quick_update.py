"""The owner's quick update: the open risks a person owns or manages and may review, with what one
form needs to update them all at once (the rating scheme each is re-scored under, the latest
update, whether an update already awaits sign-off) and the open actions on them.

"Due" is the reminder e-mail's rule (``calendar.reminder_horizon``: overdue, or due within the
organisation's reminder notice period), so the page the e-mail links to lists the risks the e-mail
names; a risk whose update the member made was sent back to them is listed whatever its review
date (``sign_off.sent_back_to``: work they must do, decision 135). A fixed number of queries
whatever the number of risks and actions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Length

from scoring.definition import SchemeDefinition
from scoring.models import SchemeVersion
from scoring.selectors import default_scheme

from ..calendar import reminder_horizon
from ..models import Action, Review, ReviewState, Risk
from .chasing import chaseable_actions
from .common import open_risks
from .review_standing import with_review_standing
from .rows import RiskRow, annotated_rows, with_appetite
from .sign_off import SentBack, sent_back_to, update_notes

# An owner with hundreds of risks (a coordinator named on every imported one) gets the first
# ones and the next after saving; one form of hundreds of fieldsets helps nobody.
QUICK_UPDATE_LIMIT = 60

# Reviews whose note is an update people have read (not one sent back or withdrawn).
_UPDATE_STATES = (ReviewState.RECORDED, ReviewState.SIGNED_OFF)


@dataclass
class QuickRisk:
    """One risk of the page: its row (ratings, appetite), the scheme a new rating is made under,
    its open actions, its latest update, whether an update awaits sign-off and the one sent
    back, if any."""

    row: RiskRow
    scheme: SchemeDefinition
    actions: list[Action] = field(default_factory=list)
    sent_back: SentBack | None = None  # the member's last update was sent back (decision 119)
    awaiting: str = ""  # whose update awaits sign-off and of when (``sign_off.awaiting_words``)

    @property
    def risk(self) -> Risk:
        return self.row.risk


@dataclass
class QuickUpdate:
    risks: list[QuickRisk]
    due_only: bool
    until: dt.date  # the last day counted as due
    today: dt.date
    more: bool  # more risks than the page shows
    not_due: int  # (due only) the person's other open risks, not due yet


def owned_or_managed(user) -> QuerySet:
    """Ids of the risks ``user`` owns or manages, from the owner and manager indexes (an OR of
    the two read every risk of the organisation to find a person's few)."""
    return (
        Risk.objects.filter(owner_id=user.id)
        .order_by()
        .values("pk")
        .union(Risk.objects.filter(manager_id=user.id).order_by().values("pk"))
    )


def _latest_update(column: str) -> Subquery:
    return Subquery(
        Review.objects.filter(risk=OuterRef("pk"), state__in=_UPDATE_STATES)
        .exclude(note="")
        .order_by("-reviewed_on", "-created_at", "-id")
        .values(column)[:1]
    )


def _theirs(access) -> QuerySet[Risk]:
    return open_risks(access.organisation).filter(pk__in=owned_or_managed(access.user))


def quick_update_risks(*, access, ids=None) -> QuerySet[Risk]:
    """The open risks ``access``'s member owns or manages (optionally only ``ids``), on registers
    in use, soonest review first; annotated with appetite, the latest update and whether an
    update awaits sign-off."""
    organisation = access.organisation
    risks = _theirs(access)
    if ids is not None:
        risks = risks.filter(pk__in=list(ids))
    return (
        with_review_standing(with_appetite(risks, organisation=organisation))
        .annotate(
            last_update_note=_latest_update("note"),
            last_update_on=_latest_update("reviewed_on"),
        )
        .select_related("register__scheme__current_version", "scheme_version")
        .order_by(F("next_review_due").asc(nulls_last=True), Length("ref"), "ref")
    )


def quick_update(*, access, today: dt.date, due_only: bool = True, ids=None) -> QuickUpdate:
    """What the quick update page shows (or, with ``ids``, saves): the risks the member may
    review, each with its open actions the member may update."""
    organisation = access.organisation
    until = reminder_horizon(organisation=organisation, today=today)
    risks = quick_update_risks(access=access, ids=ids)
    not_due = 0
    if due_only and ids is None:
        # Due, or an update of theirs sent back and standing: theirs to put right now.
        to_do = Q(next_review_due__lte=until) | Q(sent_back_to(access.user))
        not_due = _theirs(access).exclude(to_do).count()
        risks = risks.filter(to_do)
    more = False
    if ids is None:
        fetched = list(risks[: QUICK_UPDATE_LIMIT + 1])
        more = len(fetched) > QUICK_UPDATE_LIMIT
        fetched = fetched[:QUICK_UPDATE_LIMIT]
    else:
        fetched = list(risks)
    for risk in fetched:
        risk.organisation = organisation  # the same row: no query where it is read
    # Every risk here is the member's own (owner or manager), so they may read it and, unless
    # their role is read-only, review it; asked anyway, as every page asks.
    fetched = [r for r in fetched if access.can_review_risk(r) and access.can_see_sensitive(r)]
    fallback = default_scheme(organisation=organisation)
    items = []
    for row in annotated_rows(fetched):
        version = _scheme_version(row.risk, fallback)
        if version is None:
            continue  # no scheme to rate it under (the organisation has none): the review says so
        items.append(QuickRisk(row=row, scheme=version.parsed))
    by_id = {item.risk.pk: item for item in items}
    notes = update_notes([i.risk for i in items], access=access)  # one query for both
    for risk_id, sent_back in notes.sent_back.items():
        by_id[risk_id].sent_back = sent_back
    for risk_id, words in notes.awaiting.items():
        by_id[risk_id].awaiting = words
    # The page offers the open actions; a save reads every action of its risks, so one a
    # colleague completed or cancelled meanwhile still meets what this person typed for it.
    actions = chaseable_actions(organisation) if ids is None else _all_actions(organisation)
    actions = actions.filter(risk_id__in=list(by_id)).order_by("risk_id", "position", "id")
    for action in actions:
        item = by_id[action.risk_id]
        action.risk = item.risk
        if access.can_update_action(action):
            item.actions.append(action)
    return QuickUpdate(
        risks=items,
        due_only=due_only,
        until=until,
        today=today,
        more=more,
        not_due=not_due,
    )


def _all_actions(organisation) -> QuerySet[Action]:
    return Action.objects.filter(organisation=organisation).select_related("owner")


def _scheme_version(risk: Risk, fallback) -> SchemeVersion | None:
    """The version new ratings of ``risk`` are made under (its register's scheme, else the
    organisation's default), as ``services.risks.scheme_version_for_register`` decides, with no
    query of its own."""
    scheme = risk.register.scheme or fallback
    return scheme.current_version if scheme is not None else None
