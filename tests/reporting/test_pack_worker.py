"""Integration: a pack built through a real Celery worker against the Redis on this machine,
using the test database and a file storage under a temporary MEDIA_ROOT both processes see.
Skipped when Redis does not answer or the database is not a shared PostgreSQL."""

import os
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from registers.models import Register
from reporting.models import Pack, PackStatus
from reporting.packs.tasks import build_pack_task
from tests.factories import OrganisationFactory, RiskFactory
from tests.reporting.celery_subprocess import (
    ROOT,
    celery_worker,
    database_url,
    redis_answers,
    wait_for,
)

BROKER = os.environ.get("RISKREG_TEST_PACK_REDIS", "redis://127.0.0.1:6379/7")
QUEUE = f"riskreg-test-packs-{os.getpid()}"  # a worker left by a killed run takes no task of ours


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not redis_answers(), reason="Redis is not running on 127.0.0.1:6379"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a shared PostgreSQL"),
]


def _env(media: Path) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "riskreg.settings.local",
            "DATABASE_URL": database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": BROKER,
            "DJANGO_MEDIA_ROOT": str(media),
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.fixture
def media(tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, MEDIA_ROOT=str(root)):
        yield root


@pytest.fixture
def worker(media, tmp_path):
    env = _env(media)
    with celery_worker(queue=QUEUE, env=env, log_path=tmp_path / "worker.log") as worker:
        yield worker


def test_pack_built_through_the_queue(worker, media):
    from riskreg.celery import app

    process, log = worker
    organisation = OrganisationFactory(name="Queue Test Authority")
    register = Register.objects.get(organisation=organisation, slug="corporate")
    RiskFactory(register=register, ref="Q1", title="Queued risk", positions={"current": (4, 4)})
    pack = Pack.objects.create(
        organisation=organisation, kind="quarterly", as_of=timezone.localdate()
    )
    with app.connection_for_write(BROKER) as conn:
        build_pack_task.apply_async(args=[pack.pk], queue=QUEUE, connection=conn)

    def finished() -> bool:
        pack.refresh_from_db()
        return pack.status in (PackStatus.READY, PackStatus.FAILED)

    done = wait_for(finished, timeout=90)
    log.seek(0)
    output = log.read()
    assert done, f"the pack was not built through the worker; its log:\n{output}"
    assert pack.status == PackStatus.READY, f"{pack.error}\n{output}"
    assert pack.attempts == 1 and pack.pages >= 1
    stored = media / pack.file.name
    assert stored.exists() and stored.read_bytes().startswith(b"%PDF")
    assert stored.stat().st_size == pack.size
    # delivered again: a ready pack is not rebuilt
    with app.connection_for_write(BROKER) as conn:
        build_pack_task.apply_async(args=[pack.pk], queue=QUEUE, connection=conn)
    assert wait_for(
        lambda: "'ready'" in (log.seek(0) or log.read())
        and (log.seek(0) or log.read()).count("succeeded") >= 2
    )
    pack.refresh_from_db()
    assert pack.attempts == 1
