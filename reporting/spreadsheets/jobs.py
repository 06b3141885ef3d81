"""Big imports in the background: a file of more than ``RISKREG_IMPORT_BACKGROUND_ROWS`` rows
uploaded in the browser is checked by one Celery task and, once its uploader has looked at the
preview and confirmed, written by another: the same plan, the same all-or-nothing write
(``importing.import_apply``) as a small file, without holding a web request for it.

An ImportJob moves checking -> checked -> (confirmed) writing -> done; a failure at either step
is ``failed`` with the step, and a retry runs that step again. If the register changed between
the check and the write, the write is not made and the job is back at ``checked`` with a fresh
preview, as the small file's confirm page answers 409. The tasks take the job's id and do
nothing for a job no longer at their step, so a task delivered twice writes once.

Progress (rows checked, rows written) is told through the cache while a step runs, since the
write happens in one transaction no other connection can see into; the job's own row holds the
counts once the step ends.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from registers import permissions
from registers.models import Register, Role
from registers.services.register_archive import registers_hold_for_risks

from ..models import ImportJob, ImportJobStatus, ImportUpload
from ..packs.enqueue import task_send
from .import_outcome import import_done_message
from .importing import ImportPlan, ImportRefused, import_apply, import_plan, plan_lines
from .indicator_sheets import indicator_counts
from .preview import ROWS_SHOWN, risk_tables
from .reading import SpreadsheetError
from .uploads import KEEP_FOR

logger = logging.getLogger(__name__)

IMPORT_CHECK = "reporting.import_check"
IMPORT_WRITE = "reporting.import_write"
DEFAULT_BACKGROUND_ROWS = 200
DEFAULT_STALLED_SECONDS = 600  # a step of 10,000 rows takes well under a minute
LINES_KEPT = 500  # of the preview's list of changes; the counts cover every row
PROBLEMS_KEPT = 500
PROGRESS_FOR = 24 * 60 * 60  # seconds the cache keeps a job's progress

FILE_GONE = (
    "The file is no longer kept (files are kept for a day, and only the latest per register): "
    "upload it again."
)
NO_LONGER_EDITS = "You no longer edit this register, so the file cannot be imported into it."
NO_LONGER_INVITES = "You can no longer invite people: upload the file again without inviting."
FAILED = "Something went wrong while {step} the file; nothing was imported. Try again."
QUEUE_DOWN = "The import could not be queued (the task queue is not answering). Try again."
CHANGED_SINCE_CHECK = (
    "The register has changed since the file was checked, so nothing was imported. This is a "
    "fresh check against the register as it is now: look through it and confirm again."
)
NOT_CHECKED = "This import is not waiting for a confirmation."
FINGERPRINT_STALE = "The check you confirmed is out of date: look through this one and confirm."
HAS_PROBLEMS = "The file has problems: fix them and upload it again."
NOT_FAILED = "Only a failed or stalled import can be tried again."


def background_rows() -> int:
    """Files with more rows than this are checked and written in the background."""
    return getattr(settings, "RISKREG_IMPORT_BACKGROUND_ROWS", DEFAULT_BACKGROUND_ROWS)


def _progress_key(job_id: int) -> str:
    return f"reporting:import-job:{job_id}:progress"


def _tell(job_id: int, **counts: int) -> None:
    key = _progress_key(job_id)
    cache.set(key, {**(cache.get(key) or {}), **counts}, PROGRESS_FOR)


def import_job_stalled(job: ImportJob) -> bool:
    """A step that has said nothing for RISKREG_IMPORT_STALLED_SECONDS: its task was lost or its
    worker stopped. It may be run again (a step still running holds the job's row, so the second
    waits for it and then finds nothing to do)."""
    limit = getattr(settings, "RISKREG_IMPORT_STALLED_SECONDS", DEFAULT_STALLED_SECONDS)
    return job.status in (ImportJobStatus.CHECKING, ImportJobStatus.WRITING) and (
        job.updated_at < timezone.now() - dt.timedelta(seconds=limit)
    )


def import_job_progress(job: ImportJob) -> dict[str, int]:
    """Rows checked and written so far: the running step's count from the cache, else the
    job's own."""
    told = cache.get(_progress_key(job.pk)) or {}
    return {
        "checked": max(job.rows_checked, told.get("checked", 0)),
        "written": max(job.rows_written, told.get("written", 0)),
        "total": job.rows_total,
    }


# --- the person's side (views) -----------------------------------------------------------------


