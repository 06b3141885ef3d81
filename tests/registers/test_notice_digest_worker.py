"""The daily digest run by a real Celery worker (one integration test per task, STYLE.md 12):
the beat's task name reaches ``registers.send_notice_digest``, the notices are claimed in the
shared database, and the digest e-mail goes out through the worker's own e-mail task."""

import os
import re

import pytest
from django.db import connection

from registers.models import Delivery, Notice, NoticeKind, NoticePreference, Role
from registers.services.notices import notify
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.reporting.celery_subprocess import (
    ROOT,
    celery_worker,
    database_url,
    redis_answers,
    wait_for,
)

BROKER = os.environ.get("RISKREG_TEST_NOTICE_REDIS", "redis://127.0.0.1:6379/9")
QUEUE = f"riskreg-test-notices-{os.getpid()}"  # a worker left by a killed run takes no task of ours

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
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    # The digest's own queue, and the default one its e-mail task is queued on.
    with celery_worker(queue=f"{QUEUE},celery", env=env, log_path=tmp_path / "w.log") as (_, log):
        yield log


def test_the_worker_sends_the_digest_once(worker):
    organisation = OrganisationFactory(name="Digest Authority")
    risk = RiskFactory(register=corporate_register_of(organisation), ref="D1")
    ann = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    NoticePreference.objects.create(user=ann, kind=NoticeKind.COMMENT, delivery=Delivery.DIGEST)
    notify(
        kind=NoticeKind.COMMENT,
        organisation=organisation,
        recipients=[ann],
        event_key="worker-digest",
        title="D1: a comment for the digest",
        risk=risk,
    )

    def output() -> str:
        worker.seek(0)
        return worker.read()

    from riskreg.celery import app

    with app.connection_for_write(BROKER) as conn:
        for _ in range(2):  # delivered twice: the second run finds nothing to send
            app.send_task("registers.send_notice_digest", queue=QUEUE, connection=conn)
    runs = re.compile(r"registers\.send_notice_digest\[[^]]+\] succeeded in \S+: (\d+)")
    assert wait_for(lambda: len(runs.findall(output())) == 2, 90), output()
    assert sorted(runs.findall(output())) == ["0", "1"], output()  # one e-mail, then none
    assert wait_for(lambda: "D1: a comment for the digest" in output(), 60), output()
    assert output().count("Subject: riskreg: 1 notification since the last digest") == 1
    assert Notice.objects.get(user=ann).emailed_at is not None
