"""The events that tell people (issue 17), worked out where the change is made: the services
every path goes through (one risk's edit, a review, an import, a bulk edit, an escalation)
take a ``snapshot`` before they write and call these after, and ``notify_many`` tells everyone
in a number of queries that does not grow with the rows.

- ASSIGNED: a risk's owner or manager, or an action's owner, changes: the new person is told
  it is now theirs, the previous one that it is no longer. One risk makes one notice naming it;
  many at once (an import, a bulk edit) make one notice per person listing them, so an import
  of 500 risks owned by one person tells them once, not 500 times. Unchanged rows tell nobody.
- BREACH: a risk's current score moves above its category's tolerance (by a new score, a new
  category, or a new scheme): its owner, manager and the coordinators of its register are told,
  once per breach (``event_key`` names the risk and the version that started it, so a breach
  that ends and starts again tells again).
- ESCALATION_AWAITING / ESCALATION_DECIDED: the receiving register's coordinators and admins,
  then the person who asked. A withdrawn request tells the deciders it no longer awaits them
  (under the kind they were told by) and, when someone else withdrew it, the person who asked.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.urls import reverse
from simple_history.models import HistoricalRecords

from appetite.rules import AppetiteState
from appetite.selectors import appetite_lookup

from ..models import Action, NoticeKind, Organisation, Risk, RiskStatus
from ..permissions import register_coordinator_ids
from .notices import NoticeEvent, notices_resolve, notify_many

# How many refs a notice about many risks names before "and N more".
REFS_NAMED = 5
ROLE_WORDS = {"owner": "owner", "manager": "manager"}


@dataclass(frozen=True)
class RiskState:
    owner_id: int | None
    manager_id: int | None
    category_id: int | None
    current_score: int | None


def acting_user(user=None):
    """Who made the change: ``user`` where the service was given one, else the signed-in
    person of the request being served (as history records it), else nobody (a command)."""
    if user is not None:
        return user
    request = getattr(HistoricalRecords.context, "request", None)
    person = getattr(request, "user", None)
    return person if person is not None and person.is_authenticated else None


def snapshot(risks: Iterable[Risk]) -> dict[int, RiskState]:
    """What the notices compare against: each risk's people, category and current score."""
    return {
        risk.pk: RiskState(risk.owner_id, risk.manager_id, risk.category_id, risk.current_score)
        for risk in risks
    }


def _risk_url(risk: Risk, organisation: Organisation) -> str:
    return reverse("risk", args=[organisation.slug, risk.ref])


def _refs(risks: Sequence[Risk]) -> str:
    named = ", ".join(risk.ref for risk in risks[:REFS_NAMED])
    more = len(risks) - REFS_NAMED
    return f"{named} and {more} more" if more > 0 else named


def _key(prefix: str, risks: Sequence) -> str:
    """One event_key for a set of rows at their versions (a retried import tells nobody twice;
    a later change of the same rows is a new event)."""
    rows = ",".join(f"{r.pk}:{r.version}" for r in sorted(risks, key=lambda r: r.pk))
    return f"{prefix}:{hashlib.sha256(rows.encode()).hexdigest()[:32]}"


def _assignment_events(
    *, organisation: Organisation, before: dict[int, RiskState], risks: Sequence[Risk], actor
) -> list[NoticeEvent]:
    # (person, "now" or "gone") -> risk -> the roles gained or lost
    moves: dict[tuple[int, str], dict[Risk, list[str]]] = defaultdict(lambda: defaultdict(list))
    for risk in risks:
        if risk.status == RiskStatus.CLOSED:
            continue
        was = before.get(risk.pk)
        for role in ("owner", "manager"):
            old = getattr(was, f"{role}_id") if was else None
            new = getattr(risk, f"{role}_id")
            if old == new:
                continue
            if new is not None:
                moves[new, "now"][risk].append(role)
            if old is not None:
                moves[old, "gone"][risk].append(role)
    events = []
    for (person, way), theirs in moves.items():
        listed = sorted(theirs, key=lambda r: r.pk)  # as imported or chosen
        words = "is now yours" if way == "now" else "is no longer yours"
        if len(listed) == 1:
            (risk,) = listed
            roles = " and ".join(ROLE_WORDS[role] for role in theirs[risk])
            events.append(
                NoticeEvent(
                    kind=NoticeKind.ASSIGNED,
                    organisation=organisation,
                    recipients=[person],
                    event_key=f"assigned:{risk.pk}:v{risk.version}:{way}",
                    title=f"{risk.ref} {words} ({roles}): {risk.title}",
                    url=_risk_url(risk, organisation),
                    risk=risk,
                    actor=actor,
                )
            )
            continue
        plural = "are now yours" if way == "now" else "are no longer yours"
        events.append(
            NoticeEvent(
                kind=NoticeKind.ASSIGNED,
                organisation=organisation,
                recipients=[person],
                event_key=_key(f"assigned:many:{way}", listed),
                title=f"{len(listed)} risks {plural} (owner or manager): {_refs(listed)}",
                url=reverse("my_work", args=[organisation.slug]),
                actor=actor,
            )
        )
    return events


