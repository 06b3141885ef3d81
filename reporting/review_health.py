"""Review health: are the registers' risks reviewed when they are due?

Registers that go stale are the commonest audit finding against risk management. For each
register (and each risk owner) this counts the open risks (open or escalated) whose next review is
on time (due today or later), overdue (due before today), due within the next 30 days, or not
scheduled at all, and the share reviewed on time. A risk whose update awaits sign-off has been
reviewed and waits for an approver: it is counted on time and apart, as awaiting sign-off, never
as overdue or due (``registers.selectors.review_standing``, decision 123). The lists of overdue
and due-soon risks come from the dashboard's selectors, grouped here by register or by owner.

A fixed number of queries: one aggregate per grouping, one list per kind, the registers and the
owners once each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from registers import selectors
from registers.models import Organisation, Register, Risk
from registers.selectors import OPEN_STATUSES, RiskRow
from registers.selectors.review_standing import awaiting, review_counts

# Per list, the longest overdue (or soonest due) first: beyond this the register page's review
# filter is the better tool (the page links to it). 500 rows a list cost about a second to draw.
LIST_LIMIT = 100


@dataclass(frozen=True)
class Health:
    """Counts of open risks by review state; ``on_time`` includes ``due_soon`` and
    ``awaiting_sign_off`` (reviewed, waiting for an approver, whatever the date)."""

    open: int = 0
    on_time: int = 0
    overdue: int = 0
    due_soon: int = 0
    not_scheduled: int = 0
    awaiting_sign_off: int = 0

    @property
    def percent_on_time(self) -> int | None:
        """Whole per cent of open risks reviewed on time; None with no open risks."""
        if not self.open:
            return None
        return round(100 * self.on_time / self.open)


@dataclass(frozen=True)
class RegisterHealth:
    register: Register
    depth: int
    health: Health


@dataclass(frozen=True)
class OwnerHealth:
    owner: object | None  # a User, or None for risks with no owner
    health: Health


@dataclass
class ReviewGroup:
    """Overdue or due-soon rows for one register or one owner."""

    key: object | None  # a Register, a User, or None (no owner)
    rows: list[RiskRow] = field(default_factory=list)


def _counts(today: dt.date) -> dict:
    return {
        "open": Count("id"),
        "on_time": Count("id", filter=Q(next_review_due__gte=today) | awaiting()),
        "not_scheduled": Count("id", filter=Q(next_review_due__isnull=True) & ~awaiting()),
        **review_counts(today),  # overdue, due_soon, awaiting_sign_off
    }


def _open(organisation: Organisation):
    return Risk.objects.filter(organisation=organisation, status__in=OPEN_STATUSES)


def organisation_health(*, organisation: Organisation, today: dt.date) -> Health:
    return Health(**_open(organisation).aggregate(**_counts(today)))


def register_health(*, organisation: Organisation, today: dt.date) -> list[RegisterHealth]:
    """Every register of the organisation in hierarchy order, with its own risks' health."""
    counts = {
        row.pop("register_id"): Health(**row)
        for row in _open(organisation).order_by().values("register_id").annotate(**_counts(today))
    }
    registers = Register.objects.filter(organisation=organisation)
    return [
        RegisterHealth(register=register, depth=depth, health=counts.get(register.id, Health()))
        for register, depth in selectors.register_tree(registers)
    ]


def owner_health(*, organisation: Organisation, today: dt.date) -> list[OwnerHealth]:
    """Each owner of open risks (and "no owner"), most overdue first."""
    counts = {
        row.pop("owner_id"): Health(**row)
        for row in _open(organisation).order_by().values("owner_id").annotate(**_counts(today))
    }
    people = {
        user.id: user
        for user in get_user_model().objects.filter(id__in=[pk for pk in counts if pk])
    }
    found = [
        OwnerHealth(owner=people.get(owner_id) if owner_id else None, health=health)
        for owner_id, health in counts.items()
    ]
    return sorted(
        found,
        key=lambda item: (
            -item.health.overdue,
            -item.health.due_soon,
            item.owner is None,
            _name(item.owner).casefold(),
        ),
    )


def _name(user) -> str:
    if user is None:
        return ""
    return getattr(user, "display_name", "") or user.email


def overdue_rows(*, organisation: Organisation, today: dt.date) -> list[RiskRow]:
    """Open risks whose review is overdue, the longest overdue first."""
    risks = selectors.reviews_overdue(organisation=organisation, today=today)[:LIST_LIMIT]
    return selectors.annotated_rows(risks)


def due_soon_rows(*, organisation: Organisation, today: dt.date) -> list[RiskRow]:
    """Open risks due for review within the next 30 days, the soonest first."""
    risks = selectors.reviews_due_soon(organisation=organisation, today=today)[:LIST_LIMIT]
    return selectors.annotated_rows(risks)


def group_rows(rows: list[RiskRow], *, by: str) -> list[ReviewGroup]:
    """Rows grouped by ``register`` (hierarchy order is not needed here: by name) or ``owner``
    (by name, risks with no owner last), each group keeping the rows' order."""
    groups: dict[object, ReviewGroup] = {}
    for row in rows:
        if by == "owner":
            key_id, key = row.risk.owner_id, row.risk.owner
        else:
            key_id, key = row.risk.register_id, row.risk.register
        groups.setdefault(key_id, ReviewGroup(key=key)).rows.append(row)
    if by == "owner":
        return sorted(groups.values(), key=lambda g: (g.key is None, _name(g.key).casefold()))
    return sorted(groups.values(), key=lambda g: g.key.name.casefold())
