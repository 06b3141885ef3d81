"""Request and build committee packs. The Celery task, the web button and the build_pack command
all end up in ``pack_build``."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from reporting.models import Pack, PackEdition, PackKind, PackStatus

from .data import PackDataError, pack_data
from .render import render_pdf

logger = logging.getLogger(__name__)


class TransientPackError(Exception):
    """A failure worth retrying (storage or database briefly unavailable)."""


def _validate(*, organisation, kind: str, as_of: dt.date, edition: str) -> None:
    if kind not in PackKind.values:
        raise ValidationError({"kind": "Choose quarterly or committee."})
    if edition not in PackEdition.values:
        raise ValidationError({"edition": "Choose the full or the public edition."})
    if not isinstance(as_of, dt.date):
        raise ValidationError({"as_of": "Enter the date the pack is as at."})
    if as_of > timezone.localdate():
        raise ValidationError(
            {
                "as_of": "A pack can only show the registers as they were: choose a date that is not in the future."
            }
        )


def pack_request(
    *,
    organisation,
    kind: str,
    as_of: dt.date,
    edition: str = PackEdition.FULL,
    user=None,
    scheduled: bool = False,
) -> Pack:
    """A queued pack; its build is enqueued once the transaction commits."""
    _validate(organisation=organisation, kind=kind, as_of=as_of, edition=edition)
    from .tasks import build_pack_task

    with transaction.atomic():
        pack = Pack.objects.create(
            organisation=organisation,
            kind=kind,
            edition=edition,
            as_of=as_of,
            requested_by=user,
            scheduled=scheduled,
        )
        transaction.on_commit(lambda: build_pack_task.delay(pack.id))
    return pack


def pack_retry(*, pack: Pack) -> Pack:
    """Queue a failed pack again."""
    if pack.status != PackStatus.FAILED:
        raise ValidationError("Only a failed pack can be retried.")
    from .tasks import build_pack_task

    with transaction.atomic():
        Pack.objects.filter(pk=pack.pk).update(status=PackStatus.QUEUED, error="")
        pack.refresh_from_db()
        transaction.on_commit(lambda: build_pack_task.delay(pack.id))
    return pack


def pack_filename(pack: Pack) -> str:
    return f"{pack.organisation.slug}-{pack.kind}-{pack.as_of.isoformat()}-{pack.edition}.pdf"


def pack_render(*, organisation, kind: str, as_of: dt.date, edition: str = PackEdition.FULL):
    """The PDF bytes and page count, built synchronously (the command's path too)."""
    data = pack_data(organisation=organisation, kind=kind, as_of=as_of, edition=edition)
    return render_pdf(data)


def pack_build(pack: Pack) -> Pack:
    """Build the pack's PDF now: building -> ready, or failed with a readable reason. A failure
    leaves no file behind."""
    Pack.objects.filter(pk=pack.pk).update(
        status=PackStatus.BUILDING,
        started_at=timezone.now(),
        attempts=pack.attempts + 1,
        error="",
    )
    pack.refresh_from_db()
    try:
        rendered = pack_render(
            organisation=pack.organisation, kind=pack.kind, as_of=pack.as_of, edition=pack.edition
        )
    except TransientPackError:
        raise
    except SoftTimeLimitExceeded:
        logger.warning("Pack %s stopped at the packs worker's soft time limit", pack.pk)
        return _fail(
            pack,
            "The build ran past the packs worker's time limit and was stopped. Retry it; if it "
            "stops again, ask your administrator to raise PACK_SOFT_TIME_LIMIT.",
        )
    except PackDataError as error:
        return _fail(pack, str(error))
    except Exception as error:  # noqa: BLE001  any failure is reported on the pack
        logger.exception("Pack %s failed to build", pack.pk)
        return _fail(pack, f"The pack could not be built: {type(error).__name__}: {error}")
    old_name = pack.file.name if pack.file else ""
    name = ""
    try:
        name = pack.file.storage.save(
            pack.file.field.generate_filename(pack, pack_filename(pack)),
            ContentFile(rendered.pdf),
        )
        with transaction.atomic():
            Pack.objects.filter(pk=pack.pk).update(
                status=PackStatus.READY,
                file=name,
                size=len(rendered.pdf),
                sha256=hashlib.sha256(rendered.pdf).hexdigest(),
                pages=rendered.pages,
                finished_at=timezone.now(),
                error="",
            )
    except Exception as error:  # noqa: BLE001
        if name:
            pack.file.storage.delete(name)
        logger.exception("Pack %s could not be stored", pack.pk)
        return _fail(pack, f"The pack was built but could not be stored: {error}")
    if old_name and old_name != name:
        pack.file.storage.delete(old_name)
    pack.refresh_from_db()
    return pack


STALLED_REASON = (
    "The build stopped without finishing: it ran past the packs worker's hard time limit, or its "
    "worker was stopped or lost. Nothing was stored. Retry it."
)


def packs_fail_stalled(*, now: dt.datetime | None = None) -> int:
    """Mark failed the packs left "building" longer than ``RISKREG_PACK_STALLED_SECONDS``.

    A worker killed mid-build (the hard time limit, out of memory, a host restart) never gets to
    say so: Celery acknowledges the message and the row would say "building" for ever, with no
    retry offered. Beat runs this every few minutes; the threshold is longer than the hard time
    limit, so a build still running is never touched. Returns how many were marked."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.RISKREG_PACK_STALLED_SECONDS)
    # One UPDATE that checks the status itself: a build finishing meanwhile keeps its result.
    marked = Pack.objects.filter(status=PackStatus.BUILDING, started_at__lt=cutoff).update(
        status=PackStatus.FAILED, error=STALLED_REASON, finished_at=now, file=""
    )
    if marked:
        logger.warning("Marked %s stalled pack(s) failed", marked)
    return marked


def _fail(pack: Pack, reason: str) -> Pack:
    Pack.objects.filter(pk=pack.pk).update(
        status=PackStatus.FAILED, error=reason[:2000], finished_at=timezone.now(), file=""
    )
    pack.refresh_from_db()
    return pack
