"""Checks of a deployment that Django's own do not make, run by ``manage.py check --deploy``
(docs/deploy.md runs it after every release).

Celery's tasks are registered when its app is finalized (``riskreg.celery``, decision 83), and
Celery's signal swallows an import error there: a web process whose ``reporting.tasks`` cannot be
imported (WeasyPrint's system libraries missing, say) starts and serves pages, and fails only when
it first queues a pack or an e-mail. These checks import every app's ``tasks`` module and look up
every task that beat sends or a route names, so a broken image is found before it serves.
"""

from __future__ import annotations

import importlib
import importlib.util

from django.apps import apps
from django.conf import settings
from django.core import checks

TASKS_MODULE_UNIMPORTABLE = "riskreg.E001"
TASK_NOT_REGISTERED = "riskreg.E002"


@checks.register("celery", deploy=True)
def celery_tasks(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = [
        checks.Error(
            f"{module} cannot be imported ({type(error).__name__}: {error}).",
            hint="Its Celery tasks are not registered: the worker does not start and web "
            "processes cannot queue them. Install what the import needs (README, Deploying).",
            obj=module,
            id=TASKS_MODULE_UNIMPORTABLE,
        )
        for module, error in _unimportable_task_modules(app_configs or apps.get_app_configs())
    ]
    if errors or app_configs:
        return errors
    from .beat import BEAT_SCHEDULE
    from .celery import app

    named = {entry["task"]: f"beat entry {key!r}" for key, entry in BEAT_SCHEDULE.items()}
    named.update(
        dict.fromkeys(_routed_task_names(settings.CELERY_TASK_ROUTES), "CELERY_TASK_ROUTES")
    )
    return [
        checks.Error(
            f"Celery task {task!r}, named by {where}, is not registered.",
            hint="Correct the name, or the tasks module that should define it.",
            obj=task,
            id=TASK_NOT_REGISTERED,
        )
        for task, where in sorted(named.items())
        if task not in app.tasks
    ]


def _unimportable_task_modules(app_configs) -> list[tuple[str, Exception]]:
    failures = []
    for config in app_configs:
        module = f"{config.name}.tasks"
        try:
            if importlib.util.find_spec(module) is not None:
                importlib.import_module(module)
        except Exception as error:  # noqa: BLE001  any failure to import is the finding
            failures.append((module, error))
    return failures


def _routed_task_names(routes) -> list[str]:
    """The task names a route names exactly: a route may also be a glob (``"reporting.*"``) or
    a regular expression, and the setting a list of routers, which name no one task."""
    if not isinstance(routes, dict):
        return []
    return [name for name in routes if isinstance(name, str) and not set(name) & set("*?[")]
