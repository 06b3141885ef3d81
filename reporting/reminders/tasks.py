"""Celery tasks for reminders (discovered through ``reporting.tasks``).

``send_reminders_task`` is what the beat schedule runs at 07:00 and hourly until 20:00, each
later run finishing only what the day's first one left unsent (``riskreg.beat``);
it is idempotent (the ``Reminder`` rows), ``acks_late`` (a worker lost mid-run leaves the message
for another worker, which sends only what was not sent), retried with exponential backoff on
transient database or network errors, and retried later when some sends failed.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .sending import send_reminders

__all__ = ["send_reminders_task"]

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
FAILED_RETRY_SECONDS = 15 * 60
MAX_RETRIES = 5


@shared_task(
    bind=True,
    name="reporting.send_reminders",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def send_reminders_task(self, today: str | None = None) -> dict:
    """Send the digests due on ``today`` (ISO date; None = each organisation's today)."""
    day = dt.date.fromisoformat(today) if today else None
    outcome = send_reminders(today=day)
    result = {"sent": outcome.sent, "skipped": outcome.skipped, "failed": len(outcome.failed)}
    if outcome.failed and self.request.retries < MAX_RETRIES:
        # Failed sends are recorded; try them again later (sent ones are skipped then).
        raise self.retry(countdown=FAILED_RETRY_SECONDS * (2**self.request.retries))
    return result
