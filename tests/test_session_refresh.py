"""A session is saved when it changes, and otherwise once its last save is
RISKREG_SESSION_REFRESH_SECONDS old, not on every page (riskreg/session_middleware.py,
decision 68): idle sign-out still comes after SESSION_COOKIE_AGE without a request, never later,
and at most the refresh interval earlier."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registers.models import Role
from riskreg.session_middleware import SAVED_AT
from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["db", "cached_db"])
def engine(request, settings):
    """The database sessions of the demo and tests, and production's cached_db (with Redis)."""
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{request.param}"
    return request.param


def session_writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]


@pytest.fixture
def member_client(client):
    membership = MembershipFactory(role=Role.VIEWER)
    client.force_login(membership.user)
    client.page = reverse("organisation", args=[membership.organisation.slug])
    return client


def stored(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def age_the_last_save(client: Client, seconds: int) -> None:
    """As if the session had last been saved ``seconds`` ago (its expiry a full age after)."""
    session = client.session
    session[SAVED_AT] = session[SAVED_AT] - seconds
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - seconds)
    )


def test_pages_within_the_interval_write_nothing_to_the_session(member_client):
    # Signing in saved the session and recorded when (force_login too).
    assert member_client.session[SAVED_AT] == pytest.approx(timezone.now().timestamp(), abs=5)
    expiry = stored(member_client).expire_date
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            response = member_client.get(member_client.page)
        assert response.status_code == 200
        assert session_writes(queries) == []
        assert settings.SESSION_COOKIE_NAME not in response.cookies  # nor the cookie re-sent
    assert stored(member_client).expire_date == expiry


def test_a_page_after_the_interval_pushes_the_expiry_a_full_age_ahead(member_client):
    age_the_last_save(member_client, settings.RISKREG_SESSION_REFRESH_SECONDS + 1)
    before = stored(member_client).expire_date
    with CaptureQueriesContext(connection) as queries:
        response = member_client.get(member_client.page)
    assert response.status_code == 200
    assert session_writes(queries)
    after = stored(member_client).expire_date
    assert after > before
    left = after - timezone.now()
    assert dt.timedelta(seconds=settings.SESSION_COOKIE_AGE) - left < dt.timedelta(seconds=5)
    # and the browser's cookie is sent again with the new expiry
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value == member_client.session.session_key


def test_a_page_just_inside_the_interval_does_not(member_client):
    age_the_last_save(member_client, settings.RISKREG_SESSION_REFRESH_SECONDS - 5)
    before = stored(member_client).expire_date
    with CaptureQueriesContext(connection) as queries:
        member_client.get(member_client.page)
    assert session_writes(queries) == []
    assert stored(member_client).expire_date == before


def test_idle_for_the_age_since_the_last_save_is_signed_out(member_client):
    """Requests that save nothing do not keep a session alive past its stored expiry: the
    expiry is never later than SESSION_COOKIE_AGE after the last request."""
    assert member_client.get(member_client.page).status_code == 200
    # The last save was a full age ago (the pages since saved nothing), so it has expired: in
    # the database, and in the cache, whose entry was kept for the same age at that save.
    key = member_client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    cache.delete(f"{cached_db.KEY_PREFIX}{key}")
    response = member_client.get(member_client.page)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_change_to_the_session_is_saved_at_once(member_client, settings):
    """Django's own rule still holds inside the interval: a modified session is saved."""
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
    age_the_last_save(member_client, 10)
    saved_at = member_client.session[SAVED_AT]
    # "Mark all read" leaves its message in the session.
    with CaptureQueriesContext(connection) as queries:
        response = member_client.post(reverse("notices_read_all"))
    assert response.status_code == 302
    assert session_writes(queries)
    assert member_client.session[SAVED_AT] >= saved_at + 10


def test_signing_in_and_out_through_the_forms(client):
    membership = MembershipFactory(role=Role.VIEWER)
    response = client.post(reverse("login"), {"login": membership.user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[SAVED_AT] == pytest.approx(timezone.now().timestamp(), abs=5)
    page = reverse("organisation", args=[membership.organisation.slug])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page).status_code == 200
    assert session_writes(queries) == []
    # Signing out deletes the session; nothing is saved in its place.
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert not Session.objects.exists()
    assert client.get(page).status_code == 302


def test_an_anonymous_visit_makes_no_session(client):
    assert client.get(reverse("login")).status_code == 200
    assert not Session.objects.exists()
