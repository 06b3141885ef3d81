"""Reading updates that await sign-off (issue 17): the marker on register rows and in packs,
the risk page's panel, and an approver's list of what awaits them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils.formats import date_format

from scoring.engine import RatingError, rate

from ..calendar import local_date
from ..models import Review, ReviewState, Risk
from ..services.review_submissions import KIND_RATING, needs_sign_off

AWAITING_MARKER = "Update awaiting sign-off"


def awaiting_sign_off(moment: dt.datetime | None = None) -> Exists:
    """An expression for a risk row (live, or a historical record: both carry ``id``): it has an
    update awaiting sign-off now, or (``moment``) had one then: submitted by that moment and not
    yet decided or withdrawn."""
    reviews = Review.objects.filter(risk_id=OuterRef("id"))
    if moment is None:
        return Exists(reviews.filter(state=ReviewState.SUBMITTED))
    return Exists(
        reviews.exclude(state=ReviewState.RECORDED).filter(
            Q(decided_at__isnull=True) | Q(decided_at__gt=moment), created_at__lte=moment
        )
    )


def awaiting_ids(risk_ids, moment: dt.datetime | None = None) -> frozenset[int]:
    """Of ``risk_ids``, those with an update awaiting sign-off (then). One query."""
    rows = Risk.objects.filter(id__in=list(risk_ids)).filter(awaiting_sign_off(moment))
    return frozenset(rows.values_list("id", flat=True))


def later_review() -> Exists:
    """An expression for a review row: its risk has a review made after it, in any state. An
    update sent back stands (the panel's "Update sent back", the forms' notice and pre-filled
    words) only while nothing later was made: a review recorded at once (a coordinator's or
    approver's own, or anyone's once sign-off is off) is a later judgement, as a submission,
    withdrawal or sign-off is (decision 119)."""
    return Exists(
        Review.objects.filter(risk_id=OuterRef("risk_id")).filter(
            Q(created_at__gt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id"))
        )
    )


def stands_sent_back() -> Q:
    """A condition on a review row: an update sent back that still stands, nothing made on its
    risk since (``later_review``). What the panel, the forms and My work call "Update sent
    back"."""
    return Q(state=ReviewState.SENT_BACK) & ~Q(later_review())


def sent_back_to(user) -> Exists:
    """An expression for a risk row: an update ``user`` made of it was sent back and stands
    (``stands_sent_back``), for My work's "Update sent back" on its author's row. A subquery in
    the list's own query."""
    return Exists(
        Review.objects.filter(stands_sent_back(), risk_id=OuterRef("id"), reviewed_by_id=user.id)
    )


def _newest(reviews) -> Review | None:
    return max(reviews, key=lambda r: (r.created_at, r.id), default=None)


@dataclass
class SignOffPanel:
    """What the risk page says of sign-off: the update awaiting it, or the last one sent back."""

    review: Review
    proposed: list  # [(label, Rating | None)] for each position the update re-rates
    awaiting: bool
    sent_back: bool


POSITION_NAMES = {"inherent": "Initial (inherent)", "current": "Current", "target": "Target"}


def proposed_ratings(review: Review, scheme) -> list:
    positions = (review.proposed or {}).get("positions") or {}
    shown = []
    for name, label in POSITION_NAMES.items():
        if name not in positions:
            continue
        value = positions[name]
        rating = None
        if value and scheme is not None:
            try:
                rating = rate(scheme, *value)
            except (RatingError, TypeError, ValueError):
                rating = None
        shown.append((label, rating))
    return shown


