"""The organisation dashboard and My work: short lists and counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Length
from django.utils import timezone

from appetite.rules import AppetiteState
from scoring.engine import Rating

from ..calendar import organisation_today, organisation_zone
from ..models import (
    Action,
    ActionStatus,
    Escalation,
    EscalationStatus,
    Organisation,
    Risk,
)
from .acceptance import with_acceptance
from .chasing import actions_to_chase
from .common import mine, open_risks
from .review_standing import review_counts, review_due_soon, review_overdue, with_review_standing
from .rows import annotated_rows, first_in_order, with_appetite
from .sign_off import sent_back_to

LIST_LIMIT = 10


def risk_summary(
    *, organisation: Organisation, user, today: dt.date, groups: list[dict] | None = None
) -> dict[str, int]:
    """Counts of the organisation's open risks for the dashboard's key figures, in one query
    (none when the dashboard passes the ``current_position_groups`` it has already read).
    Reviews overdue, due soon and awaiting sign-off are counted by ``review_standing``'s rule.

    Grouped by appetite rank, so the rank is worked out once per risk rather than once per
    figure that depends on it; the few groups are added up here."""
    if groups is None:
        groups = (
            with_appetite(open_risks(organisation), organisation=organisation)
            .values("appetite_rank")
            .annotate(
                n=Count("id"),
                rated=Count("id", filter=Q(current_score__isnull=False)),
                **review_counts(today),
                mine=Count("id", filter=mine(user)),
            )
            .order_by()
        )
    counted = ("open", "breach", "warning", "overdue", "due_soon", "awaiting_sign_off", "mine")
    summary = dict.fromkeys(counted, 0)
    summary["no_threshold"] = 0
    summary["judged"] = 0  # rated risks that an appetite threshold applies to
    for group in groups:
        rank = group["appetite_rank"]
        summary["open"] += group["n"]
        summary["overdue"] += group["overdue"]
        summary["due_soon"] += group["due_soon"]
        summary["awaiting_sign_off"] += group["awaiting_sign_off"]
        summary["mine"] += group.get("mine", 0)  # not counted where the groups are everyone's
        if rank == 3:
            summary["breach"] += group["n"]
        elif rank == 2:
            summary["warning"] += group["n"]
        elif rank == 0:
            summary["no_threshold"] += group["rated"]
        if rank:
            summary["judged"] += group["n"]
    return summary


def outside_appetite(*, organisation: Organisation, statements=None) -> QuerySet[Risk]:
    """Open risks in breach of appetite or at warning: breaches first, then highest score."""
    return (
        with_appetite(open_risks(organisation), organisation=organisation, statements=statements)
        .filter(appetite_rank__gte=2)
        .select_related("register", "owner", "scheme_version")
        .order_by("-appetite_rank", F("current_score").desc(), Length("ref"), "ref")
    )


@dataclass(frozen=True)
class OutsideRow:
    """A risk outside appetite on the dashboard, with since when it has been in that state."""

    risk: Risk
    current: Rating | None
    target: Rating | None
    inherent: Rating | None
    appetite: AppetiteState
    since: dt.date | None  # None: its history does not say (e.g. loaded without history)
    today: dt.date | None = None
    accepted_until: dt.date | None = None  # a breach accepted until then (issue 17)

    @property
    def since_text(self) -> str:
        """ "since 3 March 2026 (4 months)"."""
        return since_text(self.since, self.today) if self.since else ""

    @property
    def duration(self) -> str:
        """ "4 months", "12 days", "today"."""
        return duration_text(self.since, self.today) if self.since and self.today else ""


def outside_appetite_rows(
    *, organisation: Organisation, today: dt.date, limit: int = LIST_LIMIT, statements=None
) -> list[OutsideRow]:
    """The first ``limit`` risks outside appetite (breaches first), each with the date since
    when it has been continuously in its present state: three queries for any number of risks
    and any length of history."""
    # Ids first: the sort then carries ids, not 4,000 whole rows with their joins.
    outside = with_acceptance(
        outside_appetite(organisation=organisation, statements=statements), today=today
    )
    risks = first_in_order(outside, limit)
    since = appetite_since(risks, organisation=organisation, statements=statements)
    return [
        OutsideRow(
            risk=row.risk,
            current=row.current,
            target=row.target,
            inherent=row.inherent,
            appetite=row.appetite,
            since=since.get(row.risk.id),
            today=today,
            accepted_until=row.accepted_until,
        )
        for row in annotated_rows(risks)
    ]


def appetite_since(risks, *, organisation: Organisation, statements=None) -> dict[int, dt.date]:
    """For risks annotated by ``with_appetite`` and outside appetite now, the day (in the
    organisation's timezone) since when each has been continuously in its present state (in
    breach, or at warning), judged from its history against TODAY's thresholds: the first record
    of the latest unbroken run of records in that state. A risk that came back within appetite
    and went out again counts from its latest breach; a closed spell breaks the run.

    One query for all the risks, whatever the length of their histories: a window over each
    risk's records finds the last record in another state, and only the records after it come
    back."""
    ranks = {risk.id: risk.appetite_rank for risk in risks if risk.appetite_rank >= 2}
    return _since(ranks, organisation=organisation, statements=statements)


OUTSIDE_RANKS = {AppetiteState.WARNING: 2, AppetiteState.BREACH: 3}  # as with_appetite ranks


def risk_outside_since(
    *, risk: Risk, state: AppetiteState, organisation: Organisation
) -> dt.date | None:
    """The same for one risk (the risk page): since when it has been in ``state`` (breach or
    warning, as judged now), or None when it is within appetite or its history does not say."""
    rank = OUTSIDE_RANKS.get(state)
    if rank is None:
        return None
    return _since({risk.id: rank}, organisation=organisation).get(risk.id)


def _since(
    ranks: dict[int, int], *, organisation: Organisation, statements=None
) -> dict[int, dt.date]:
    if not ranks:
        return {}
    records = with_appetite(
        Risk.history.model.objects.filter(id__in=ranks),
        organisation=organisation,
        statements=statements,
    ).annotate(
        state_now=Case(
            *(When(id=pk, then=Value(rank)) for pk, rank in ranks.items()),
            output_field=IntegerField(),
        )
    )
    records = (
        records.annotate(
            left_state=Window(
                Max(
                    Case(
                        When(~Q(appetite_rank=F("state_now")), then=F("history_date")),
                        output_field=DateTimeField(),
                    )
                ),
                partition_by=[F("id")],
            )
        )
        # Every record after the last one in another state is in the present state. (No filter
        # on the state itself: it would run before the window and hide those other records.)
        .filter(Q(left_state__isnull=True) | Q(history_date__gt=F("left_state")))
        .order_by()
        .values_list("id", "history_date")
    )
    zone = organisation_zone(organisation)
    first: dict[int, dt.datetime] = {}
    for pk, when in records:
        if pk not in first or when < first[pk]:
            first[pk] = when
    return {pk: timezone.localtime(when, zone).date() for pk, when in first.items()}


def since_text(since: dt.date, today: dt.date | None) -> str:
    """ "since 3 March 2026 (4 months)": the date, and the time since in whole days, months or
    years and months."""
    text = f"since {since.day} {since:%B %Y}"
    if today is None:
        return text
    return f"{text} ({duration_text(since, today)})"


def duration_text(since: dt.date, today: dt.date) -> str:
    months = (today.year - since.year) * 12 + today.month - since.month
    if today.day < since.day:
        months -= 1
    if months < 1:
        days = max((today - since).days, 0)
        return "today" if days == 0 else f"{days} day{'s' if days != 1 else ''}"
    years, months = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} year{'s' if years != 1 else ''}")
    if months:
        parts.append(f"{months} month{'s' if months != 1 else ''}")
    return " ".join(parts)


def reviews_overdue(
    *, organisation: Organisation, today: dt.date, statements=None
) -> QuerySet[Risk]:
    """Open risks whose review is overdue (not one awaiting sign-off), the longest first."""
    return (
        with_appetite(open_risks(organisation), organisation=organisation, statements=statements)
        .filter(review_overdue(today))
        .select_related("register", "owner", "scheme_version")
        .order_by("next_review_due", Length("ref"), "ref")
    )


def reviews_due_soon(
    *, organisation: Organisation, today: dt.date, statements=None
) -> QuerySet[Risk]:
    """Open risks due for review in the next 30 days (not one awaiting sign-off), soonest first."""
    return (
        with_appetite(open_risks(organisation), organisation=organisation, statements=statements)
        .filter(review_due_soon(today))
        .select_related("register", "owner", "scheme_version")
        .order_by("next_review_due", Length("ref"), "ref")
    )


DONE_ACTIONS = (ActionStatus.COMPLETED, ActionStatus.CANCELLED)


# The risk's organisation is the action's, and saying so lets PostgreSQL read the organisation's
# risks by index to join them, where it otherwise scanned every risk of the installation.
def _open_actions(organisation: Organisation) -> QuerySet[Action]:
    return (
        Action.objects.filter(
            organisation=organisation,
            risk__organisation_id=organisation.id,
            risk__register__archived_at__isnull=True,
        )
        .exclude(status__in=DONE_ACTIONS)
        .select_related("risk", "owner")
    )


def action_summary(*, organisation: Organisation, user, today: dt.date) -> dict[str, int]:
    # Only the rows any figure counts (overdue, or the user's): the open-due index and the owner
    # index find them, where counting over every open action read them all (24,000 here).
    summary = (
        Action.objects.filter(
            organisation=organisation,
            risk__organisation_id=organisation.id,
            risk__register__archived_at__isnull=True,
        )
        .exclude(status__in=DONE_ACTIONS)
        .filter(Q(due_date__lt=today) | Q(owner=user))
        .aggregate(
            overdue=Count("id", filter=Q(due_date__lt=today)),
            mine=Count("id", filter=Q(owner=user)),
            mine_overdue=Count("id", filter=Q(owner=user, due_date__lt=today)),
        )
    )
    # A query of its own: folding the rule's id lists into the one above turns its index reads
    # into a pass over every open action.
    chased = (
        actions_to_chase(user=user, organisation=organisation)
        .order_by()
        .aggregate(to_chase=Count("id"), to_chase_overdue=Count("id", filter=Q(due_date__lt=today)))
    )
    return summary | chased


def actions_overdue(*, organisation: Organisation, today: dt.date) -> QuerySet[Action]:
    """Actions past their due date and neither completed nor cancelled, oldest first."""
    return (
        _open_actions(organisation)
        .filter(due_date__lt=today)
        .order_by("due_date", Length("risk__ref"), "risk__ref", "id")
    )


# --- my work -----------------------------------------------------------------------------------


def my_risks(*, organisation: Organisation, user, statements=None) -> QuerySet[Risk]:
    """Open risks the user owns, manages or leads on; the earliest review (overdue) first.
    ``my_part`` says how they are involved; ``accepted_until`` a breach accepted until then;
    ``awaiting_sign_off`` an update awaiting sign-off: such a risk is reviewed, not due or
    overdue until it is decided (``review_standing``, decisions 51 and 123); ``update_sent_back``
    an update of the user's was sent back and stands (``sign_off.sent_back_to``). One query."""
    risks = with_appetite(
        open_risks(organisation), organisation=organisation, statements=statements
    )
    return (
        with_review_standing(with_acceptance(risks, today=organisation_today(organisation)))
        .filter(mine(user))
        .annotate(
            my_part=Case(
                When(owner_id=user.id, then=Value("Owner")),
                When(manager_id=user.id, then=Value("Manager")),
                default=Value("Working lead"),
                output_field=CharField(),
            ),
            update_sent_back=sent_back_to(user),
        )
        .select_related("register", "scheme_version")
        .order_by(F("next_review_due").asc(nulls_last=True), Length("ref"), "ref")
    )


def my_actions(*, organisation: Organisation, user) -> QuerySet[Action]:
    """The dashboard's "actions to chase": ``actions_to_chase``, under the name its view uses."""
    return actions_to_chase(user=user, organisation=organisation)


def escalations_waiting(*, organisation: Organisation, register_ids) -> QuerySet[Escalation]:
    """Pending escalations and de-escalations into the registers the user decides for."""
    return (
        Escalation.objects.filter(
            organisation=organisation,
            status=EscalationStatus.PENDING,
            to_register_id__in=list(register_ids),
        )
        .select_related("risk", "from_register", "to_register", "requested_by")
        .order_by("requested_at", "id")
    )


def first_with_counts(queryset: QuerySet, limit: int, **counts) -> tuple[list, dict[str, int]]:
    """The first ``limit`` rows of ``queryset`` and aggregates (``Count``s) over all its rows,
    in one query: each count is a window over the whole result, read off the first row (0 when
    there is none)."""
    rows = list(
        queryset.annotate(**{f"counted_{name}": Window(c) for name, c in counts.items()})[:limit]
    )
    if not rows:
        return rows, dict.fromkeys(counts, 0)
    return rows, {name: getattr(rows[0], f"counted_{name}") for name in counts}
