"""The period's words in a pack: each risk's latest owner's update within the pack's period,
the owners who gave none, and the emerging risks.

An update is the note of a review (decision 40 in docs/decisions.md: the review's note IS the
period's update). The period runs from the pack's comparison moment (the previous quarter end
or committee date, as the organisation's calendar defines it: the same ``since`` the movement
section uses) to the end of the as-at day. A review counts when it is dated after the
comparison day and on or before the as-at day, and was recorded by the as-at moment: a review
recorded later (even dated back into the period) is not in a pack as at an earlier day, so a
pack rebuilt for the same date says the same thing.

A withheld risk (OFFICIAL-SENSITIVE in the public edition) keeps the fact of its update (date
and author, as its owner is named too) but never its text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from registers.models import Review, ReviewState

NO_UPDATE = "No update this period"


@dataclass
class PeriodUpdate:
    """The latest update of one risk within the pack's period."""

    text: str  # "" when withheld
    reviewed_on: dt.date
    author: str
    withheld: bool = False
    rescored: bool = False


@dataclass
class OwnerWithoutUpdate:
    """An owner (as at the pack's day) and the pack's risks they gave no update for."""

    owner: str
    risks: list = field(default_factory=list)  # [PackRisk]

    @property
    def refs(self) -> str:
        return ", ".join(risk.ref for risk in self.risks)


def _author(review: Review) -> str:
    user = review.reviewed_by
    if user is None:
        return "a former member"
    return user.get_full_name() or user.email


def period_updates(
    *, risks: list, since: dt.datetime, moment: dt.datetime
) -> dict[int, PeriodUpdate]:
    """For each of ``risks`` (PackRisk) with an update in the period, the latest one, keyed by
    risk id. One query for all the pack's risks."""
    if not risks:
        return {}
    zone = moment.tzinfo
    first_day = since.astimezone(zone).date()
    last_day = moment.astimezone(zone).date()
    withheld = {risk.record.id for risk in risks if risk.withheld}
    reviews = (
        Review.objects.filter(
            risk_id__in=[risk.record.id for risk in risks],
            created_at__lte=moment,
            reviewed_on__gt=first_day,
            reviewed_on__lte=last_day,
        )
        .exclude(note="")
        # An update awaiting sign-off (or sent back, withdrawn) is no update yet (issue 17).
        .filter(
            Q(state=ReviewState.RECORDED) | Q(state=ReviewState.SIGNED_OFF, decided_at__lte=moment)
        )
        .select_related("reviewed_by")
        .order_by("risk_id", "-reviewed_on", "-created_at", "-id")
    )
    latest: dict[int, PeriodUpdate] = {}
    for review in reviews:
        if review.risk_id in latest:
            continue
        hidden = review.risk_id in withheld
        latest[review.risk_id] = PeriodUpdate(
            text="" if hidden else review.note,
            reviewed_on=review.reviewed_on,
            author=_author(review),
            withheld=hidden,
            rescored=review.rescored,
        )
    return latest


def owners_without_update(risks: list) -> list[OwnerWithoutUpdate]:
    """The owners of the pack's risks that have no update this period, by name, each with
    those risks (in the pack's order); risks with no owner come last as "Not assigned"."""
    grouped: dict[int | None, OwnerWithoutUpdate] = {}
    for risk in risks:
        if risk.period_update is not None:
            continue
        row = grouped.setdefault(risk.record.owner_id, OwnerWithoutUpdate(owner=risk.owner_name))
        row.risks.append(risk)
    return sorted(
        grouped.values(),
        key=lambda row: (not row.risks[0].record.owner_id, row.owner.lower()),
    )


def add_period_words(data, *, since: dt.datetime) -> None:
    """Fill the pack's ``PackRisk.period_update``, ``PackData.updated_risks``,
    ``PackData.owners_without_update`` and ``PackData.emerging`` (the hook pack_data calls once
    its risks are built)."""
    updates = period_updates(risks=data.risks, since=since, moment=data.moment)
    for risk in data.risks:
        risk.period_update = updates.get(risk.record.id)
    data.updated_risks = [risk for risk in data.risks if risk.period_update is not None]
    data.owners_without_update = owners_without_update(data.risks)
    data.emerging = [risk for risk in data.risks if risk.record.emerging]
