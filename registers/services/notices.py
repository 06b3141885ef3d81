"""Telling people what happened (issue 17): an in-app notice for each person, and an e-mail by
their preference (straight away here, through the queue; or in the daily digest).

``notify`` is the one way in. Every event (an assignment, a mention, a sign-off, a released pack)
calls it with the people concerned; it keeps the rules in one place:
- never the person who caused it (``actor``), never anyone who is not an active member of the
  organisation, never about a closed risk or another organisation's risk;
- once per event and person: ``event_key`` names the event, and a second call is a no-op, so a
  retried task or a repeated request tells nobody twice;
- OFFICIAL-SENSITIVE: a person not cleared for the risk's detail gets the ref and title only
  (which every member may read on the register), never ``body``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from riskreg import mail

from ..models import (
    DEFAULT_DELIVERY,
    Delivery,
    Marking,
    Membership,
    Notice,
    NoticeKind,
    NoticePreference,
    Organisation,
    Risk,
    RiskStatus,
)
from ..permissions import OrganisationAccess
from ..selectors.notices import forget_unread_counts, notices_shown
from ..withholding import WITHHELD

# The notification preferences page (the notifications helper names its URL this path).
PREFERENCES_PATH = "/notifications/preferences/"
NOTIFICATIONS_PATH = "/notifications/"
TITLE_MAX = Notice._meta.get_field("title").max_length


def delivery_for(*, user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each person's chosen delivery of e-mail for ``kind`` (``DEFAULT_DELIVERY`` if unset)."""
    user_ids = list(user_ids)
    chosen = dict(
        NoticePreference.objects.filter(user_id__in=user_ids, kind=kind).values_list(
            "user_id", "delivery"
        )
    )
    return {pk: chosen.get(pk, DEFAULT_DELIVERY) for pk in user_ids}


@dataclass
class NoticeEvent:
    """One event to tell people of (the arguments of ``notify``); ``recipients`` are users or
    user ids, for callers that hold only ids (a bulk import)."""

    kind: str
    organisation: Organisation
    recipients: Iterable
    event_key: str
    title: str
    url: str = ""
    body: str = ""
    risk: Risk | None = None
    actor: object = None


def notify(
    *,
    kind: str,
    organisation: Organisation,
    recipients: Iterable,
    event_key: str,
    title: str,
    url: str = "",
    body: str = "",
    risk: Risk | None = None,
    actor=None,
    immediate_email: bool = True,
) -> list[Notice]:
    """Tell each of ``recipients`` (users; None and repeats are skipped) of one event. Returns
    the notices made now (none for people already told of ``event_key``). Their immediate
    e-mails are queued to send after the transaction commits; with ``immediate_email`` false
    the caller sends its own e-mail for them instead (``notice_email_claim`` first), so a
    released pack's one e-mail is the release e-mail, not a second one."""
    event = NoticeEvent(
        kind=kind,
        organisation=organisation,
        recipients=recipients,
        event_key=event_key,
        title=title,
        url=url,
        body=body,
        risk=risk,
        actor=actor,
    )
    return notify_many([event], immediate_email=immediate_email)


def _user_id(recipient) -> int | None:
    return recipient if recipient is None or isinstance(recipient, int) else recipient.pk


