"""The Celery application: ``celery -A riskreg worker`` / ``celery -A riskreg beat``.

Settings come from Django settings under the ``CELERY_`` namespace; with no broker configured
(the demo) tasks run eagerly in-process, see ``riskreg.settings.base``. Queues and routes are
there too (``CELERY_TASK_QUEUES``, ``CELERY_TASK_ROUTES``): pack builds go to ``packs``,
everything else to the default queue ``celery``. Beat's entries are ``riskreg.beat``'s.
"""

import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler
from django.conf import settings

from .beat import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskreg.settings.local")

app = Celery("riskreg")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()


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