@transaction.atomic
def import_job_start(*, upload: ImportUpload, rows: int, invite: bool = False) -> ImportJob:
    """A job for an uploaded file of ``rows`` rows, its check queued once this commits;
    ``invite``: the import's invite option (people not yet members are invited). The person's
    jobs of more than a day ago that are not running are dropped (their files already are).
    The register is held until the job is saved: one deleted or archived since the file was
    uploaded is refused by name (decision 112), not a failure at commit."""
    registers_hold_for_risks([upload.register])
    ImportJob.objects.filter(
        user_id=upload.user_id, created_at__lt=timezone.now() - KEEP_FOR
    ).exclude(status__in=(ImportJobStatus.CHECKING, ImportJobStatus.WRITING)).delete()
    job = ImportJob.objects.create(
        invite=invite,
        organisation_id=upload.organisation_id,
        register_id=upload.register_id,
        user_id=upload.user_id,
        upload=upload,
        filename=upload.filename,
        rows_total=rows,
    )
    cache.delete(_progress_key(job.pk))  # an id used before (a database restored, SQLite)
    _enqueue_on_commit(IMPORT_CHECK, job.pk)
    return job


def import_job_for_user(*, user, register: Register, pk: int) -> ImportJob:
    """Only the person who started a job sees it, and only on its own register; anyone else
    (another member, another organisation) gets a 404, as for an upload's preview."""
    job = (
        ImportJob.objects.select_related("register", "organisation")
        .filter(pk=pk, user=user, register=register, organisation_id=register.organisation_id)
        .first()
    )
    if job is None:
        raise Http404("No such import")
    return job


@transaction.atomic
def import_job_confirm(*, job: ImportJob, fingerprint: str) -> ImportJob:
    """Write the checked plan the person saw (``fingerprint``); raises ValidationError when the
    job is not waiting for that confirmation."""
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if locked.status != ImportJobStatus.CHECKED:
        raise ValidationError(NOT_CHECKED)
    if locked.preview.get("problem_count"):
        raise ValidationError(HAS_PROBLEMS)
    if fingerprint != locked.fingerprint:
        raise ValidationError(FINGERPRINT_STALE)
    locked.status, locked.message = ImportJobStatus.WRITING, ""
    locked.confirmed_fingerprint = fingerprint
    locked.rows_written = 0
    locked.save()
    cache.delete(_progress_key(locked.pk))
    _enqueue_on_commit(IMPORT_WRITE, locked.pk)
    return locked


@transaction.atomic
def import_job_retry(*, job: ImportJob) -> ImportJob:
    """Run a failed step again: the check, or the write the person had confirmed."""
    locked = ImportJob.objects.select_for_update(skip_locked=True).filter(pk=job.pk).first()
    if locked is None:  # a step is running now: it holds the row
        raise ValidationError(NOT_FAILED)
    if import_job_stalled(locked):
        locked.failed_step = "write" if locked.status == ImportJobStatus.WRITING else "check"
    elif locked.status != ImportJobStatus.FAILED:
        raise ValidationError(NOT_FAILED)
    writing = locked.failed_step == "write"
    locked.status = ImportJobStatus.WRITING if writing else ImportJobStatus.CHECKING
    locked.failed_step, locked.message, locked.finished_at = "", "", None
    locked.save()
    cache.delete(_progress_key(locked.pk))
    _enqueue_on_commit(IMPORT_WRITE if writing else IMPORT_CHECK, locked.pk)
    return locked


@transaction.atomic
def import_job_cancel(*, job: ImportJob) -> None:
    """Drop the job and its file (nothing was written, unless it is done: then only the record
    of it goes)."""
    locked = ImportJob.objects.select_for_update().filter(pk=job.pk).first()
    if locked is None:
        return
    if locked.status == ImportJobStatus.WRITING:
        raise ValidationError("The file is being written; it cannot be cancelled now.")
    if locked.upload_id:
        ImportUpload.objects.filter(pk=locked.upload_id).delete()
    locked.delete()


def _enqueue_on_commit(name: str, job_id: int) -> None:
    transaction.on_commit(lambda: _enqueue(name, job_id))


def _enqueue(name: str, job_id: int) -> None:
    """Queue the step; if the broker is down, the job fails with a retry offered instead of
    saying "checking" for ever."""
    try:
        task_send(name, args=[job_id])
    except (KombuOperationalError, OSError) as error:
        logger.warning("Import job %s could not be queued: %s", job_id, error)
        ImportJob.objects.filter(
            pk=job_id, status__in=(ImportJobStatus.CHECKING, ImportJobStatus.WRITING)
        ).update(
            status=ImportJobStatus.FAILED,
            failed_step="write" if name == IMPORT_WRITE else "check",
            message=QUEUE_DOWN,
            finished_at=timezone.now(),
        )


# --- the worker's side (tasks) -----------------------------------------------------------------


class _Refused(Exception):
    """The step cannot run for a reason the person can act on (the message says which)."""


def _locked(job_id: int, status: str) -> ImportJob | None:
    return (
        ImportJob.objects.select_for_update(of=("self",))
        .select_related("organisation", "register", "user", "upload")
        .filter(pk=job_id, status=status)
        .first()
    )


