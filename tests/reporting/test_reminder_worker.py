"""Integration: reminders through a real Celery worker (and beat) against the Redis on this
machine, using the test database. Skipped when Redis does not answer.

The worker runs the demo settings (``riskreg.settings.local``) with DATABASE_URL pointing at this
test database and the console e-mail backend, so the e-mail it sends appears in its output.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from registers.models import Register, Risk
from registers.models.organisations import Role
from registers.selectors import organisation_today
from reporting.models import Reminder, ReminderStatus
from reporting.reminders.tasks import send_reminders_task
from tests.factories import MembershipFactory, RiskFactory
from tests.reporting.celery_subprocess import database_url, redis_answers, wait_for

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
BROKER = os.environ.get("RISKREG_TEST_REDIS", "redis://127.0.0.1:6379/8")
QUEUE = (
    f"riskreg-test-reminders-{os.getpid()}"  # a worker left by a killed run takes no task of ours
)


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not redis_answers(), reason="Redis is not running on 127.0.0.1:6379"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a shared PostgreSQL"),
]


def _env(tmp_path) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "riskreg.settings.local",
            "DATABASE_URL": database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": BROKER,
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            "RISKREG_TEST_QUEUE": QUEUE,
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _start(args, tmp_path, name):
    log = open(tmp_path / f"{name}.log", "w+")  # noqa: SIM115 - closed in _stop
    process = subprocess.Popen(  # noqa: S603 - our own celery binary and fixed arguments
        [CELERY, *args],
        cwd=ROOT,
        env=_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, log


def _stop(process, log, timeout=20) -> tuple[int, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log.seek(0)
    output = log.read()
    log.close()
    return process.returncode, output


def _reminder_sent(user, day) -> bool:
    return Reminder.objects.filter(user=user, day=day, status=ReminderStatus.SENT).exists()


@pytest.fixture
def worker(tmp_path):
    subprocess.run(  # noqa: S603 - purge what an earlier run may have left on our queue
        [CELERY, "-A", "riskreg", "purge", "-f", "-Q", QUEUE],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        timeout=60,
        check=False,
    )
    process, log = _start(
        [
            "-A",
            "riskreg",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            QUEUE,
            "--loglevel=INFO",
        ],
        tmp_path,
        "worker",
    )
    yield process, log
    code, output = _stop(process, log)
    assert code == 0, output  # a warm shutdown on SIGTERM


@pytest.fixture
def owner(db):
    membership = MembershipFactory(role=Role.OWNER)
    organisation = membership.organisation
    risk = RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"),
        owner=membership.user,
        title="Worker-delivered risk",
    )
    Risk.objects.filter(pk=risk.pk).update(next_review_due=timezone.localdate())
    return membership.user


def test_reminder_sent_through_the_queue(worker, owner):
    from riskreg.celery import app

    process, log = worker
    day = timezone.localdate().isoformat()
    with app.connection_for_write(BROKER) as conn:
        send_reminders_task.apply_async(args=[day], queue=QUEUE, connection=conn)
    sent = wait_for(lambda: _reminder_sent(owner, day))
    log.seek(0)
    output = log.read()
    assert sent, f"no reminder sent through the worker; its log:\n{output}"
    assert wait_for(lambda: owner.email in (log.seek(0) or log.read()), timeout=10)
    log.seek(0)
    output = log.read()
    assert "Worker-delivered risk" in output  # the console backend printed the e-mail
    assert "Content-Type: text/html" in output  # with its HTML part
    # enqueued again (a redelivery): nothing is sent twice
    with app.connection_for_write(BROKER) as conn:
        send_reminders_task.apply_async(args=[day], queue=QUEUE, connection=conn)
    assert wait_for(lambda: "'skipped': 1" in (log.seek(0) or log.read()))
    row = Reminder.objects.get(user=owner, day=day)
    assert (row.status, row.attempts) == (ReminderStatus.SENT, 1)


BEAT_APP = f'''
"""A beat for the integration test: the real schedule plus an entry every second."""
from riskreg.beat import REMINDER_BEAT_SCHEDULE
from riskreg.celery import app

# The Celery app holds beat's schedule (riskreg.beat): replace it before beat reads it.
app.conf.beat_schedule = {{
    **REMINDER_BEAT_SCHEDULE,
    "test-every-second": {{
        "task": "reporting.send_reminders",
        "schedule": 1.0,
        "options": {{"queue": "{QUEUE}"}},
    }},
}}
'''


def test_beat_starts_schedules_and_stops_cleanly(worker, owner, tmp_path):
    (tmp_path / "beatapp.py").write_text(BEAT_APP)
    beat, beat_log = _start(
        [
            "-A",
            "beatapp",
            "beat",
            "--schedule",
            str(tmp_path / "celerybeat-schedule"),
            "--loglevel=INFO",
        ],
        tmp_path,
        "beat",
    )
    try:
        day = organisation_today(owner.memberships.get().organisation)
        sent = wait_for(lambda: _reminder_sent(owner, day))
    finally:
        code, output = _stop(beat, beat_log)
    assert "beat: Starting" in output, output
    assert "send-reminders-daily" in output or "reporting.send_reminders" in output, output
    assert sent, f"beat did not get a reminder sent; beat log:\n{output}"
    assert code == 0, output
    assert "Traceback" not in output
