"""The Celery application: ``celery -A riskreg worker`` / ``celery -A riskreg beat``.

Settings come from Django settings under the ``CELERY_`` namespace; with no broker configured
(the demo) tasks run eagerly in-process, see ``riskreg.settings.base``. Queues and routes are
there too (``CELERY_TASK_QUEUES``, ``CELERY_TASK_ROUTES``): pack builds go to ``packs``,
everything else to the default queue ``celery``. Beat's entries are ``riskreg.beat``'s.
"""

import logging
import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler
from django.conf import settings

from .beat import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskreg.settings.local")

log = logging.getLogger(__name__)

app = Celery("riskreg")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _register_tasks_by_name(sender, **kwargs):
    """Every process that queues a task looks it up by name (``task_named`` below: packs,
    e-mail, invitations), and that lookup is what finalizes the app: the apps' ``tasks`` modules
    are imported then, by the same discovery as the worker's, rather than in every process's
    ``AppConfig.ready()``, where ``reporting.tasks`` alone (openpyxl, WeasyPrint, python-docx)
    was half of ``django.setup()`` for each command, shell, test subprocess and test worker that
    queues nothing. Before Django's apps are ready there is nothing to import yet: the worker
    imports them itself (``autodiscover_tasks()`` above) once it has set Django up."""
    from django.apps import apps

    if apps.ready:
        try:
            sender.autodiscover_tasks(force=True)
        except Exception as error:
            # Celery's signal logs a receiver's exception and goes on, so a ``tasks`` module that
            # cannot be imported (WeasyPrint's system libraries missing, say) would surface only
            # as a KeyError at the next lookup: keep the cause for ``task_named`` to raise.
            log.exception("Celery tasks could not be imported")
            _discovery_failures.append(error)
            raise


_discovery_failures: list[Exception] = []


class TaskNotRegistered(LookupError):
    """A task looked up by name is not registered: its name is wrong, or its module failed to
    import when the app was finalized (then the import error is the cause)."""


def task_named(name: str):
    """The registered task called ``name``, as every service that queues one looks it up (the
    first lookup finalizes the app and imports every app's ``tasks``). A name no task carries is
    an error, never a message sent to a queue that no worker reads; when the apps' task modules
    failed to import, the error says so and carries that failure as its cause."""
    try:
        return app.tasks[name]
    except KeyError:
        if _discovery_failures:
            failure = _discovery_failures[-1]
            raise TaskNotRegistered(
                f"Celery task {name!r} is not registered: importing the apps' tasks modules "
                f"failed ({type(failure).__name__}: {failure})"
            ) from failure
        raise TaskNotRegistered(f"Celery task {name!r} is not registered") from None


class HeartbeatScheduler(PersistentScheduler):
    """Celery's default scheduler, touching ``RISKREG_BEAT_HEARTBEAT`` after every tick.

    Beat has no remote control to ping, and a live process can still be stuck (a hung broker
    connection): a health check that reads the file's age sees whether the loop still turns.
    The loop wakes at least every ``CELERY_BEAT_MAX_LOOP_INTERVAL`` seconds.
    """

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        heartbeat = getattr(settings, "RISKREG_BEAT_HEARTBEAT", "")
        if heartbeat:
            Path(heartbeat).touch()
        return interval
