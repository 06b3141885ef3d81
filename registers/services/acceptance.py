"""Risk acceptance ("tolerate", issue 17): a risk above its category's tolerance formally accepted
by someone with the authority the organisation sets, with a reason, until a date.

An acceptance covers the risk while it is not ended, its ``expires_on`` is today or later and the
risk's current score is no higher than the score accepted; the appetite views then say "accepted
until ..." beside the breach (``registers.selectors.acceptance``), which stays a breach. Read-time,
so a re-score above the accepted score uncovers the risk at once, with no write from the rating
services. ``risk_acceptances_expire`` (the daily beat task) ends the acceptances past their date
and tells the approver; it also reminds them a fortnight before.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from appetite.rules import AppetiteState
from appetite.selectors import appetite_lookup

from .. import calendar
from ..models import (
    AcceptanceAuthority,
    Membership,
    NoticeKind,
    Organisation,
    Risk,
    RiskAcceptance,
    RiskStatus,
)
from ..permissions import RISK_OWNER_ROLES as APPROVER_ROLES
from ..permissions import OrganisationAccess
from .notices import notify

# An acceptance is looked at again within a year: the longest it may run, in months.
MAX_ACCEPTANCE_MONTHS = 12
# Days before its expiry the approver is reminded.
REMIND_DAYS_BEFORE = 14

ACCEPT_NOT_ALLOWED = "you may not accept this risk: the organisation's admins choose who may"
ACCEPT_CLOSED = "a closed risk cannot be accepted"
ACCEPT_NOT_IN_BREACH = (
    "only a risk above its tolerance can be accepted, and this one's current score is not"
)
ACCEPT_ALREADY = "this risk is already accepted until {date}: withdraw that acceptance first"
REASON_REQUIRED = "give the reason the risk is accepted"
EXPIRY_REQUIRED = "give the date the acceptance ends"
EXPIRY_NOT_FUTURE = "the acceptance must end after today"
EXPIRY_TOO_FAR = (
    f"an acceptance lasts at most {MAX_ACCEPTANCE_MONTHS} months: "
    "choose a date on or before {date}"
)
WITHDRAW_REASON_REQUIRED = "give the reason the acceptance is withdrawn"
WITHDRAW_ENDED = "this acceptance has already ended"

ACCEPTED_REASON = "accepted until {date}: {reason}"
REPLACED_REASON = "replaced by a new acceptance"
WITHDRAWN_REASON = "withdrawn: {reason}"
EXPIRED_REASON = "expired"
AUTHORITY_UNKNOWN = "choose who may accept a risk above tolerance"
APPROVER_NOT_ALLOWED = (
    "name only members who can own a risk (admins, coordinators and risk owners): viewers and "
    "panel members read the register, they do not accept its risks"
)
AUTHORITY_REASON = "who may accept a risk above tolerance: {authority}; named: {names}"


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def latest_expiry(today: dt.date) -> dt.date:
    """The last day an acceptance given ``today`` may run to: ``MAX_ACCEPTANCE_MONTHS`` on (the
    month's last day where the month is shorter: 29 February to 28 February)."""
    months = today.month - 1 + MAX_ACCEPTANCE_MONTHS
    year, month = today.year + months // 12, months % 12 + 1
    last = calendar.last_day_of_month(year, month).day
    return dt.date(year, month, min(today.day, last))


def covers(acceptance: RiskAcceptance | None, *, score: int | None, today: dt.date) -> bool:
    """Whether an acceptance explains the risk's breach today: open, not past its date, and the
    current score no higher than the score accepted."""
    return (
        acceptance is not None
        and acceptance.ended_at is None
        and acceptance.expires_on >= today
        and score is not None
        and acceptance.accepted_score is not None
        and score <= acceptance.accepted_score
    )


def _access(*, organisation: Organisation, user) -> OrganisationAccess | None:
    membership = (
        Membership.objects.filter(organisation=organisation, user=user)
        .select_related("organisation", "user")
        .first()
    )
    return membership and OrganisationAccess(organisation=organisation, membership=membership)


def open_acceptance(risk: Risk) -> RiskAcceptance | None:
    return (
        RiskAcceptance.objects.filter(risk=risk, ended_at__isnull=True)
        .select_related("accepted_by")
        .first()
    )


def _end(acceptance: RiskAcceptance, *, by, reason: str) -> None:
    acceptance.ended_at = timezone.now()
    acceptance.ended_by = by
    acceptance.end_reason = reason[:300]
    acceptance._change_reason = reason
    acceptance.save(update_fields=["ended_at", "ended_by", "end_reason"])


@transaction.atomic
def risk_accept(
    *, risk: Risk, by, reason: str, expires_on: dt.date | None, today: dt.date | None = None
) -> RiskAcceptance:
    """Accept ``risk``, above its tolerance now, until ``expires_on`` (after today, at most
    ``MAX_ACCEPTANCE_MONTHS`` ahead), at its current score. An open acceptance that no longer
    covers the risk (the score rose above it, or its date passed before the daily run ended it)
    is ended as replaced; one that still covers it must be withdrawn first."""
    organisation = risk.organisation
    today = today or calendar.organisation_today(organisation)
    access = _access(organisation=organisation, user=by)
    if access is None or not access.can_accept_risk(risk):
        raise ValidationError(ACCEPT_NOT_ALLOWED)
    if risk.status == RiskStatus.CLOSED:
        raise ValidationError(ACCEPT_CLOSED)
    state = appetite_lookup(organisation=organisation).state(
        category_id=risk.category_id, score=risk.current_score
    )
    if state != AppetiteState.BREACH:
        raise ValidationError(ACCEPT_NOT_IN_BREACH)
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = REASON_REQUIRED
    if expires_on is None:
        errors["expires_on"] = EXPIRY_REQUIRED
    elif expires_on <= today:
        errors["expires_on"] = EXPIRY_NOT_FUTURE
    elif expires_on > latest_expiry(today):
        errors["expires_on"] = EXPIRY_TOO_FAR.format(date=long_date(latest_expiry(today)))
    if errors:
        raise ValidationError(errors)
    current = (
        RiskAcceptance.objects.select_for_update(of=("self",))  # not the ordering's joins
        .filter(risk=risk, ended_at__isnull=True)
        .first()
    )
    if current is not None:
        if covers(current, score=risk.current_score, today=today):
            raise ValidationError(ACCEPT_ALREADY.format(date=long_date(current.expires_on)))
        _end(current, by=by, reason=REPLACED_REASON)
    acceptance = RiskAcceptance(
        organisation=organisation,
        risk=risk,
        accepted_by=by,
        reason=reason,
        accepted_score=risk.current_score,
        expires_on=expires_on,
    )
    acceptance.full_clean()
    acceptance._change_reason = ACCEPTED_REASON.format(date=long_date(expires_on), reason=reason)
    acceptance.save()
    return acceptance


@transaction.atomic
def risk_acceptance_withdraw(*, acceptance: RiskAcceptance, by, reason: str) -> RiskAcceptance:
    """End an acceptance before its date, with the reason: the risk is back in breach."""
    access = _access(organisation=acceptance.organisation, user=by)
    if access is None or not access.can_accept_risk(acceptance.risk):
        raise ValidationError(ACCEPT_NOT_ALLOWED)
    acceptance = RiskAcceptance.objects.select_for_update().get(pk=acceptance.pk)
    if acceptance.ended_at is not None:
        raise ValidationError(WITHDRAW_ENDED)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": WITHDRAW_REASON_REQUIRED})
    _end(acceptance, by=by, reason=WITHDRAWN_REASON.format(reason=reason))
    return acceptance


def _risk_url(acceptance: RiskAcceptance) -> str:
    return reverse("risk", args=[acceptance.organisation.slug, acceptance.risk.ref])


def risk_acceptances_expire(*, today: dt.date | None = None) -> int:
    """End every open acceptance whose date has passed (each organisation's today, or ``today``
    for all), telling its approver and the risk's owner that the risk is back in breach; and
    remind the approver of an acceptance ending within ``REMIND_DAYS_BEFORE`` days. Idempotent:
    an ended acceptance is not read again, and each notice is told once per person (its event
    key). Returns how many acceptances it ended."""
    ended = 0
    due = (
        RiskAcceptance.objects.filter(ended_at__isnull=True)
        .select_related("organisation", "risk", "risk__owner", "accepted_by")
        .order_by("organisation_id", "expires_on", "pk")
    )
    todays: dict[int, dt.date] = {}
    for acceptance in due:
        organisation = acceptance.organisation
        if organisation.id not in todays:
            todays[organisation.id] = today or calendar.organisation_today(organisation)
        day = todays[organisation.id]
        risk = acceptance.risk
        until = long_date(acceptance.expires_on)
        if acceptance.expires_on < day:
            with transaction.atomic():
                _end(acceptance, by=None, reason=EXPIRED_REASON)
                notify(
                    kind=NoticeKind.ACCEPTANCE_EXPIRED,
                    organisation=organisation,
                    recipients=[acceptance.accepted_by, risk.owner],
                    event_key=f"acceptance-expired:{acceptance.pk}",
                    title=f"{risk.ref} {risk.title}: its acceptance ended on {until}",
                    url=_risk_url(acceptance),
                    body=(
                        f"The acceptance of {risk.ref} above its tolerance ran until {until} and "
                        "has ended, so the risk shows as in breach of appetite again. Accept it "
                        "again, with a reason and a new date, if it is still to be tolerated."
                    ),
                    risk=risk,
                )
            ended += 1
        elif acceptance.expires_on <= day + dt.timedelta(days=REMIND_DAYS_BEFORE):
            notify(
                kind=NoticeKind.ACCEPTANCE_EXPIRED,
                organisation=organisation,
                recipients=[acceptance.accepted_by],
                event_key=f"acceptance-expiring:{acceptance.pk}",
                title=f"{risk.ref} {risk.title}: its acceptance ends on {until}",
                url=_risk_url(acceptance),
                body=(
                    f"You accepted {risk.ref} above its tolerance until {until}. After that day "
                    "it shows as in breach of appetite again, unless it is accepted anew."
                ),
                risk=risk,
            )
    return ended


@transaction.atomic
def acceptance_authority_set(*, organisation: Organisation, by, authority: str, approvers) -> bool:
    """Set who may accept a risk above tolerance: the authority and the people named (members
    who can own a risk). Returns whether anything changed; the organisation's history records
    the change with the names, since the people named are not a field of its records."""
    if authority not in AcceptanceAuthority.values:
        raise ValidationError({"authority": AUTHORITY_UNKNOWN})
    approvers = list(approvers)
    allowed = set(
        Membership.objects.filter(
            organisation=organisation,
            user__in=approvers,
            role__in=[role.value for role in APPROVER_ROLES],
        ).values_list("user_id", flat=True)
    )
    if any(user.pk not in allowed for user in approvers):
        raise ValidationError({"approvers": APPROVER_NOT_ALLOWED})
    before = set(organisation.acceptance_approvers.values_list("pk", flat=True))
    after = {user.pk for user in approvers}
    if organisation.acceptance_authority == authority and before == after:
        return False
    organisation.acceptance_authority = authority
    organisation.acceptance_approvers.set(approvers)
    names = ", ".join(sorted(user.display_name for user in approvers)) or "nobody"
    organisation._change_reason = AUTHORITY_REASON.format(
        authority=AcceptanceAuthority(authority).label, names=names
    )
    organisation._history_user = by
    organisation.save(update_fields=["acceptance_authority"])
    return True
