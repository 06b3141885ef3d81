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
from ..selectors.notices import notices_shown
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


@transaction.atomic
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
    if risk is not None and (
        risk.organisation_id != organisation.id or risk.status == RiskStatus.CLOSED
    ):
        return []
    wanted = {user.pk for user in recipients if user is not None}
    if actor is not None:
        wanted.discard(actor.pk)
    if not wanted:
        return []
    told = set(
        Notice.objects.filter(user_id__in=wanted, event_key=event_key).values_list(
            "user_id", flat=True
        )
    )
    memberships = list(
        Membership.objects.filter(
            organisation=organisation, user_id__in=wanted - told, user__is_active=True
        ).select_related("user")
    )
    if not memberships:
        return []
    deliveries = delivery_for(user_ids=[m.user_id for m in memberships], kind=kind)
    notices = []
    for membership in memberships:
        withheld = (
            risk is not None
            and risk.marking == Marking.OFFICIAL_SENSITIVE
            and not OrganisationAccess(organisation, membership).can_see_sensitive(risk)
        )
        notices.append(
            Notice(
                organisation=organisation,
                user=membership.user,
                kind=kind,
                event_key=event_key,
                risk=risk,
                actor=actor,
                title=title[:TITLE_MAX],
                body=WITHHELD if withheld and body else body,
                url=url,
                delivery=deliveries[membership.user_id],
            )
        )
    # Two requests telling of the same event at once: the unique (user, event_key) keeps one.
    Notice.objects.bulk_create(notices, ignore_conflicts=True)
    made = list(
        Notice.objects.filter(
            event_key=event_key, user_id__in=[n.user_id for n in notices]
        ).select_related("user", "organisation", "actor")
    )
    if immediate_email:
        for notice in made:
            if notice.delivery == Delivery.IMMEDIATE:
                notice_email_send(notice)
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
    return True


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
    return unread.update(read_at=timezone.now())


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
            shown = notices_shown(
                [n for n in theirs if n.organisation_id in belong], memberships=mine
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
