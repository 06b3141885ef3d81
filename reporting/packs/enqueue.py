"""Where a service meets the Celery task it queues: by the task's registered name. The task
imports the service it runs, so the service must not import the task back (issue 13).

The Celery app registers every task when it is finalized, which the first lookup by name does
(``riskreg/celery.py``, decision 83), so every process (web, worker, command) knows them by
name without importing them at start-up, and the task's own ``apply_async`` still runs: eager mode (the demo without a
broker) builds in-process as before, and the routing to the ``packs`` queue is unchanged."""

from __future__ import annotations

from riskreg.celery import task_named

BUILD_PACK = "reporting.build_pack"


def task_send(name: str, *, args: list, **options) -> None:
    """Queue the task registered as ``name`` (``riskreg.celery.task_named``: a name no task
    carries is an error, never a message sent to a queue that no worker reads)."""
    task_named(name).apply_async(args=args, **options)
