"""Recording that a risk was reviewed: confirmed unchanged with a note, or re-scored."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format

from ..calendar import local_date, organisation_today
from ..models import Review, Risk, RiskStatus
from . import notice_events
from .register_archive import refuse_if_archived
from .review_submissions import needs_sign_off, rated_positions, review_submit
from .risks import (
    Position,
    RiskConflict,
    apply_ratings,
    next_review_due,
    scheme_version_for_register,
)

# A review's date: not in the future, and not before the risk's last review (or, never reviewed,
# the day it was added), as an earlier one would move its review dates back (decision 115).
REVIEW_IN_FUTURE = "a review cannot be dated in the future"
REVIEW_BEFORE_LAST = (
    "the earliest date allowed is {day}, the date of {ref}'s last review: an earlier one would "
    "move its review dates back"
)
REVIEW_BEFORE_ADDED = "the earliest date allowed is {day}, the day {ref} was added to the register"
# A re-score to the rating the risk already has would be recorded as a change that is none.
RESCORE_UNCHANGED = (
    "the rating chosen is the current one: choose “No change”, or a different rating"
)


def _day(day: dt.date) -> str:
    return date_format(day, "j F Y")


def review_date_refusal(risk: Risk, reviewed_on: dt.date) -> str:
    """Why ``reviewed_on`` cannot be the date of a review of ``risk`` as it stands, or "".
    Days are the risk's organisation's (``calendar``), not the server's."""
    if reviewed_on > organisation_today(risk.organisation):
        return REVIEW_IN_FUTURE
    if risk.last_reviewed is not None:
        if reviewed_on < risk.last_reviewed:
            return REVIEW_BEFORE_LAST.format(ref=risk.ref, day=_day(risk.last_reviewed))
        return ""
    added = local_date(organisation=risk.organisation, moment=risk.created_at)
    if reviewed_on < added:
        return REVIEW_BEFORE_ADDED.format(ref=risk.ref, day=_day(added))
    return ""


@transaction.atomic
def review_record(
    *,
    risk: Risk,
    user,
    expected_version: int,
    note: str = "",
    positions: dict[str, Position] | None = None,
    reviewed_on: dt.date | None = None,
    via: str = "",
) -> Review:
    """Record a review. With ``positions`` it is a re-score; either way last reviewed moves to
    the review date and next review due follows the (new) band, register or risk period.

    A review from a page opened at an older version is refused (RiskConflict), except a re-score
    of positions nobody else re-rated since: the person's new rating goes on top of the others'
    other changes. A "no change" review confirms the rating the person saw, so it is refused
    whenever anything changed since.

    On a register that requires sign-off, the review of someone who may not sign it off is
    recorded as awaiting sign-off instead (``review.state``): nothing on the risk changes until
    an approver signs it off (``services.sign_off``).

    ``via``: how it was recorded, when not on the review page ("via the API by nightly"), in
    the risk's history reason after what the review did, as every other write by the API says."""
    locked = (  # the risk's row alone, as risk_update locks it
        Risk.objects.select_for_update(of=("self",))
        .select_related("register", "organisation")
        .get(pk=risk.pk)
    )
    refuse_if_archived(locked.register)
    if locked.version != expected_version and not _rescore_merges(
        locked, expected_version, positions
    ):
        raise RiskConflict(locked)
    if locked.status == RiskStatus.CLOSED:
        raise ValidationError(f"{locked.ref} is closed; reopen it before reviewing")
    reviewed_on = reviewed_on or organisation_today(locked.organisation)
    if refusal := review_date_refusal(locked, reviewed_on):
        raise ValidationError({"reviewed_on": refusal})
    rescored = bool(positions)
    version = scheme_version_for_register(locked.register)
    if rescored and _same_rating(locked, version.parsed, positions):
        raise ValidationError({"current_likelihood": RESCORE_UNCHANGED})
    if needs_sign_off(register=locked.register, user=user):
        # Recorded as awaiting sign-off: the risk stays as it is until an approver signs it off.
        return review_submit(
            risk=locked,
            user=user,
            scheme=version.parsed,
            positions=positions,
            note=note,
            reviewed_on=reviewed_on,
            via=via,
        )
    before = notice_events.snapshot([locked])
    apply_ratings(locked, scheme_version=version, positions=positions or {})
    locked.last_reviewed = reviewed_on
    locked.next_review_due = next_review_due(
        risk=locked, scheme=version.parsed, reviewed_on=reviewed_on
    )
    locked.version += 1
    summary = "re-scored" if rescored else "reviewed, no change"
    summary = f"{summary} {via}" if via else summary
    locked._change_reason = f"{summary}: {note.strip()}" if note.strip() else summary
    locked.full_clean(exclude=["objectives", "leads"], validate_constraints=False)
    locked.save()
    review = Review(
        organisation_id=locked.organisation_id,
        risk=locked,
        reviewed_by=user,
        reviewed_on=reviewed_on,
        rescored=rescored,
        note=note.strip(),
    )
    review.full_clean()
    review.save()
    # A re-score that takes the risk outside appetite tells its owner, manager and coordinators.
    notice_events.risks_changed_tell(
        organisation=locked.organisation, before=before, risks=[locked], actor=user
    )
    return review


def _same_rating(locked: Risk, scheme, positions) -> bool:
    """True when every position re-scored is already the risk's (a level off the scheme is
    refused by rating it, naming the field)."""
    rated = rated_positions(scheme, positions)
    return all(
        _position_of(locked, name) == (tuple(value) if value else None)
        for name, value in rated.items()
    )


def _rescore_merges(locked: Risk, expected_version: int, positions) -> bool:
    """True when every position re-scored from an older page still holds, now, the value it
    held when the page was opened (or already the new one): only the reviewer changed it."""
    if not positions or not 1 <= expected_version < locked.version:
        return False
    opened = (
        Risk.history.filter(id=locked.pk, version=expected_version)
        .order_by("-history_date", "-history_id")
        .first()
    )
    if opened is None:
        return False
    for name, position in positions.items():
        base = _position_of(opened, name)
        theirs = _position_of(locked, name)
        mine = tuple(position) if position else None
        if theirs not in (base, mine):
            return False
    return True


def _position_of(record, name: str):
    likelihood = getattr(record, f"{name}_likelihood")
    impact = getattr(record, f"{name}_impact")
    return None if likelihood is None and impact is None else (likelihood, impact)
