"""A tasks module that cannot be imported is found before the process serves (``manage.py check
--deploy``), and a lookup by name says why a task is missing rather than raising a bare KeyError
(``riskreg.celery.task_named``): Celery's finalize signal swallows the import error itself."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from riskreg import beat, celery, checks


def test_every_installed_tasks_module_imports_and_every_named_task_is_registered():
    assert checks.celery_tasks() == []


def test_a_tasks_module_that_cannot_be_imported_is_an_error(tmp_path, monkeypatch):
    package = tmp_path / "brokenapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tasks.py").write_text("raise OSError(\"cannot load library 'libpango-1.0-0'\")\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "brokenapp", raising=False)

    errors = checks.celery_tasks(app_configs=[SimpleNamespace(name="brokenapp")])

    assert [error.id for error in errors] == [checks.TASKS_MODULE_UNIMPORTABLE]
    assert "brokenapp.tasks cannot be imported (OSError" in errors[0].msg
    assert "libpango" in errors[0].msg


def test_an_app_without_a_tasks_module_is_no_error():
    assert checks.celery_tasks(app_configs=[SimpleNamespace(name="scoring")]) == []


def test_a_beat_entry_naming_no_registered_task_fails_check_deploy(monkeypatch):
    monkeypatch.setitem(beat.BEAT_SCHEDULE, "misspelt", {"task": "reporting.send_reminder"})

    errors = checks.celery_tasks()

    assert [(error.id, error.obj) for error in errors] == [
        (checks.TASK_NOT_REGISTERED, "reporting.send_reminder")
    ]
    assert "beat entry 'misspelt'" in errors[0].msg
    with pytest.raises(SystemCheckError, match="reporting.send_reminder"):
        call_command("check", "--deploy", "--tag", "celery")


def test_a_task_lookup_names_the_import_failure_as_its_cause(monkeypatch):
    failure = OSError("cannot load library 'libpango-1.0-0'")
    monkeypatch.setattr(celery, "_discovery_failures", [failure])

    with pytest.raises(celery.TaskNotRegistered, match="libpango") as raised:
        celery.task_named("reporting.no_such_task")

    assert raised.value.__cause__ is failure
    assert celery.task_named("riskreg.send_email").name == "riskreg.send_email"


def test_a_failed_discovery_is_kept_and_raised(monkeypatch):
    monkeypatch.setattr(celery, "_discovery_failures", [])

    class Sender:
        def autodiscover_tasks(self, force):
            raise ImportError("no module named weasyprint")

    with pytest.raises(ImportError):
        celery._register_tasks_by_name(sender=Sender())
    assert [str(error) for error in celery._discovery_failures] == ["no module named weasyprint"]


def test_an_unknown_name_without_a_failure_is_still_refused(monkeypatch):
    monkeypatch.setattr(celery, "_discovery_failures", [])

    with pytest.raises(
        celery.TaskNotRegistered, match="'reporting.no_such_task' is not registered"
    ):
        celery.task_named("reporting.no_such_task")


def test_routes_by_pattern_or_router_name_no_task_to_look_up(settings):
    settings.CELERY_TASK_ROUTES = {"reporting.*": {"queue": "packs"}, "riskreg.send_email": {}}
    assert checks.celery_tasks() == []
    settings.CELERY_TASK_ROUTES = [{"reporting.build_pack": {"queue": "packs"}}]
    assert checks.celery_tasks() == []
    settings.CELERY_TASK_ROUTES = {"reporting.build_packs": {"queue": "packs"}}
    assert [error.obj for error in checks.celery_tasks()] == ["reporting.build_packs"]