def sign_off_panel(risk: Risk, *, scheme_of, reviews=None) -> SignOffPanel | None:
    """The risk's latest update that went to sign-off, when it still awaits it or was sent back
    (signed off or withdrawn: nothing to say). One query; ``scheme_of(risk)`` (the scheme the
    update would be rated under) is asked only when there is one to show. No query from
    ``reviews`` (all the risk's, with their authors and deciders, as the risk page holds them)."""
    if reviews is not None:
        latest = _newest(r for r in reviews if r.state != ReviewState.RECORDED)
        # later_review(), on the reviews the page holds
        superseded = latest is not None and _newest(reviews) is not latest
    else:
        latest = (
            Review.objects.filter(risk=risk)
            .exclude(state=ReviewState.RECORDED)
            .annotate(superseded=later_review())
            .select_related("reviewed_by", "decided_by")
            .order_by("-created_at", "-id")
            .first()
        )
        superseded = latest is not None and latest.superseded
    if latest is None or latest.state not in (ReviewState.SUBMITTED, ReviewState.SENT_BACK):
        return None
    if latest.state == ReviewState.SENT_BACK and superseded:
        return None  # a review recorded since is the newer judgement (later_review)
    return SignOffPanel(
        review=latest,
        proposed=proposed_ratings(latest, scheme_of(risk)),
        awaiting=latest.state == ReviewState.SUBMITTED,
        sent_back=latest.state == ReviewState.SENT_BACK,
    )


def sent_back_words(review: Review, *, access, ref: str = "") -> str:
    """Who sent ``review`` back, whose update it was and of when, as ``access``'s member reads
    it: "Ann Approver sent back your update of 7 December 2026" to its author, the author's name
    to anyone else, and the day it was sent back only when that is another day ("... of 1
    December 2026 on 7 December 2026"). ``ref`` names the risk where several share a page. No
    full stop: the panel goes on with the reason."""
    decider = review.decided_by.display_name if review.decided_by_id else "An approver"
    if review.reviewed_by_id == access.user.id:
        whose = "your"
    else:
        author = review.reviewed_by.display_name if review.reviewed_by_id else "a former member"
        whose = f"{author}’s"
    update = f"{ref} update" if ref else "update"
    submitted = local_date(organisation=access.organisation, moment=review.created_at)
    words = f"{decider} sent back {whose} {update} of {date_format(submitted, 'j F Y')}"
    if review.decided_at is not None:
        decided = local_date(organisation=access.organisation, moment=review.decided_at)
        if decided != submitted:
            words += f" on {date_format(decided, 'j F Y')}"
    return words


def awaiting_words(review: Review, *, access) -> str:
    """Whose update awaits sign-off and of when, as ``access``'s member reads it: "Your update of
    7 December 2026 has not been signed off yet." to its author, "Olu Owner’s update of ..." to
    anyone else (the risk's owner, when its manager submitted it, and the other way round)."""
    if review.reviewed_by_id == access.user.id:
        whose = "Your"
    elif review.reviewed_by_id is None:
        whose = "A former member’s"
    else:
        whose = f"{review.reviewed_by.display_name}’s"
    submitted = local_date(organisation=access.organisation, moment=review.created_at)
    return f"{whose} update of {date_format(submitted, 'j F Y')} has not been signed off yet."


@dataclass(frozen=True)
class Awaiting:
    """An update of the risk awaiting sign-off, as the review page tells the member about to
    write theirs: whose and of when, and whether their review would replace it (their own) or
    is refused until it is signed off or sent back (someone else's)."""

    words: str
    theirs: bool


def awaiting_on_review_page(risk, *, access) -> Awaiting | None:
    """The update awaiting sign-off that a review by ``access``'s member would meet, or None:
    none waits, or their review applies at once (they may sign off the register's updates).
    Said before they type, not only on saving (``SIGN_OFF_PENDING_OTHER``)."""
    if not needs_sign_off(register=risk.register, user=access.user):
        return None
    pending = (
        Review.objects.filter(risk=risk, state=ReviewState.SUBMITTED)
        .select_related("reviewed_by")
        .order_by("-created_at")
        .first()
    )
    if pending is None:
        return None
    return Awaiting(
        words=awaiting_words(pending, access=access),
        theirs=pending.reviewed_by_id == access.user.id,
    )


