"""The Celery application: ``celery -A riskreg worker`` / ``celery -A riskreg beat``.

Settings come from Django settings under the ``CELERY_`` namespace; with no broker configured
(the demo) tasks run eagerly in-process, see ``riskreg.settings.base``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskreg.settings.local")

app = Celery("riskreg")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
