"""Movement since the last report: what changed on an organisation's registers between two moments,
read from history (risks and escalations), never typed in.

- risks added (not there at the start, there at the end), closed, reopened;
- every change of current rating of a risk there at the start, with the rating before and after
  in the scheme's notation, who made it, when and why (a risk added in the window is added, at
  its rating at the end, however often it was re-scored since);
- escalations and de-escalations: every step of the Escalation requests made or decided in the
  window, and any move between registers that no request explains (``Risk.origin_register``
  changed);
- Aberdeen's rule (Risk Management Framework 4.5): a risk whose current score moved by more than
  one tolerance level since the last report is flagged for the Audit Committee. Tolerance levels
  are the organisation's appetite levels with score ranges (Aberdeen's Table 4: Avoid 1-6, Averse
  7-12, Moderate 13-19, Open 20-26, High 27-36); an organisation whose levels have no ranges gets
  no flag.

A fixed number of queries, however many risks and history records: one snapshot of the
organisation's risks at each end, one read of the history in between, then escalations, registers,
scheme versions, people and appetite levels once each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from django.contrib.auth import get_user_model
from django.db.models import Q

from appetite.models import AppetiteLevel
from registers.history import SAME_EVENT  # the risk's record and the decision: one save
from registers.models import (
    Escalation,
    EscalationDirection,
    EscalationStatus,
    Organisation,
    Register,
    Review,
    ReviewState,
    Risk,
    RiskStatus,
)
from registers.selectors import Trend, risk_snapshots
from registers.services.review_submissions import person
from scoring.engine import Rating, RatingError, rate
from scoring.models import SchemeVersion

UP, DOWN = EscalationDirection.UP, EscalationDirection.DOWN
MOVED = "moved"  # a step with no Escalation row behind it
STATE_FIELDS = (
    "id",
    "ref",
    "title",
    "register_id",
    "origin_register_id",
    "status",
    "closed_reason",
    "closed_at",
    "marking",
    "current_score",
    "current_likelihood",
    "current_impact",
    "scheme_version_id",
)
RECORD_FIELDS = (*STATE_FIELDS, "history_date", "history_user_id", "history_change_reason")


@dataclass(frozen=True)
class RiskInfo:
    id: int
    ref: str
    title: str
    register: Register | None
    marking: str


@dataclass(frozen=True)
class RatingChange:
    risk: RiskInfo
    when: dt.datetime
    by: object | None  # a User
    old: Rating | None
    new: Rating | None
    direction: Trend
    reason: str
    # An update signed off (issue 17): "submitted by Owen Owner, signed off by Cora
    # Coordinator", as the history reason ("signed off by ...") names only the approver; the
    # reason is then the author's note alone. Names, not risk detail: kept when it is withheld.
    submitted: str = ""

    @property
    def account(self) -> str:
        """Who and why in one line, for a pack's reason column."""
        if not self.submitted:
            return self.reason
        text = self.submitted[:1].upper() + self.submitted[1:]
        return f"{text}: {self.reason}" if self.reason else text


@dataclass(frozen=True)
class RiskEvent:
    """A risk added, closed or reopened in the window."""

    risk: RiskInfo
    when: dt.datetime | None
    by: object | None
    rating: Rating | None = None
    reason: str = ""


@dataclass(frozen=True)
class EscalationStep:
    risk: RiskInfo
    direction: str  # "up" or "down"
    step: str  # "requested", "accepted", "declined", "withdrawn", or MOVED
    from_register: Register | None
    to_register: Register | None
    when: dt.datetime | None
    by: object | None
    reason: str = ""
    note: str = ""
    new_owner: object | None = None

    @property
    def direction_label(self) -> str:
        return "De-escalation" if self.direction == DOWN else "Escalation"

    @property
    def description(self) -> str:
        """ "Escalation requested", "De-escalation accepted", "Moved up, with no request"..."""
        if self.step == MOVED:
            return f"Moved {'down' if self.direction == DOWN else 'up'}, with no request recorded"
        return f"{self.direction_label} {self.step}"