@dataclass
class SentBack:
    """An update sent back by an approver, as the forms its author fills in again show it
    (decision 119): who sent it back, when and why, and what was submitted. For a reader not
    cleared for the risk's OFFICIAL-SENSITIVE detail the reason and the words are empty and
    ``withheld`` says so. ``prefill``: the form starts from what was submitted, for its author
    alone (anyone else's save would be theirs, in the author's words), and only for a review (a
    change of rating on the edit form is put right on the edit form)."""

    review: Review
    withheld: bool
    yours: bool
    reason: str
    words: str
    current: tuple[int, int] | None  # the current rating the update asked for, if any
    reviewed_on: dt.date | None  # the review date its author typed (None: the day they submitted)
    is_review: bool
    said: str = ""  # who sent it back, whose and of when (sent_back_words)

    @property
    def prefill(self) -> bool:
        return self.yours and self.is_review and not self.withheld


def sent_back_updates(risks, *, access) -> dict[int, SentBack]:
    """Of ``risks``, by id, those whose latest review of any state is an update sent back (the
    one the risk page's panel shows as "Update sent back"; a later submission, withdrawal,
    sign-off or review recorded at once leaves nothing to put right: ``later_review``). One
    query, none for no risks."""
    return update_notes(risks, access=access, awaiting=False).sent_back


@dataclass
class UpdateNotes:
    sent_back: dict[int, SentBack]  # by risk id (``sent_back_updates``)
    awaiting: dict[int, str]  # by risk id, whose update awaits sign-off (``awaiting_words``)


def update_notes(risks, *, access, awaiting: bool = True) -> UpdateNotes:
    """What a page of ``risks`` says of their updates: the ones sent back that stand
    (``sent_back_updates``) and, with ``awaiting``, whose update awaits sign-off and of when
    (the quick update's words: ``awaiting_words``). One query, none for no risks."""
    by_id = {risk.pk: risk for risk in risks}
    if not by_id:
        return UpdateNotes(sent_back={}, awaiting={})
    wanted = stands_sent_back()
    if awaiting:
        wanted |= Q(state=ReviewState.SUBMITTED)
    found = (
        Review.objects.filter(wanted, risk_id__in=list(by_id))
        .select_related("reviewed_by", "decided_by")
        .order_by()
    )
    notes = UpdateNotes(sent_back={}, awaiting={})
    for review in found:
        risk = by_id[review.risk_id]
        review.risk = risk
        if review.state == ReviewState.SUBMITTED:
            notes.awaiting[risk.pk] = awaiting_words(review, access=access)
        else:
            notes.sent_back[risk.pk] = _sent_back(review, risk, access=access)
    return notes


def _sent_back(review: Review, risk: Risk, *, access) -> SentBack:
    withheld = not access.can_see_sensitive(risk)
    proposed = review.proposed or {}
    current = (proposed.get("positions") or {}).get("current")
    typed = review.reviewed_on
    submitted_on = local_date(organisation=access.organisation, moment=review.created_at)
    return SentBack(
        review=review,
        withheld=withheld,
        yours=review.reviewed_by_id == access.user.id,
        reason="" if withheld else review.decision_note,
        words="" if withheld else review.note,
        current=tuple(current) if current else None,
        reviewed_on=None if typed == submitted_on else typed,
        is_review=proposed.get("kind") != KIND_RATING,
        said=sent_back_words(review, access=access, ref=risk.ref),
    )


def awaiting_my_sign_off(*, access, limit: int = 200) -> list[Review]:
    """The updates awaiting sign-off that ``access``'s member may decide (not their own), oldest
    first, with their risk and author. One query (after the member's registers, cached)."""
    register_ids = access.sign_off_register_ids
    if not register_ids:
        return []
    return list(
        Review.objects.filter(
            organisation_id=access.organisation.id,
            state=ReviewState.SUBMITTED,
            risk__register_id__in=register_ids,
        )
        .exclude(reviewed_by_id=access.user.id)
        .select_related("risk", "risk__register", "reviewed_by")
        .order_by("created_at", "id")[:limit]
    )
