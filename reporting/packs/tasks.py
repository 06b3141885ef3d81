"""Celery task that builds a queued pack (reporting.tasks re-exports it for autodiscovery)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, OperationalError
from django.utils import timezone

from reporting.models import Pack, PackStatus

from .enqueue import BUILD_PACK
from .services import TransientPackError, pack_build, packs_fail_stalled, packs_sweep_queued


@shared_task(
    bind=True,
    name=BUILD_PACK,
    acks_late=True,
    autoretry_for=(OperationalError, TransientPackError, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def build_pack_task(self, pack_id: int) -> str:
    """Idempotent: a ready pack is not rebuilt, nor one another worker is building (the beat
    sweep may have sent a long-queued pack twice); a missing pack is ignored."""
    pack = Pack.objects.select_related("organisation").filter(pk=pack_id).first()
    if pack is None:
        return "missing"
    if pack.status == PackStatus.READY:
        return "ready"
    stalled = timezone.now() - dt.timedelta(seconds=settings.RISKREG_PACK_STALLED_SECONDS)
    if pack.status == PackStatus.BUILDING and pack.started_at and pack.started_at > stalled:
        return "building"
    try:
        pack = pack_build(pack)
    except IntegrityError:
        # A failed pack delivered late while an identical one is queued or building: that one
        # is built instead (one active build per pack, reporting.models.Pack).
        return "duplicate"
    return pack.status


@shared_task(
    name="reporting.request_scheduled_packs",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def request_scheduled_packs_task(today: str | None = None) -> int:
    """Daily (beat): request the packs due on the organisations' calendars, each by its own
    day unless ``today`` is given. Idempotent."""
    from .schedule import request_scheduled_packs

    day = dt.date.fromisoformat(today) if today else None
    return len(request_scheduled_packs(today=day))


@shared_task(name="reporting.fail_stalled_packs", acks_late=True, ignore_result=True)
def fail_stalled_packs_task() -> int:
    """Every few minutes (beat): packs whose worker died mid-build are marked failed, with a
    retry offered, instead of saying "building" for ever; packs whose place in the queue was
    lost are sent again, then failed the same way."""
    return packs_fail_stalled() + packs_sweep_queued()
