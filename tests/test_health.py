"""``/healthz`` (issue 6): the database and the broker, checked for real; 503 naming what failed;
no login, nothing written, nothing cached."""

import os
import socket

import pytest
from django.contrib.sessions.models import Session
from django.db import OperationalError, connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory
from tests.reporting.celery_subprocess import redis_answers

BROKER = os.environ.get("RISKREG_TEST_TOPOLOGY_REDIS", "redis://127.0.0.1:6379/14")

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A port nothing listens on: bound by us, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def only_reads(queries) -> list[str]:
    """The statements that are not plain reads (empty when the check wrote nothing)."""
    return [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]


@pytest.mark.skipif(not redis_answers(), reason="Redis is not running on 127.0.0.1:6379")
@override_settings(CELERY_BROKER_URL=BROKER, CELERY_TASK_ALWAYS_EAGER=False)
def test_healthy_with_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert response["Content-Type"] == "application/json"


@override_settings(CELERY_BROKER_URL="", CELERY_TASK_ALWAYS_EAGER=True)
def test_without_a_broker_tasks_run_in_process_and_that_is_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "eager"}


def test_broker_that_does_not_answer_is_named(client):
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with override_settings(CELERY_BROKER_URL=url, CELERY_TASK_ALWAYS_EAGER=False):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("unavailable ("), body
    # the public body names the failure, never the broker's address or credentials
    assert "127.0.0.1" not in response.content.decode()


@override_settings(CELERY_BROKER_URL="", CELERY_TASK_ALWAYS_EAGER=True)
def test_database_that_fails_is_named(client):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection to server was lost")

    with connection.execute_wrapper(refuse):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "unavailable (OperationalError)", "broker": "eager"}


@override_settings(CELERY_BROKER_URL="", CELERY_TASK_ALWAYS_EAGER=True)
def test_needs_no_login_and_is_never_cached(client):
    response = client.get("/healthz")
    assert response.status_code == 200  # not a redirect to the login page
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "no-cache" in cache_control, cache_control
    assert not response.cookies  # no session, no CSRF cookie
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


@override_settings(CELERY_BROKER_URL="", CELERY_TASK_ALWAYS_EAGER=True)
def test_writes_nothing_for_a_load_balancer(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert only_reads(queries) == []
    assert [q["sql"] for q in queries] == ["SELECT 1"]


@override_settings(CELERY_BROKER_URL="", CELERY_TASK_ALWAYS_EAGER=True)
def test_writes_nothing_for_a_signed_in_browser(client):
    """Other pages save the session once its last save is a minute old (the session refresh,
    riskreg/session_middleware.py); this one never does."""
    client.force_login(UserFactory())
    session = Session.objects.get()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert only_reads(queries) == [], queries.captured_queries
    assert not response.cookies  # the session cookie is neither refreshed nor deleted
    assert Session.objects.get().expire_date == session.expire_date
    # and the browser is still signed in afterwards
    assert client.get("/").status_code == 200
