"""Send the day's digests: one e-mail per person per organisation per kind per day.

Durable and idempotent: before sending, the ``Reminder`` row for (organisation, user, kind, day)
is fetched or created and locked (``select_for_update`` inside a transaction), so a rerun, a
task retry or a second worker finds it and sends nothing twice. A sent row is skipped; a failed
row is tried again (``attempts`` + 1, the last error kept until it succeeds). A failure to send
(SMTP or network) marks the row failed with the reason, which coordinators see on the reminders
page. ``dry_run`` writes nothing and sends nothing, and counts what would be sent.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from registers.calendar import organisation_today
from registers.models import Organisation
from reporting.models import Reminder, ReminderStatus
from riskreg.mail import absolute
from riskreg.one_line import one_line

from .selection import DAILY, Digest, base_url, digests_for

# What a send can fail with that is worth recording and retrying (not a programming error).
SEND_ERRORS = (smtplib.SMTPException, OSError, TimeoutError)


@dataclass
class Outcome:
    sent: int = 0
    would_send: int = 0
    skipped: int = 0  # already sent earlier
    failed: list[Reminder] = field(default_factory=list)


def subject(digest: Digest) -> str:
    name = digest.organisation.display_name
    if digest.kind == DAILY:
        overdue = len(digest.overdue)
        count = len(digest.lines)
        due = f"{count} thing{'s' if count != 1 else ''} to do"
        return f"{name}: {due}" + (f", {overdue} overdue" if overdue else "")
    return f"{name}: weekly summary of overdue reviews and actions ({len(digest.lines)})"


# A coordinator's weekly digest names the most overdue items, then links to the page listing the
# rest: at 10,000 risks one digest could otherwise run to thousands of lines (bench/reminders.py).
COORDINATOR_DIGEST_LIMIT = 50


def message(digest: Digest) -> EmailMultiAlternatives:
    """The e-mail for one digest: a plain-text body and an HTML alternative."""
    from django.urls import reverse

    slug = digest.organisation.slug
    # The updates awaiting the reader's sign-off are a section of their own (decision 110).
    sign_offs = digest.sign_offs
    # So are the reader's updates sent back to them, to put right (decision 136).
    sent_backs = digest.sent_backs
    own_section = ("sign_off", "sent_back")
    overdue = [line for line in digest.overdue if line.kind not in own_section]
    upcoming = [line for line in digest.upcoming if line.kind not in own_section]
    coordinator = digest.kind != DAILY
    left = []
    if coordinator:
        # The lines come oldest due date first: the longest overdue are the ones named.
        overdue, left = overdue[:COORDINATOR_DIGEST_LIMIT], overdue[COORDINATOR_DIGEST_LIMIT:]
    context = {
        "digest": digest,
        "overdue": overdue,
        "upcoming": upcoming,
        "sign_offs": sign_offs,
        "sent_backs": sent_backs,
        "to_do": bool(overdue or upcoming or sent_backs),
        "more": len(left),
        "more_reviews": sum(1 for line in left if line.kind == "review"),
        "more_actions": sum(1 for line in left if line.kind == "action"),
        "more_url": base_url() + reverse("review_health", kwargs={"org": slug}),
        "organisation": digest.organisation,
        "user": digest.user,
        "coordinator": coordinator,
        # The choice is made on the person's account page, one per organisation.
        "preferences_url": base_url() + reverse("account") + f"#reminders-{slug}",
        # An owner's reviews due are all on one page, with their actions: one click away. A
        # review due told on its sent-back line (decision 137) is one of them.
        "quick_update_url": absolute(reverse("quick_update", kwargs={"org": slug}))
        if not coordinator
        and (digest.reviews or any(line.review_due for line in digest.sent_backs))
        else "",
    }
    text = render_to_string("reporting/email/reminder_digest.txt", context)
    html = render_to_string("reporting/email/reminder_digest.html", context)
    email = EmailMultiAlternatives(
        subject=one_line(subject(digest)),  # as riskreg.mail's (decision 122)
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.user.email],
    )
    email.attach_alternative(html, "text/html")
    return email


@contextmanager
def _commits_without_waiting_for_disk():
    """While sending, COMMIT returns before the record reaches the disk (PostgreSQL's
    ``synchronous_commit = off`` for this connection, set back afterwards).

    Each e-mail's row is committed on its own, so a worker killed mid-run has recorded every
    e-mail it sent; waiting for the disk at each of those commits was most of the run's time
    (about 1,200 flushes at 10,000 risks, bench/reminders.py). The row is still committed and
    locked as before, so no other run sends it again; only a crash of the database server itself
    in the next fraction of a second could lose the record of a sent e-mail, whose digest would
    then be sent once more: a reminder twice, never a reminder lost."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:
            pass  # a broken connection or a rolled-back transaction took the setting with it


