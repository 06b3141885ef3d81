"""Deciding updates that await sign-off (issue 17): an approver signs one off (it is applied to
the risk, through the same rating and review-date code as a review) or sends it back with a
reason; the person who submitted it may withdraw it. Who may decide is the views' business
(``OrganisationAccess.can_sign_off``); these functions keep the domain rules: only an update
still awaiting sign-off, never by its own author, and never on a risk re-rated since it was
made. Submitting is ``review_submissions.review_submit`` (called by ``review_record`` and
``risk_update``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from ..calendar import organisation_today
from ..models import NoticeKind, Review, ReviewState, Risk, RiskStatus
from . import notice_events
from .notices import notify
from .register_archive import refuse_if_archived
from .review_submissions import (
    KIND_RATING,
    awaiting_notices_resolve,
    person,
    proposed_positions,
)
from .reviews import _position_of, _rescore_merges
from .risks import (
    apply_ratings,
    band_rank,
    bring_review_forward,
    next_review_due,
    scheme_version_for_register,
)

NOTE_MAX = 2000
SIGN_OFF_NOT_AWAITING = "this update is no longer awaiting sign-off: it was {state}"
SIGN_OFF_OWN = (
    "you cannot sign off or send back your own update: another approver decides it, or you "
    "can withdraw it"
)
SIGN_OFF_STALE = (
    "{ref} has been re-rated since this update was submitted, so signing it off would undo "
    "that: send it back, so that it is submitted again on the rating as it is now"
)
SIGN_OFF_BEFORE_LAST = (
    "{ref} was reviewed on {last}, after the date of this update's review ({day}), so signing "
    "it off would move its review dates back: send it back, so that it is submitted again"
)
SIGN_OFF_CLOSED = "{ref} is closed; reopen it before signing off an update"
SEND_BACK_REASON_REQUIRED = "say why the update is sent back, so its author can put it right"
NOTE_TOO_LONG = f"the note can be at most {NOTE_MAX} characters"
WITHDRAW_NOT_YOURS = "only the person who submitted an update can withdraw it"


def _lock(review: Review) -> tuple[Review, Risk]:
    risk = (
        Risk.objects.select_for_update(of=("self",))
        .select_related("register", "organisation")
        .get(pk=review.risk_id)
    )
    locked = (
        Review.objects.select_for_update(of=("self",))
        .select_related("reviewed_by")
        .get(pk=review.pk)
    )
    if locked.state != ReviewState.SUBMITTED:
        raise ValidationError(
            SIGN_OFF_NOT_AWAITING.format(state=ReviewState(locked.state).label.lower())
        )
    return locked, risk


def _clean_note(note: str, *, required: str = "") -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationError({"note": required})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": NOTE_TOO_LONG})
    return note


def _decide(review: Review, *, user, state: str, note: str) -> None:
    review.state = state
    review.decided_by, review.decided_at = user, timezone.now()
    review.decision_note = note
    review.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    # Decided or withdrawn: no approver is asked for it any more.
    awaiting_notices_resolve(review)


def _tell_author(review: Review, risk: Risk, *, user, what: str, note: str) -> None:
    notify(
        kind=NoticeKind.SIGN_OFF_DECIDED,
        organisation=risk.organisation,
        recipients=[review.reviewed_by],
        event_key=f"sign-off-decided:{review.pk}",
        title=f"{risk.ref} {risk.title}: your update is {what}",
        url=reverse("risk", args=[risk.organisation.slug, risk.ref]),
        body=f"{person(user)} {what} your update of {risk.ref}" + (f": {note}" if note else "."),
        risk=risk,
        actor=user,
    )


def _rating_unchanged(risk: Risk, review: Review, positions: dict) -> bool:
    """Nothing relevant changed since the update was made: the risk is at its base version, or
    (as ``review_record`` merges a re-score from an older page) every position it re-rates
    still holds the value it held then, or already the proposed one. A review with no change
    of rating confirms the current rating it saw, so that must be unchanged."""
    base = review.base_version
    if base is None or risk.version == base:
        return True
    if positions:
        return _rescore_merges(risk, base, positions)
    opened = (
        Risk.history.filter(id=risk.pk, version=base)
        .order_by("-history_date", "-history_id")
        .first()
    )
    return opened is not None and _position_of(opened, "current") == _position_of(risk, "current")


@transaction.atomic
def review_sign_off(*, review: Review, user, note: str = "") -> Review:
    """Sign off an update: its ratings are applied to the risk (rated under the register's scheme
    now), a review moves last reviewed to its date and the next review by the new band; one
    history record, "signed off by <approver>" with the author's note. Refused (ValidationError)
    for an update no longer awaiting, the approver's own, on a closed or archived risk, or on
    a risk re-rated since it was made."""
    note = _clean_note(note)
    review, risk = _lock(review)
    if review.reviewed_by_id == user.pk:
        raise ValidationError(SIGN_OFF_OWN)
    refuse_if_archived(risk.register)
    if risk.status == RiskStatus.CLOSED:
        raise ValidationError(SIGN_OFF_CLOSED.format(ref=risk.ref))
    positions = proposed_positions(review)
    if not _rating_unchanged(risk, review, positions):
        raise ValidationError(SIGN_OFF_STALE.format(ref=risk.ref))
    is_review = (review.proposed or {}).get("kind") != KIND_RATING
    if is_review and risk.last_reviewed and review.reviewed_on < risk.last_reviewed:
        # Reviewed again since it was submitted: the rule ``review_record`` checked then.
        raise ValidationError(
            SIGN_OFF_BEFORE_LAST.format(
                ref=risk.ref,
                last=date_format(risk.last_reviewed, "j F Y"),
                day=date_format(review.reviewed_on, "j F Y"),
            )
        )
    version = scheme_version_for_register(risk.register)
    rank_before = band_rank(risk)
    before = notice_events.snapshot([risk])
    apply_ratings(risk, scheme_version=version, positions=positions)
    if not is_review:
        # A change of rating on the edit form is a re-rate, not a review (decision 30).
        bring_review_forward(
            risk=risk,
            scheme=version.parsed,
            rank_before=rank_before,
            today=organisation_today(risk.organisation),
        )
    else:
        risk.last_reviewed = review.reviewed_on
        risk.next_review_due = next_review_due(
            risk=risk, scheme=version.parsed, reviewed_on=review.reviewed_on
        )
    risk.version += 1
    reason = f"signed off by {person(user)}"
    if via := (review.proposed or {}).get("via"):  # submitted through the API
        reason = f"{reason}, submitted {via}"
    risk._change_reason = f"{reason}: {review.note}" if review.note else reason
    risk.full_clean(exclude=["objectives", "leads"], validate_constraints=False)
    risk.save()
    _decide(review, user=user, state=ReviewState.SIGNED_OFF, note=note)
    _tell_author(review, risk, user=user, what="signed off", note=note)
    # The rating applies now: a breach it starts is told now (not when it was submitted).
    notice_events.risks_changed_tell(
        organisation=risk.organisation, before=before, risks=[risk], actor=user
    )
    return review


@transaction.atomic
def review_send_back(*, review: Review, user, reason: str) -> Review:
    """Send an update back to its author with a reason; the risk stays as it is, and the author
    sees the reason on the risk page and may submit again."""
    reason = _clean_note(reason, required=SEND_BACK_REASON_REQUIRED)
    review, risk = _lock(review)
    if review.reviewed_by_id == user.pk:
        raise ValidationError(SIGN_OFF_OWN)
    refuse_if_archived(risk.register)
    _decide(review, user=user, state=ReviewState.SENT_BACK, note=reason)
    _tell_author(review, risk, user=user, what="sent back", note=reason)
    return review


@transaction.atomic
def review_withdraw(*, review: Review, user) -> Review:
    """The author takes back an update awaiting sign-off (nobody is told: nothing happened)."""
    review, _risk = _lock(review)
    if review.reviewed_by_id != user.pk:
        raise ValidationError(WITHDRAW_NOT_YOURS)
    _decide(review, user=user, state=ReviewState.WITHDRAWN, note="")
    return review
