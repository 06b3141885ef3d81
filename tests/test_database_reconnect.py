"""A web process keeps its database connection between requests (CONN_MAX_AGE). When the server
drops it (a PostgreSQL restart or failover, PgBouncer recycling, an idle timeout), the next
request must reconnect rather than answer 500: CONN_HEALTH_CHECKS.

The requests go through Django's real WSGI handler, as under gunicorn: the test client skips the
request_started/finished signals that check and recycle connections, so it would not show this.
"""

from __future__ import annotations

import io

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.urls import reverse

from riskreg.settings import base
from tests.factories import MembershipFactory
from tests.reporting.celery_subprocess import database_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def wsgi_get(path: str, cookie: str) -> int:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_COOKIE": cookie,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    statuses = []
    response = WSGIHandler()(
        environ, lambda status, headers, exc_info=None: statuses.append(status)
    )
    b"".join(response)
    response.close()  # request_finished, as a WSGI server sends it
    return int(statuses[0].split()[0])


@pytest.fixture
def production_connection_settings():
    """The live connection as the deployed settings make it: persistent, health-checked."""
    keys = ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")
    saved = {key: connection.settings_dict[key] for key in keys}
    connection.settings_dict.update({key: base.DATABASES["default"][key] for key in keys})
    connection.close()  # the next use connects with these settings
    yield
    connection.settings_dict.update(saved)
    connection.close()


def test_deployed_connections_are_checked_before_reuse():
    assert base.DATABASES["default"]["CONN_MAX_AGE"] > 0
    assert base.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_next_request_after_the_database_dropped_the_connection_succeeds(
    client, production_connection_settings
):
    user = MembershipFactory(role="viewer").user
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    path = reverse("my_packs")
    assert wsgi_get(path, cookie) == 200
    pid = connection.connection.info.backend_pid  # kept open for the next request

    with psycopg.connect(database_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])

    assert wsgi_get(path, cookie) == 200
    assert connection.connection.info.backend_pid != pid