# No savepoint of its own: every caller is inside its own write's transaction, and an import
# pays two queries for each savepoint.
@transaction.atomic(savepoint=False)
def notify_many(events: Iterable[NoticeEvent], *, immediate_email: bool = True) -> list[Notice]:
    """``notify`` for many events at once (an import, a bulk edit), in a number of queries that
    does not grow with the events: who was told already, who is a member, their preferences,
    the notices, and their immediate e-mails claimed, one query each."""
    wanted: list[tuple[NoticeEvent, int]] = []
    for event in events:
        risk = event.risk
        if risk is not None and (
            risk.organisation_id != event.organisation.id or risk.status == RiskStatus.CLOSED
        ):
            continue
        people = {_user_id(r) for r in event.recipients} - {None, _user_id(event.actor)}
        wanted += [(event, user_id) for user_id in sorted(people)]
    if not wanted:
        return []
    keys = {event.event_key for event, _ in wanted}
    user_ids = {user_id for _, user_id in wanted}
    told = set(
        Notice.objects.filter(event_key__in=keys, user_id__in=user_ids).values_list(
            "user_id", "event_key"
        )
    )
    if all((user_id, event.event_key) in told for event, user_id in wanted):
        return []
    memberships = {
        (m.organisation_id, m.user_id): m
        for m in Membership.objects.filter(
            organisation_id__in={event.organisation.id for event, _ in wanted},
            user_id__in=user_ids,
            user__is_active=True,
        ).select_related("user")
    }
    chosen = {
        (user_id, kind): delivery
        for user_id, kind, delivery in NoticePreference.objects.filter(
            user_id__in=user_ids
        ).values_list("user_id", "kind", "delivery")
    }
    notices = []
    for event, user_id in wanted:
        membership = memberships.get((event.organisation.id, user_id))
        if membership is None or (user_id, event.event_key) in told:
            continue
        told.add((user_id, event.event_key))
        risk = event.risk
        withheld = (
            risk is not None
            and risk.marking == Marking.OFFICIAL_SENSITIVE
            and not OrganisationAccess(event.organisation, membership).can_see_sensitive(risk)
        )
        notices.append(
            Notice(
                organisation=event.organisation,
                user=membership.user,
                kind=event.kind,
                event_key=event.event_key,
                risk=risk,
                actor=event.actor,
                title=event.title[:TITLE_MAX],
                body=WITHHELD if withheld and event.body else event.body,
                url=event.url,
                delivery=chosen.get((user_id, event.kind), DEFAULT_DELIVERY),
            )
        )
    if not notices:
        return []
    # Two requests telling of the same event at once: the unique (user, event_key) keeps one.
    Notice.objects.bulk_create(notices, ignore_conflicts=True)
    # The header's unread count of each person told (selectors.notices.unread_notice_count).
    forget_unread_counts(n.user_id for n in notices)
    pairs = {(n.user_id, n.event_key) for n in notices}
    made = [
        notice
        for notice in Notice.objects.filter(
            event_key__in={key for _, key in pairs}, user_id__in={pk for pk, _ in pairs}
        ).select_related("user", "organisation", "actor")
        if (notice.user_id, notice.event_key) in pairs
    ]
    if immediate_email:
        now = timezone.now()
        immediate = [n.pk for n in made if n.delivery == Delivery.IMMEDIATE]
        # Claimed in one write (a concurrent call claims the rest), then each queued once.
        Notice.objects.filter(pk__in=immediate, emailed_at__isnull=True).update(emailed_at=now)
        claimed = set(
            Notice.objects.filter(pk__in=immediate, emailed_at=now).values_list("pk", flat=True)
        )
        for notice in made:
            if notice.pk in claimed:
                notice.emailed_at = now
                _email_queue(notice)
    return made


def notice_email_claim(notice: Notice) -> bool:
    """Claim the right to e-mail one notice: true once, for whoever sets ``emailed_at`` first
    (a concurrent call, or a retry, gets false and sends nothing)."""
    return bool(
        Notice.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
    )


def notice_email_send(notice: Notice) -> bool:
    """Queue the e-mail of one notice (sent after commit), once (``notice_email_claim``)."""
    if not notice_email_claim(notice):
        return False
    _email_queue(notice)
    return True


def _email_queue(notice: Notice) -> None:
    context = {
        "notice": notice,
        "organisation": notice.organisation,
        "url": mail.absolute(notice.url) if notice.url else "",
        "preferences_url": mail.absolute(PREFERENCES_PATH),
    }
    mail.send_later(
        subject=f"{notice.organisation.display_name}: {notice.title}",
        text=render_to_string("registers/email/notice.txt", context),
        html=render_to_string("registers/email/notice.html", context),
        to=[notice.user.email],
    )


@transaction.atomic
def notice_preferences_set(*, user, deliveries: dict[str, str]) -> None:
    """Save how ``user`` wants e-mail of each kind named in ``deliveries``. Notices already made
    keep the delivery they were made with (a digest one goes in the next digest)."""
    for kind, delivery in deliveries.items():
        if kind not in NoticeKind.values or delivery not in Delivery.values:
            raise ValueError(f"unknown kind or delivery: {kind!r}, {delivery!r}")
        NoticePreference.objects.update_or_create(
            user=user, kind=kind, defaults={"delivery": delivery}
        )


