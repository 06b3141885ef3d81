"""Integration: a big import checked and written through a real Celery worker against the Redis
on this machine and the test database (the one test of the import tasks that goes through the
queue; the others call the tasks directly). Skipped when Redis does not answer or the database
is not a shared PostgreSQL."""

import os

import pytest
from django.db import connection

from registers.models import Risk, Role
from reporting.models import ImportJob, ImportJobStatus
from reporting.spreadsheets.jobs import import_job_confirm
from reporting.spreadsheets.tasks import import_check_task, import_write_task
from reporting.spreadsheets.uploads import import_upload_save
from tests.factories import MembershipFactory, OrganisationFactory, corporate_register_of
from tests.reporting.celery_subprocess import (
    ROOT,
    celery_worker,
    database_url,
    redis_answers,
    wait_for,
)
from tests.reporting.conftest import csv_bytes

BROKER = os.environ.get("RISKREG_TEST_IMPORT_REDIS", "redis://127.0.0.1:6379/7")
QUEUE = f"riskreg-test-imports-{os.getpid()}"  # a worker left by a killed run takes no task of ours
ROWS = 300

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not redis_answers(), reason="Redis is not running on 127.0.0.1:6379"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a shared PostgreSQL"),
]


@pytest.fixture
def worker(tmp_path):
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "riskreg.settings.local",
            "DATABASE_URL": database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": BROKER,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    with celery_worker(queue=QUEUE, env=env, log_path=tmp_path / "worker.log") as (_, log):
        yield log


def send(task, job_id: int) -> None:
    from riskreg.celery import app

    with app.connection_for_write(BROKER) as conn:
        task.apply_async(args=[job_id], queue=QUEUE, connection=conn)


def test_a_big_import_is_checked_and_written_by_the_worker(worker):
    organisation = OrganisationFactory(name="Import Queue Authority")
    register = corporate_register_of(organisation)
    user = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    rows = [["ref", "title", "controls", "actions"]] + [
        [f"W{n}", f"Queued risk {n}", f"Control {n}a\nControl {n}b", f"Action {n}"]
        for n in range(ROWS)
    ]
    upload = import_upload_save(
        register=register, user=user, filename="queued.csv", data=csv_bytes(rows)
    )
    job = ImportJob.objects.create(
        organisation=organisation,
        register=register,
        user=user,
        upload=upload,
        filename=upload.filename,
        rows_total=ROWS,
    )

    def at(*statuses):
        def reached() -> bool:
            job.refresh_from_db()
            return job.status in statuses

        return reached

    def output() -> str:
        worker.seek(0)
        return worker.read()

    send(import_check_task, job.pk)
    assert wait_for(at(ImportJobStatus.CHECKED, ImportJobStatus.FAILED), 90), output()
    assert job.status == ImportJobStatus.CHECKED, f"{job.message}\n{output()}"
    assert job.preview["created"] == ROWS and job.rows_checked == ROWS

    import_job_confirm(job=job, fingerprint=job.fingerprint)  # queues on commit: not here
    send(import_write_task, job.pk)
    assert wait_for(at(ImportJobStatus.DONE, ImportJobStatus.FAILED, ImportJobStatus.CHECKED), 90)
    assert job.status == ImportJobStatus.DONE, f"{job.message}\n{output()}"
    assert Risk.objects.filter(organisation=organisation).count() == ROWS
    assert job.rows_written == ROWS and job.upload is None

    # Delivered again: a job already written is left alone.
    send(import_write_task, job.pk)
    assert wait_for(lambda: output().count("succeeded") >= 3, 60), output()
    assert "'skipped'" in output()
    assert Risk.objects.filter(organisation=organisation).count() == ROWS