def _breach_events(
    *, organisation: Organisation, before: dict[int, RiskState], risks: Sequence[Risk], actor
) -> list[NoticeEvent]:
    moved = [
        risk
        for risk in risks
        if risk.pk in before
        and risk.status != RiskStatus.CLOSED
        and risk.current_score is not None
        and (before[risk.pk].current_score, before[risk.pk].category_id)
        != (risk.current_score, risk.category_id)
    ]
    if not moved:
        return []
    lookup = appetite_lookup(organisation=organisation)
    started = []
    for risk in moved:
        was = before[risk.pk]
        now = lookup.state(category_id=risk.category_id, score=risk.current_score)
        then = lookup.state(category_id=was.category_id, score=was.current_score)
        if now == AppetiteState.BREACH and then != AppetiteState.BREACH:
            started.append(risk)
    if not started:
        return []
    coordinators = register_coordinator_ids(
        organisation=organisation, register_ids={risk.register_id for risk in started}
    )
    events = []
    for risk in started:
        tolerance = lookup.threshold(risk.category_id).tolerance
        events.append(
            NoticeEvent(
                kind=NoticeKind.BREACH,
                organisation=organisation,
                recipients=[
                    risk.owner_id,
                    risk.manager_id,
                    *coordinators.get(risk.register_id, ()),
                ],
                event_key=f"breach:{risk.pk}:v{risk.version}",
                title=(
                    f"{risk.ref} is outside appetite: current score {risk.current_score} is "
                    f"above the tolerance of {tolerance}: {risk.title}"
                ),
                url=_risk_url(risk, organisation),
                risk=risk,
                actor=actor,
            )
        )
    return events


def risks_changed_tell(
    *,
    organisation: Organisation,
    before: dict[int, RiskState],
    risks: Sequence[Risk],
    actor=None,
    breaches: bool = True,
) -> None:
    """Tell of the assignments and breaches that writing ``risks`` (as saved) made, against
    ``before`` (``snapshot`` taken before the write; a risk not in it is new). ``breaches``
    false for new risks: a risk is not "going" outside appetite when it is first written."""
    risks = list(risks)
    if not risks:
        return
    events = _assignment_events(organisation=organisation, before=before, risks=risks, actor=actor)
    if breaches:
        events += _breach_events(organisation=organisation, before=before, risks=risks, actor=actor)
    notify_many(events)


def actions_changed_tell(
    *,
    organisation: Organisation,
    before: dict[int, int | None],
    actions: Sequence[Action],
    actor=None,
) -> None:
    """Tell an action's new owner it is now theirs, and the previous one that it is no longer
    (``before``: action id -> owner id before the write; an action not in it is new). The
    action's words go in the body, withheld from people not cleared for its risk."""
    moves: dict[tuple[int, str], list[Action]] = defaultdict(list)
    for action in actions:
        old, new = before.get(action.pk), action.owner_id
        if old == new or action.risk.status == RiskStatus.CLOSED:
            continue
        if new is not None:
            moves[new, "now"].append(action)
        if old is not None:
            moves[old, "gone"].append(action)
    events = []
    for (person, way), theirs in moves.items():
        if len(theirs) == 1:
            (action,) = theirs
            risk = action.risk
            words = "is now yours" if way == "now" else "is no longer yours"
            events.append(
                NoticeEvent(
                    kind=NoticeKind.ASSIGNED,
                    organisation=organisation,
                    recipients=[person],
                    event_key=f"assigned:action:{action.pk}:v{action.version}:{way}",
                    title=f"An action on {risk.ref} {words}: {risk.title}",
                    body=action.description,
                    url=_risk_url(risk, organisation) + "#actions",
                    risk=risk,
                    actor=actor,
                )
            )
            continue
        words = "are now yours" if way == "now" else "are no longer yours"
        refs = sorted({action.risk.ref for action in theirs})
        events.append(
            NoticeEvent(
                kind=NoticeKind.ASSIGNED,
                organisation=organisation,
                recipients=[person],
                event_key=_key(f"assigned:actions:{way}", theirs),
                title=f"{len(theirs)} actions {words}, on {', '.join(refs[:REFS_NAMED])}"
                + (f" and {len(refs) - REFS_NAMED} more risks" if len(refs) > REFS_NAMED else ""),
                url=reverse("my_work", args=[organisation.slug]),
                actor=actor,
            )
        )
    notify_many(events)