@dataclass(frozen=True)
class LevelMove:
    """A risk whose current score moved across tolerance levels between the two moments."""

    risk: RiskInfo
    old: Rating | None
    new: Rating | None
    old_score: int
    new_score: int
    old_level: AppetiteLevel
    new_level: AppetiteLevel
    levels_moved: int  # signed: positive when the score rose

    @property
    def size(self) -> int:
        return abs(self.levels_moved)

    @property
    def flagged(self) -> bool:
        """Aberdeen: more than one tolerance level, either way."""
        return abs(self.levels_moved) > 1


@dataclass
class Movement:
    since: dt.datetime
    until: dt.datetime
    added: list[RiskEvent] = field(default_factory=list)
    closed: list[RiskEvent] = field(default_factory=list)
    reopened: list[RiskEvent] = field(default_factory=list)
    rating_changes: list[RatingChange] = field(default_factory=list)
    escalation_steps: list[EscalationStep] = field(default_factory=list)
    level_moves: list[LevelMove] = field(default_factory=list)
    # False when the organisation's appetite levels have no score ranges: no flag applies.
    levels_have_ranges: bool = False
    levels: list[AppetiteLevel] = field(default_factory=list)

    def _moves(self, direction: str) -> list[EscalationStep]:
        return [
            step
            for step in self.escalation_steps
            if step.direction == direction and step.step in ("accepted", MOVED)
        ]

    @property
    def escalated(self) -> list[EscalationStep]:
        return self._moves(UP)

    @property
    def de_escalated(self) -> list[EscalationStep]:
        return self._moves(DOWN)

    @property
    def flagged(self) -> list[LevelMove]:
        return [move for move in self.level_moves if move.flagged]

    @property
    def risks_rescored(self) -> int:
        return len({change.risk.id for change in self.rating_changes})

    @property
    def is_empty(self) -> bool:
        return not (
            self.added
            or self.closed
            or self.reopened
            or self.rating_changes
            or self.escalation_steps
        )


def movement_withheld(movement: Movement, *, risk_ids) -> Movement:
    """The movement with the reasons and notes of these risks' changes left out (risks whose
    OFFICIAL-SENSITIVE detail the reader may not read, by today's marking): what moved, when
    and by whom stays. Review notes, close reasons and escalation reasons say what a risk is
    about."""
    if not risk_ids:
        return movement

    def quiet(items, **blank):
        return [replace(item, **blank) if item.risk.id in risk_ids else item for item in items]

    movement.rating_changes = quiet(movement.rating_changes, reason="")
    movement.added = quiet(movement.added, reason="")
    movement.closed = quiet(movement.closed, reason="")
    movement.reopened = quiet(movement.reopened, reason="")
    movement.escalation_steps = quiet(movement.escalation_steps, reason="", note="")
    return movement


def movement_on_registers(movement: Movement, *, register_ids) -> Movement:
    """The movement of the risks on ``register_ids`` (a pack's registers): a risk added, closed,
    reopened, re-scored or moved across tolerance levels counts where it stands at the end of
    the window (where it last stood, if deleted); an escalation step counts when it leaves or
    reaches one of those registers, so a risk taken off them is still accounted for. What is
    left out is another register's business: a pack for the strategic register must not count
    a school's new risks as its own."""
    ids = frozenset(register_ids)

    def on(risk: RiskInfo) -> bool:
        return risk.register is not None and risk.register.id in ids

    def touches(step: EscalationStep) -> bool:
        return any(
            register is not None and register.id in ids
            for register in (step.from_register, step.to_register)
        )

    return replace(
        movement,
        added=[event for event in movement.added if on(event.risk)],
        closed=[event for event in movement.closed if on(event.risk)],
        reopened=[event for event in movement.reopened if on(event.risk)],
        rating_changes=[change for change in movement.rating_changes if on(change.risk)],
        escalation_steps=[step for step in movement.escalation_steps if touches(step)],
        level_moves=[move for move in movement.level_moves if on(move.risk)],
    )


