"""``send_reminders [--today YYYY-MM-DD] [--dry-run]``: the same code as the daily beat task.

Idempotent: a second run on the same day sends nothing new. The last line is ``sent N`` (or
``would send N`` with ``--dry-run``, which writes nothing and sends nothing).
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from reporting.reminders.sending import send_reminders

# Reminders look months either side of "today"; days near the calendar's ends would overflow.
TODAY_RANGE = (dt.date(1900, 1, 1), dt.date(2999, 12, 31))


def _date(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--today must be a date as YYYY-MM-DD, like 2026-04-01 (got {value!r})"
        ) from None
    first, last = TODAY_RANGE
    if not first <= day <= last:
        raise CommandError(f"--today must be a date from {first} to {last} (got {value!r})")
    return day


class Command(BaseCommand):
    help = "Send today's reminder e-mails (review and action digests); idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the day to send for, YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be sent; send nothing"
        )

    def handle(self, *args, today=None, dry_run=False, **options):
        day = _date(today) if today else None
        outcome = send_reminders(today=day, dry_run=dry_run)
        if dry_run:
            self.stdout.write(f"would send {outcome.would_send}")
            return
        for reminder in outcome.failed:
            self.stderr.write(
                f"failed: {reminder.user.email} ({reminder.organisation.slug}, {reminder.kind}):"
                f" {reminder.error}"
            )
        if outcome.skipped:
            self.stdout.write(f"already sent earlier: {outcome.skipped}")
        self.stdout.write(f"sent {outcome.sent}")
