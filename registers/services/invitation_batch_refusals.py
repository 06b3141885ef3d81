"""Telling the person who sent a list of invitations that the worker sent none of it, and why.

The preview checked every row and the page said the list was on its way; the worker checks again
(``invitation_batch_run``) and sends nothing if anything has changed meanwhile. Then the sender is
told, once per batch:

- still allowed to invite: a notice on their Notifications page (``INVITATIONS_NOT_SENT``) naming
  the rows, in ``batch_check``'s own words (checked with the roles they may invite today, so
  nothing a preview now would not show them), and to check the list again, linking to Invite
  several people; its e-mail follows their choice for that kind, as every notice's does;
- no longer a member, or no longer allowed to invite anyone: an e-mail saying that alone, with
  nothing of the organisation's members or invitations (a notice would be unreadable to a former
  member); an account that is gone is told nothing (the log only).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from django.core.cache import cache
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from riskreg import mail

from ..models import Delivery, NoticeKind, Organisation
from .notices import PREFERENCES_PATH, notice_email_claim, notify

BATCH_NOT_SENT_SUBJECT = "{organisation}: your list of invitations was not sent"
BATCH_ROWS_CHANGED = (
    "{count} row{plural} can no longer be sent as you checked {them}, because something changed "
    "after your preview"
)
BATCH_NO_ACCESS = "you no longer have access to {organisation}"
BATCH_CANNOT_INVITE = "you can no longer invite people to {organisation}"
BATCH_NOT_SENT_TITLE = "Your list of {count} invitation{plural} was not sent: {reason}"
NOBODY_INVITED = (
    "Nobody on the list was invited or added, not even the rows without a problem: a list is "
    "sent all together or not at all."
)
BATCH_CHECK_AGAIN = (
    "What to do: check the list again on Invite several people, change or remove these rows, "
    "then send it."
)
# The worker's verdict is remembered this long, so a task run twice tells the sender once.
TOLD_SECONDS = 24 * 60 * 60


def _batch_id(*, organisation_id: int, user, confirmed_at: str) -> str:
    """Names one confirmed batch: who confirmed it, where and when (the task's arguments)."""
    batch = f"{organisation_id}:{user.pk}:{confirmed_at}"
    return hashlib.sha256(batch.encode()).hexdigest()[:32]


def _first_time(*, organisation_id: int, user, confirmed_at: str) -> bool:
    batch = _batch_id(organisation_id=organisation_id, user=user, confirmed_at=confirmed_at)
    return cache.add(f"invitation-batch-not-sent:{batch}", True, TOLD_SECONDS)


def _send(*, user, organisation_name: str, context: dict) -> None:
    context = {"name": user.get_full_name(), "organisation_name": organisation_name, **context}
    mail.send_later(
        subject=BATCH_NOT_SENT_SUBJECT.format(organisation=organisation_name),
        text=render_to_string("registers/email/invitation_batch_not_sent.txt", context),
        html=render_to_string("registers/email/invitation_batch_not_sent.html", context),
        to=[user.email],
    )


def _confirmed(confirmed_at: str) -> datetime | None:
    """When the sender pressed Send, in the site's time (the e-mail names the batch by it)."""
    moment = parse_datetime(confirmed_at)
    return timezone.localtime(moment) if moment is not None else None


def batch_rows_changed_tell(
    *,
    organisation: Organisation,
    user,
    count: int,
    lines: Sequence[str],
    confirmed_at: str,
) -> bool:
    """The sender's notice of which rows stopped the batch (``lines``, one a row that cannot be
    sent, of the ``count`` in the batch: ``invitation_batches.problem_lines``) and what to do,
    and its e-mail by their choice (straight away it is this fuller e-mail, as a released
    pack's is; in the digest a line there; or none). False if they were told of this batch
    already."""
    reason = BATCH_ROWS_CHANGED.format(
        count=len(lines), plural=pluralize(len(lines)), them=pluralize(len(lines), "it,them")
    )
    url = reverse("member_invite_many", args=[organisation.slug])
    batch = _batch_id(organisation_id=organisation.pk, user=user, confirmed_at=confirmed_at)
    notices = notify(
        kind=NoticeKind.INVITATIONS_NOT_SENT,
        organisation=organisation,
        recipients=[user],
        event_key=f"invitations-not-sent:{batch}",
        title=BATCH_NOT_SENT_TITLE.format(count=count, plural=pluralize(count), reason=reason),
        body="\n".join([*lines, "", NOBODY_INVITED, BATCH_CHECK_AGAIN]),
        url=url,
        immediate_email=False,
    )
    if not notices:
        return False
    (notice,) = notices
    if notice.delivery == Delivery.IMMEDIATE and notice_email_claim(notice):
        _send(
            user=user,
            organisation_name=organisation.display_name,
            context={
                "count": count,
                "confirmed_at": _confirmed(confirmed_at),
                "reason": reason,
                "problems": lines,
                "nobody_invited": NOBODY_INVITED,
                "check_again": BATCH_CHECK_AGAIN,
                "invite_url": mail.absolute(url),
                "preferences_url": mail.absolute(PREFERENCES_PATH),
            },
        )
    return True


def batch_no_access_tell(
    *,
    organisation_id: int,
    organisation: Organisation | None,
    user,
    rows: int,
    confirmed_at: str,
    member: bool,
) -> bool:
    """E-mail the sender that the batch was not sent because they no longer have access
    (``member`` false) or may no longer invite anyone, and nothing more; False if told
    already, or if the account can no longer sign in."""
    if not user.is_active:
        return False
    if not _first_time(organisation_id=organisation_id, user=user, confirmed_at=confirmed_at):
        return False
    name = organisation.display_name if organisation is not None else "the organisation"
    words = BATCH_CANNOT_INVITE if member else BATCH_NO_ACCESS
    _send(
        user=user,
        organisation_name=name,
        context={
            "count": rows,
            "confirmed_at": _confirmed(confirmed_at),
            "reason": words.format(organisation=name),
        },
    )
    return True