def _position(state) -> tuple | None:
    if state is None or state.get("current_likelihood") is None:
        return None
    return (state["current_likelihood"], state["current_impact"], state["current_score"])


def _direction_of_change(old: dict, new: dict) -> Trend:
    """Score first, then likelihood x impact (a matrix scheme's score is the band's position)."""

    def key(state):
        if state["current_score"] is None:
            return None
        return state["current_score"], state["current_likelihood"] * state["current_impact"]

    then, now = key(old), key(new)
    if now is None:  # rating removed: nothing to compare, no arrow (as trend_between)
        return Trend.NOT_RATED
    if then is None:
        return Trend.NEW
    if now == then:
        return Trend.LEVEL
    return Trend.UP if now > then else Trend.DOWN


SIGNED_OFF_REASON = "signed off by "  # services.sign_off's history reason


def _name_submitters(changes: list[RatingChange], *, organisation) -> list[RatingChange]:
    """Each change that signed off an update names its author beside the approver, from the
    update itself (one query, only when the window has such a change)."""
    signed = [change for change in changes if change.reason.startswith(SIGNED_OFF_REASON)]
    if not signed:
        return changes
    reviews: dict[int, list[Review]] = {}
    for review in Review.objects.filter(
        organisation=organisation,
        state=ReviewState.SIGNED_OFF,
        risk_id__in={change.risk.id for change in signed},
        decided_at__gte=min(change.when for change in signed) - SAME_EVENT,
        decided_at__lte=max(change.when for change in signed) + SAME_EVENT,
    ).select_related("reviewed_by", "decided_by"):
        reviews.setdefault(review.risk_id, []).append(review)
    named = []
    for change in changes:
        near = [
            review
            for review in reviews.get(change.risk.id, [])
            if change.reason.startswith(SIGNED_OFF_REASON)
            and abs(review.decided_at - change.when) <= SAME_EVENT
        ]
        if not near:
            named.append(change)
            continue
        review = min(near, key=lambda review: abs(review.decided_at - change.when))
        via = (review.proposed or {}).get("via")
        submitted = f"submitted by {person(review.reviewed_by)}" + (f" {via}" if via else "")
        signer = change.by or review.decided_by
        named.append(
            replace(
                change,
                by=signer,
                submitted=f"{submitted}, signed off by {person(signer)}",
                reason=review.note,
            )
        )
    return named


