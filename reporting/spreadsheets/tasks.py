"""Celery tasks that check and write a big import (reporting.tasks re-exports them for
autodiscovery). Each takes the job's id and runs one step of ``jobs``; a job no longer at that
step is left alone, so a task delivered twice does its work once."""

from __future__ import annotations

from celery import shared_task

from .jobs import IMPORT_CHECK, IMPORT_WRITE, import_job_check, import_job_write

__all__ = ["import_check_task", "import_write_task"]


@shared_task(name=IMPORT_CHECK, acks_late=True)
def import_check_task(job_id: int) -> str:
    return import_job_check(job_id=job_id)


@shared_task(name=IMPORT_WRITE, acks_late=True)
def import_write_task(job_id: int) -> str:
    return import_job_write(job_id=job_id)
