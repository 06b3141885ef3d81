"""Celery tasks of the registers app (registered when the Celery app is finalized)."""

from __future__ import annotations

from celery import shared_task

from .services.acceptance import risk_acceptances_expire
from .services.invitation_batches import SEND_BATCH, invitation_batch_run
from .services.notices import notice_digest_send


@shared_task(name=SEND_BATCH)
def send_invitation_batch(
    *, organisation_id: int, invited_by_id: int, rows: list, confirmed_at: str
) -> int:
    """Send a confirmed bulk invitation, all or nothing (``invitation_batch_run``); a second
    run of the same batch sends nothing more."""
    return invitation_batch_run(
        organisation_id=organisation_id,
        invited_by_id=invited_by_id,
        rows=rows,
        confirmed_at=confirmed_at,
    )


EXPIRE_ACCEPTANCES = "registers.expire_risk_acceptances"


@shared_task(name=EXPIRE_ACCEPTANCES)
def expire_risk_acceptances() -> int:
    """End the risk acceptances past their date and tell their approvers (and remind them a
    fortnight before); idempotent, so a second run the same day does nothing more."""
    return risk_acceptances_expire()


@shared_task(name="registers.send_notice_digest", acks_late=True, reject_on_worker_lost=True)
def send_notice_digest() -> int:
    """The daily digest of notifications (beat, 07:30 London): one e-mail per person with what
    they asked to have daily. A rerun, or a second worker, sends nothing twice: the notices are
    claimed as their e-mail is queued (``notice_digest_send``)."""
    return notice_digest_send()