def movement_between(
    *, organisation: Organisation, since: dt.datetime, until: dt.datetime
) -> Movement:
    """What moved on the organisation's registers after ``since`` up to ``until`` (aware)."""
    result = Movement(since=since, until=until)
    before = risk_snapshots(moment=since, organisation=organisation, fields=STATE_FIELDS)
    after = risk_snapshots(moment=until, organisation=organisation, fields=STATE_FIELDS)
    records = list(
        Risk.history.filter(
            organisation_id=organisation.id, history_date__gt=since, history_date__lte=until
        )
        .exclude(history_type="-")
        .order_by("id", "history_date", "history_id")
        .values(*RECORD_FIELDS)
    )
    escalations = list(
        Escalation.objects.filter(organisation=organisation)
        .filter(
            Q(requested_at__gt=since, requested_at__lte=until)
            | Q(decided_at__gt=since, decided_at__lte=until)
        )
        .select_related("requested_by", "decided_by", "new_owner")
        .order_by("requested_at", "id")
    )
    registers = {r.id: r for r in Register.objects.filter(organisation=organisation)}
    version_ids = {
        state["scheme_version_id"]
        for state in (*before.values(), *after.values(), *records)
        if state["scheme_version_id"] is not None
    }
    versions = {v.id: v for v in SchemeVersion.objects.filter(id__in=version_ids)}
    user_ids = {r["history_user_id"] for r in records if r["history_user_id"] is not None}
    users = {u.id: u for u in get_user_model().objects.filter(id__in=user_ids)} if user_ids else {}
    levels = list(AppetiteLevel.objects.filter(organisation=organisation).order_by("position"))

    def info(risk_id: int) -> RiskInfo:
        state = after.get(risk_id) or before.get(risk_id) or latest_record.get(risk_id)
        return RiskInfo(
            id=risk_id,
            ref=state["ref"],
            title=state["title"],
            register=registers.get(state["register_id"]),
            marking=state["marking"],
        )

    def rating(state) -> Rating | None:
        if state is None or state.get("current_likelihood") is None:
            return None
        version = versions.get(state["scheme_version_id"])
        if version is None:
            return None
        try:
            return rate(version.parsed, state["current_likelihood"], state["current_impact"])
        except RatingError:
            return None

    by_risk: dict[int, list[dict]] = {}
    for record in records:
        by_risk.setdefault(record["id"], []).append(record)
    latest_record = {risk_id: rows[-1] for risk_id, rows in by_risk.items()}

    # Rating changes, one per change however many in the window; closing and reopening. Only
    # of a risk there at ``since``: one added in the window is added, at its rating at the end,
    # never re-scored from the rating it was added at (every reader: pack, summary, page).
    closed_by: dict[int, dict] = {}
    for risk_id, rows in by_risk.items():
        previous = before.get(risk_id)
        existed = previous is not None
        for record in rows:
            if existed and _position(record) != _position(previous):
                result.rating_changes.append(
                    RatingChange(
                        risk=info(risk_id),
                        when=record["history_date"],
                        by=users.get(record["history_user_id"]),
                        old=rating(previous),
                        new=rating(record),
                        direction=_direction_of_change(previous, record),
                        reason=record["history_change_reason"] or "",
                    )
                )
            if record["status"] == RiskStatus.CLOSED and (
                previous is None or previous["status"] != RiskStatus.CLOSED
            ):
                closed_by[risk_id] = record
            previous = record
    result.rating_changes = _name_submitters(result.rating_changes, organisation=organisation)
    result.rating_changes.sort(key=lambda change: (change.when, change.risk.ref))

    for risk_id, state in after.items():
        then = before.get(risk_id)
        first = by_risk.get(risk_id, [None])[0]
        if then is None:
            result.added.append(
                RiskEvent(
                    risk=info(risk_id),
                    when=first["history_date"] if first else None,
                    by=users.get(first["history_user_id"]) if first else None,
                    rating=rating(state),
                )
            )
        now_closed = state["status"] == RiskStatus.CLOSED
        was_closed = then is not None and then["status"] == RiskStatus.CLOSED
        if now_closed and not was_closed:
            record = closed_by.get(risk_id)
            result.closed.append(
                RiskEvent(
                    risk=info(risk_id),
                    when=state["closed_at"] or (record and record["history_date"]),
                    by=users.get(record["history_user_id"]) if record else None,
                    rating=rating(state),
                    reason=state["closed_reason"],
                )
            )
        elif was_closed and not now_closed:
            last = latest_record.get(risk_id)
            result.reopened.append(
                RiskEvent(
                    risk=info(risk_id),
                    when=last["history_date"] if last else None,
                    by=users.get(last["history_user_id"]) if last else None,
                    rating=rating(state),
                )
            )
    for events in (result.added, result.closed, result.reopened):
        events.sort(key=lambda event: (len(event.risk.ref), event.risk.ref))

    result.escalation_steps = _escalation_steps(
        escalations, since=since, until=until, info=info, registers=registers
    )
    explained = {step.risk.id for step in result.escalation_steps if step.step == "accepted"}
    for risk_id, state in after.items():
        then = before.get(risk_id)
        if then is None or risk_id in explained:
            continue
        if (
            then["register_id"] != state["register_id"]
            and state["origin_register_id"] != then["origin_register_id"]
        ):
            last = latest_record.get(risk_id)
            result.escalation_steps.append(
                EscalationStep(
                    risk=info(risk_id),
                    direction=_direction(then["register_id"], state["register_id"], registers),
                    step=MOVED,
                    from_register=registers.get(then["register_id"]),
                    to_register=registers.get(state["register_id"]),
                    when=last["history_date"] if last else None,
                    by=users.get(last["history_user_id"]) if last else None,
                    reason=(last["history_change_reason"] or "") if last else "",
                )
            )
    result.escalation_steps.sort(key=lambda step: (step.when is None, step.when, step.risk.ref))

    ranged = [lv for lv in levels if lv.min_score is not None and lv.max_score is not None]
    result.levels = ranged
    result.levels_have_ranges = bool(ranged)
    if ranged:
        result.level_moves = _level_moves(before, after, ranged, versions, info, rating)
    return result