@transaction.atomic
def notice_mark_read(*, user, notice: Notice | None = None) -> int:
    """Mark one of ``user``'s notices read, or (``notice`` None) every unread one. Returns how
    many changed; a notice read already keeps the time it was first read."""
    unread = Notice.objects.filter(user_id=user.pk, read_at__isnull=True)
    if notice is not None:
        unread = unread.filter(pk=notice.pk)
    changed = unread.update(read_at=timezone.now())
    if changed:
        forget_unread_counts([user.pk])
    return changed


# No savepoint of its own, as ``notify_many``: every caller is inside its own write's transaction.
@transaction.atomic(savepoint=False)
def notices_resolve(*, risk_id: int, event_key: str) -> int:
    """The event ``event_key`` of risk ``risk_id`` asks nothing of anyone any more (an update
    awaiting sign-off was signed off, sent back or withdrawn): every unread notice of it is
    marked read, whoever was told, so nobody's list still asks for what is done (decision 135).
    Read on the risk's index (``event_key`` leads no index of its own). Returns how many
    changed; a notice read already keeps the time it was first read."""
    unread = Notice.objects.filter(risk_id=risk_id, event_key=event_key, read_at__isnull=True)
    people = set(unread.values_list("user_id", flat=True))
    if not people:
        return 0
    changed = unread.update(read_at=timezone.now())
    forget_unread_counts(people)
    return changed


DIGEST_SUBJECT = "riskreg: {count} notification{plural} since the last digest"


def notice_digest_send(*, now: dt.datetime | None = None) -> int:
    """The daily digest: one e-mail per person with every notice of theirs to be e-mailed in
    the digest and not yet e-mailed, across their organisations. The notices are claimed (their
    ``emailed_at`` set) in the same transaction that queues the e-mails, rows locked and
    skipped if another run holds them, so a second run, or two at once, sends nothing twice.
    A notice of an organisation the person has left, or of a person no longer active, is
    claimed and not sent. Returns how many e-mails were queued."""
    now = now or timezone.now()
    with transaction.atomic():
        pending = list(
            Notice.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(delivery=Delivery.DIGEST, emailed_at__isnull=True, created_at__lte=now)
            .order_by("user_id", "created_at", "id")
        )
        if not pending:
            return 0
        Notice.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
        by_user: dict[int, list[int]] = {}
        for notice in pending:
            by_user.setdefault(notice.user_id, []).append(notice.pk)
        memberships: dict[int, list[Membership]] = {}
        for membership in Membership.objects.filter(
            user_id__in=by_user, user__is_active=True
        ).select_related("organisation", "user"):
            memberships.setdefault(membership.user_id, []).append(membership)
        notices = Notice.objects.filter(pk__in=[n.pk for n in pending]).select_related(
            "organisation", "risk", "actor"
        )
        grouped: dict[int, list[Notice]] = {}
        for notice in notices.order_by("created_at", "id"):
            grouped.setdefault(notice.user_id, []).append(notice)
        sent = 0
        preferences_url = mail.absolute(PREFERENCES_PATH)
        for user_id, theirs in grouped.items():
            mine = memberships.get(user_id, [])
            belong = {m.organisation_id for m in mine}
            # A notice read already (seen in riskreg, or resolved: what it asked is done,
            # decision 135) is claimed and not e-mailed.
            shown = notices_shown(
                [n for n in theirs if n.organisation_id in belong and n.read_at is None],
                memberships=mine,
            )
            if not shown:
                continue
            context = {
                "user": mine[0].user,
                "notices": [
                    (notice, mail.absolute(notice.url) if notice.url else "") for notice in shown
                ],
                "preferences_url": preferences_url,
                "notifications_url": mail.absolute(NOTIFICATIONS_PATH),
            }
            mail.send_later(
                subject=DIGEST_SUBJECT.format(
                    count=len(shown), plural="" if len(shown) == 1 else "s"
                ),
                text=render_to_string("registers/email/notice_digest.txt", context),
                html=render_to_string("registers/email/notice_digest.html", context),
                to=[mine[0].user.email],
            )
            sent += 1
        return sent