def escalation_requested_tell(escalation, *, actor) -> None:
    """The receiving register's coordinators and admins: a request awaits their decision."""
    risk, destination = escalation.risk, escalation.to_register
    organisation = risk.organisation
    deciders = register_coordinator_ids(organisation=organisation, register_ids={destination.pk})
    notify_many(
        [
            NoticeEvent(
                kind=NoticeKind.ESCALATION_AWAITING,
                organisation=organisation,
                recipients=deciders.get(destination.pk, ()),
                event_key=escalation_requested_key(escalation),
                title=f"{risk.ref} is to move to {destination.name}: it awaits your decision",
                body=escalation.reason,
                url=reverse("escalation_decide", args=[organisation.slug, escalation.pk]),
                risk=risk,
                actor=actor,
            )
        ]
    )


def escalation_requested_key(escalation) -> str:
    """The event of a request awaiting the deciders' decision: one key, written once."""
    return f"escalation:{escalation.pk}:requested"


def escalation_decided_tell(escalation, *, actor) -> None:
    """The person who asked: their request was accepted or declined. The deciders' "awaits your
    decision" notices are marked read, whichever of them decided (as sign-off's are: decision
    135)."""
    risk = escalation.risk
    organisation = risk.organisation
    notices_resolve(risk_id=risk.pk, event_key=escalation_requested_key(escalation))
    outcome = escalation.get_status_display().lower()
    notify_many(
        [
            NoticeEvent(
                kind=NoticeKind.ESCALATION_DECIDED,
                organisation=organisation,
                recipients=[escalation.requested_by_id],
                event_key=f"escalation:{escalation.pk}:decided",
                title=f"Your request to move {risk.ref} to {escalation.to_register.name} was "
                f"{outcome}",
                body=escalation.decision_note,
                url=_risk_url(risk, organisation),
                risk=risk,
                actor=actor,
            )
        ]
    )


def escalation_withdrawn_tell(escalation, *, actor) -> None:
    """A request withdrawn: the deciders it awaited (their notice's link now leads nowhere to
    decide) and the person who asked, when the sending register withdrew it for them. The
    "awaits your decision" notices are marked read: nothing awaits them now."""
    risk, destination = escalation.risk, escalation.to_register
    organisation = risk.organisation
    notices_resolve(risk_id=risk.pk, event_key=escalation_requested_key(escalation))
    deciders = register_coordinator_ids(organisation=organisation, register_ids={destination.pk})
    url = _risk_url(risk, organisation)
    notify_many(
        [
            NoticeEvent(
                kind=NoticeKind.ESCALATION_AWAITING,
                organisation=organisation,
                recipients=deciders.get(destination.pk, ()),
                event_key=f"escalation:{escalation.pk}:withdrawn",
                title=f"The request to move {risk.ref} to {destination.name} was withdrawn: "
                "it no longer awaits your decision",
                body=escalation.decision_note,
                url=url,
                risk=risk,
                actor=actor,
            ),
            NoticeEvent(
                kind=NoticeKind.ESCALATION_DECIDED,
                organisation=organisation,
                recipients=[escalation.requested_by_id],
                event_key=f"escalation:{escalation.pk}:decided",
                title=f"Your request to move {risk.ref} to {destination.name} was withdrawn",
                body=escalation.decision_note,
                url=url,
                risk=risk,
                actor=actor,
            ),
        ]
    )