def _plan(
    job: ImportJob, *, progress: Callable[[int], None] | None = None
) -> tuple[ImportPlan, Callable]:
    """The job's file checked against the register as it is now, with the uploader's rights;
    and their OFFICIAL-SENSITIVE clearance, for what the preview may show them."""
    if job.upload is None:
        raise _Refused(FILE_GONE)
    try:
        access = permissions.organisation_for_user(user=job.user, slug=job.organisation.slug)
    except Http404:
        raise _Refused(NO_LONGER_EDITS) from None
    if not access.can_edit_register(job.register):
        raise _Refused(NO_LONGER_EDITS)
    if job.invite and not access.can_invite_role(Role.OWNER):
        raise _Refused(NO_LONGER_INVITES)
    try:
        plan = import_plan(
            register=job.register,
            data=bytes(job.upload.data),
            filename=job.upload.filename,
            for_browser=True,
            can_edit=access.can_edit_register,
            invite=job.invite,
            invited_by=job.user,
            progress=progress,
        )
    except SpreadsheetError as exc:
        raise _Refused(f"{job.filename}: {exc}. Nothing was imported.") from None
    return plan, access.can_see_sensitive


def _preview(plan: ImportPlan, *, can_see: Callable) -> dict:
    """What the job's page shows of the checked plan, as the small file's preview does: the
    counts, notes, people to invite, problems, and the first ROWS_SHOWN new and changed risks
    (``preview.risk_tables``: withheld where the uploader may not read a risk, ``can_see``)."""
    lines = plan_lines(plan, dry_run=True, can_see=can_see)
    return {
        "created": len(plan.created),
        "updated": len(plan.updated),
        "unchanged": len(plan.unchanged),
        "summary": plan.summary,
        "indicators": indicator_counts(plan),  # written ones only (issue 18)
        "notes": plan.notes[:PROBLEMS_KEPT],
        "invites": plan.invites.lines(dry_run=True) if plan.invites else [],
        "problem_count": len(plan.problems),
        "problem_rows": len(plan.problems_by_row()),
        "problems": [str(problem) for problem in plan.problems[:PROBLEMS_KEPT]],
        **risk_tables(plan, can_see=can_see, limit=ROWS_SHOWN),
        "line_count": len(lines),
        "lines": lines[:LINES_KEPT],
    }


def _checked(job: ImportJob, checked: tuple, *, message: str = "") -> None:
    plan, can_see = checked
    job.status, job.message = ImportJobStatus.CHECKED, message
    job.fingerprint, job.preview = plan.fingerprint, _preview(plan, can_see=can_see)
    job.rows_checked = job.rows_total
    job.save()


def _failed(job_id: int, step: str, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJobStatus.FAILED,
        failed_step=step,
        message=message,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def import_job_check(*, job_id: int) -> str:
    """Check the job's file (the check task). Returns the job's status after."""
    try:
        with transaction.atomic():
            job = _locked(job_id, ImportJobStatus.CHECKING)
            if job is None:  # gone, or this step already ran
                return "skipped"
            job.attempts += 1
            _checked(job, _plan(job, progress=lambda rows: _tell(job_id, checked=rows)))
            return job.status
    except _Refused as refusal:
        _failed(job_id, "check", str(refusal))
    except Exception:
        logger.exception("Import job %s: the check failed", job_id)
        _failed(job_id, "check", FAILED.format(step="checking"))
    return ImportJobStatus.FAILED


def import_job_write(*, job_id: int) -> str:
    """Write the confirmed plan (the write task): all rows or none. Returns the job's status."""
    try:
        with transaction.atomic():
            job = _locked(job_id, ImportJobStatus.WRITING)
            if job is None:
                return "skipped"
            job.attempts += 1
            checked = _plan(job)
            plan = checked[0]
            if plan.fingerprint != job.confirmed_fingerprint:
                _checked(job, checked, message=CHANGED_SINCE_CHECK)
                return job.status
            try:
                import_apply(
                    plan=plan, by=job.user, progress=lambda rows: _tell(job_id, written=rows)
                )
            except ImportRefused as refused:
                _checked(
                    job, _plan(job), message=" ".join([CHANGED_SINCE_CHECK, *refused.problems])
                )
                return job.status
            upload_id = job.upload_id
            job.upload = None
            job.status, job.rows_written = ImportJobStatus.DONE, len(plan.rows)
            job.message = import_done_message(plan, filename=job.filename)
            job.finished_at = timezone.now()
            job.save()
            ImportUpload.objects.filter(pk=upload_id).delete()
            return job.status
    except _Refused as refusal:
        _failed(job_id, "write", str(refusal))
    except Exception:
        logger.exception("Import job %s: the write failed", job_id)
        _failed(job_id, "write", FAILED.format(step="writing"))
    return ImportJobStatus.FAILED