def _escalation_steps(escalations, *, since, until, info, registers) -> list[EscalationStep]:
    steps = []
    for escalation in escalations:
        risk = info(escalation.risk_id)
        common = {
            "risk": risk,
            "direction": escalation.direction,
            "from_register": registers.get(escalation.from_register_id),
            "to_register": registers.get(escalation.to_register_id),
        }
        if since < escalation.requested_at <= until:
            steps.append(
                EscalationStep(
                    **common,
                    step="requested",
                    when=escalation.requested_at,
                    by=escalation.requested_by,
                    reason=escalation.reason,
                )
            )
        decided = escalation.decided_at
        if (
            escalation.status != EscalationStatus.PENDING
            and decided is not None
            and since < decided <= until
        ):
            steps.append(
                EscalationStep(
                    **common,
                    step=escalation.status,
                    when=decided,
                    by=escalation.decided_by,
                    reason=escalation.reason,
                    note=escalation.decision_note,
                    new_owner=escalation.new_owner
                    if escalation.status == EscalationStatus.ACCEPTED
                    else None,
                )
            )
    return steps


def _direction(old_register_id: int, new_register_id: int, registers: dict) -> str:
    """Up when the new register is above the old one in the hierarchy, otherwise down."""
    seen = set()
    current = registers.get(old_register_id)
    while current is not None and current.id not in seen:
        seen.add(current.id)
        if current.parent_id == new_register_id:
            return UP
        current = registers.get(current.parent_id)
    return DOWN


def level_index(levels: list[AppetiteLevel], score: int | None) -> int | None:
    """The position (0 = lowest) of the tolerance level whose score range holds ``score``."""
    if score is None:
        return None
    for index, level in enumerate(levels):
        if level.min_score <= score <= level.max_score:
            return index
    return None


def _level_moves(before, after, levels, versions, info, rating) -> list[LevelMove]:
    moves = []
    for risk_id, state in after.items():
        then = before.get(risk_id)
        if then is None or state["status"] == RiskStatus.CLOSED:
            continue
        version = versions.get(state["scheme_version_id"])
        # Ranges are on the product score; a matrix scheme's score is a band's position.
        if version is None or version.parsed.method != "product":
            continue
        old_score, new_score = then["current_score"], state["current_score"]
        old_index, new_index = level_index(levels, old_score), level_index(levels, new_score)
        if old_index is None or new_index is None or old_index == new_index:
            continue
        moves.append(
            LevelMove(
                risk=info(risk_id),
                old=rating(then),
                new=rating(state),
                old_score=old_score,
                new_score=new_score,
                old_level=levels[old_index],
                new_level=levels[new_index],
                levels_moved=new_index - old_index,
            )
        )
    moves.sort(key=lambda move: (-abs(move.levels_moved), len(move.risk.ref), move.risk.ref))
    return moves