def deliver(digest: Digest, *, mail_connection=None) -> str:
    """Send one digest unless already sent; returns the row's status afterwards.
    ``mail_connection``: an open e-mail connection to reuse (one per run, not one per e-mail)."""
    with transaction.atomic():
        reminder, _ = Reminder.objects.select_for_update().get_or_create(
            organisation=digest.organisation,
            user=digest.user,
            kind=digest.kind,
            day=digest.day,
            defaults={"items": len(digest.lines)},
        )
        if reminder.status == ReminderStatus.SENT:
            return "skipped"
        reminder.attempts += 1
        reminder.items = len(digest.lines)
        try:
            email = message(digest)
            email.connection = mail_connection
            email.send(fail_silently=False)
        except SEND_ERRORS as exc:
            if mail_connection is not None:
                mail_connection.close()  # the next e-mail opens a new one
            reminder.status = ReminderStatus.FAILED
            reminder.error = f"{type(exc).__name__}: {exc}"[:2000]
            reminder.save(update_fields=["status", "error", "attempts", "items"])
            return ReminderStatus.FAILED
        reminder.status = ReminderStatus.SENT
        reminder.sent_at = timezone.now()
        reminder.save(update_fields=["status", "sent_at", "attempts", "items"])
        return ReminderStatus.SENT


def send_reminders(
    *, today: dt.date | None = None, dry_run: bool = False, organisations=None
) -> Outcome:
    """Send (or with ``dry_run`` count) every digest due on ``today`` (default: each
    organisation's own today)."""
    outcome = Outcome()
    if organisations is None:
        organisations = Organisation.objects.order_by("slug")
    with ExitStack() as run:
        mail_connection = None

        def send(digest: Digest) -> str:
            # Set up at the first e-mail (a run with nothing to send asks nothing more): one
            # connection to the mail server for the run (SMTP otherwise connects, greets and
            # logs in again for every e-mail), and commits that do not wait for the disk.
            nonlocal mail_connection
            if mail_connection is None:
                run.enter_context(_commits_without_waiting_for_disk())
                mail_connection = get_connection()
                mail_connection.open()
                run.callback(mail_connection.close)
            return deliver(digest, mail_connection=mail_connection)

        _send_all(organisations, today=today, dry_run=dry_run, outcome=outcome, send=send)
    return outcome


def _send_all(organisations, *, today, dry_run, outcome, send) -> None:
    for organisation in organisations:
        day = today or organisation_today(organisation)
        # The day's first run writes a row per person it will send to; a later run (beat runs
        # hourly until evening) only finishes those, so a run stopped part-way is completed and a
        # person who became due since is left to tomorrow's digest, as with one run a day.
        started = {
            (user_id, kind): status
            for user_id, kind, status in Reminder.objects.filter(
                organisation=organisation, day=day
            ).values_list("user_id", "kind", "status")
        }
        if started and all(status == ReminderStatus.SENT for status in started.values()):
            outcome.skipped += len(started)  # the day is done
            continue
        digests = digests_for(organisation=organisation, today=day)
        if started:
            digests = [d for d in digests if (d.user.id, d.kind) in started]
        done = {key for key, status in started.items() if status == ReminderStatus.SENT}
        if dry_run:
            outcome.would_send += sum((d.user.id, d.kind) not in done for d in digests)
            continue
        # The day's rows in one INSERT (rows already there are kept as they are) rather than one
        # get_or_create with its savepoint per e-mail; deliver() still locks each row and reads
        # its status before sending, so two runs at once still send nothing twice.
        Reminder.objects.bulk_create(
            [
                Reminder(
                    organisation=organisation,
                    user=digest.user,
                    kind=digest.kind,
                    day=day,
                    items=len(digest.lines),
                )
                for digest in digests
                if (digest.user.id, digest.kind) not in done
            ],
            ignore_conflicts=True,
        )
        for digest in digests:
            if (digest.user.id, digest.kind) in done:  # sent by an earlier run
                outcome.skipped += 1
                continue
            status = send(digest)
            if status == ReminderStatus.SENT:
                outcome.sent += 1
            elif status == ReminderStatus.FAILED:
                outcome.failed.append(
                    Reminder.objects.get(
                        organisation=organisation, user=digest.user, kind=digest.kind, day=day
                    )
                )
            else:
                outcome.skipped += 1


def retry_reminder(reminder: Reminder) -> str:
    """Try a failed reminder again now (the coordinator's "retry now"): the digest is rebuilt
    for its day. Returns the row's status afterwards ("sent", "failed", or "skipped")."""
    if reminder.status == ReminderStatus.SENT:
        return "skipped"
    digests = digests_for(organisation=reminder.organisation, today=reminder.day)
    for digest in digests:
        if digest.user.id == reminder.user_id and digest.kind == reminder.kind:
            return deliver(digest)
    with transaction.atomic():
        row = Reminder.objects.select_for_update().get(pk=reminder.pk)
        if row.status != ReminderStatus.SENT:
            row.status = ReminderStatus.SENT
            row.items = 0
            row.error = f"{row.error}\nNothing was left to remind about when retried.".strip()
            row.save(update_fields=["status", "items", "error"])
    return "skipped"
