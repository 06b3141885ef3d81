"""Updates that wait for sign-off (issue 17): on a register with ``sign_off_required``, an owner's
review, or change of current rating on the edit form, is recorded as a submission and changes
nothing on the risk until an admin, a coordinator of the register or a named approver signs it
off (``registers.services.sign_off``).

This module is the low end of it, used by the services that record reviews and edit risks
(``reviews.review_record``, ``risks.risk_update``): who needs sign-off, and the submission itself.
It imports neither of them, so both can call it.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from scoring.definition import SchemeDefinition
from scoring.engine import RatingError, rate

from ..calendar import local_date
from ..models import NoticeKind, Register, Review, ReviewState, Risk
from ..models.registers import SIGN_OFF_BY  # noqa: F401  the pages import it from here
from ..permissions import sign_off_access, sign_off_approvers
from .notices import notices_resolve, notify

# What ``Review.proposed["kind"]`` says the update is: a review (last reviewed moves to its date
# when signed off) or a change of rating on the edit form (a re-rate, not a review).
KIND_REVIEW = "review"
KIND_RATING = "rating"

# A second update while one awaits: the same person's replaces theirs (it is withdrawn with this
# note); someone else's is refused, so nobody's words are thrown away unseen.
REPLACED_NOTE = "replaced by a later update"
SIGN_OFF_PENDING_OTHER = (
    "{ref} already has an update awaiting sign-off, submitted by {who} on {when}: it must be "
    "signed off or sent back first"
)


def awaiting_event_key(review: Review) -> str:
    """The event of the approvers' notices asking for ``review``'s sign-off."""
    return f"sign-off-awaiting:{review.pk}"


def awaiting_notices_resolve(review: Review) -> None:
    """``review`` no longer awaits sign-off (signed off, sent back, withdrawn or replaced): the
    notices asking the approvers for it are marked read, for every approver (decision 135)."""
    notices_resolve(risk_id=review.risk_id, event_key=awaiting_event_key(review))


def person(user) -> str:
    if user is None:
        return "a former member"
    return getattr(user, "display_name", None) or user.get_full_name() or user.email


def needs_sign_off(*, register: Register, user) -> bool:
    """True when ``user``'s update of a risk on ``register`` waits for sign-off: the register
    requires it and they may not sign off its updates themselves. Without a person (a command,
    the importer) nothing waits: there is nobody to ask."""
    if not register.sign_off_required or user is None:
        return False
    access = sign_off_access(user=user, register=register)
    return access is None or not access.can_sign_off_register(register)


def proposed_positions(review: Review) -> dict[str, tuple | None]:
    """The positions an update asks for, as (likelihood, impact) values (None: not rated)."""
    positions = (review.proposed or {}).get("positions") or {}
    return {name: tuple(value) if value else None for name, value in positions.items()}


def rated_positions(scheme: SchemeDefinition, positions: dict) -> dict[str, list | None]:
    """Each position through the engine (as ``apply_ratings`` checks it), kept as level values;
    ValidationError naming the field of every position that is off the scheme."""
    rated, errors = {}, {}
    for name, position in positions.items():
        if position is None or all(part in (None, "") for part in position):
            rated[name] = None
            continue
        try:
            likelihood, impact = position
            rating = rate(scheme, likelihood, impact)
        except (RatingError, ValueError, TypeError) as exc:
            errors[f"{name}_likelihood"] = f"{name} position: {exc}"
            continue
        rated[name] = [rating.likelihood.value, rating.impact.value]
    if errors:
        raise ValidationError(errors)
    return rated


def review_submit(
    *,
    risk: Risk,
    user,
    scheme: SchemeDefinition,
    positions: dict | None,
    note: str = "",
    reviewed_on: dt.date,
    kind: str = KIND_REVIEW,
    via: str = "",
) -> Review:
    """Record ``user``'s update of ``risk`` (locked by the caller, inside its transaction) as
    awaiting sign-off, and tell the approvers. The risk is not touched: its version, rating,
    review dates and history stay as they are. ``base_version`` is the version the update was
    made on; signing off checks nobody re-rated the risk since. ``via``: how it was submitted
    when not on a page ("via the API by nightly"), kept with the proposal for the history
    reason the sign-off writes."""
    rated = rated_positions(scheme, positions or {})
    earlier = Review.objects.select_for_update(of=("self",)).filter(  # not the ordering's joins
        risk=risk, state=ReviewState.SUBMITTED
    )
    for pending in earlier:
        if pending.reviewed_by_id != user.pk:
            raise ValidationError(
                SIGN_OFF_PENDING_OTHER.format(
                    ref=risk.ref,
                    who=person(pending.reviewed_by),
                    when=date_format(
                        local_date(organisation=risk.organisation, moment=pending.created_at),
                        "j F Y",
                    ),
                )
            )
        pending.state = ReviewState.WITHDRAWN
        pending.decided_by, pending.decided_at = user, timezone.now()
        pending.decision_note = REPLACED_NOTE
        pending.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        awaiting_notices_resolve(pending)  # the new update's notice asks for it instead
    review = Review(
        organisation_id=risk.organisation_id,
        risk=risk,
        reviewed_by=user,
        reviewed_on=reviewed_on,
        rescored=bool(rated),
        note=note.strip(),
        state=ReviewState.SUBMITTED,
        proposed={"positions": rated, "kind": kind} | ({"via": via} if via else {}),
        base_version=risk.version,
    )
    review.full_clean()
    review.save()
    notify(
        kind=NoticeKind.SIGN_OFF_AWAITING,
        organisation=risk.organisation,
        recipients=sign_off_approvers(risk.register),
        event_key=awaiting_event_key(review),
        title=f"{risk.ref} {risk.title}: an update awaits your sign-off",
        url=reverse("review_decide", args=[risk.organisation.slug, risk.ref, review.pk]),
        body=f"{person(user)} submitted an update of {risk.ref}"
        + (f": {review.note}" if review.note else "."),
        risk=risk,
        actor=user,
    )
    return review
