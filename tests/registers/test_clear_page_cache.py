"""Data changed where no write says so (a migration, the shell, a point-in-time restore): after
every ``migrate`` and after ``manage.py clear_page_cache``, every page counts afresh (decision
73): the dashboard's overview, the exposure by quarter, the header's unread count."""

import datetime as dt
import logging
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.sql import emit_post_migrate_signal
from django.urls import reverse
from django.utils import timezone

from registers import caching
from registers.models import Notice, Risk, Role
from registers.selectors.exposure import exposure_by_quarter
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of
from tests.registers.test_exposure import quarter_days
from tests.registers.test_notice_count_cache import header_count, tell
from tests.reporting.celery_subprocess import redis_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def view(client, organisation):
    client.force_login(MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user)
    return lambda: client.get(reverse("organisation", args=[organisation.slug]))


def _clear_page_cache():
    out = StringIO()
    call_command("clear_page_cache", stdout=out)
    assert "cached pages dropped" in out.getvalue()


def _migrate():
    """What ``manage.py migrate`` does last, whether or not it applied anything (``flush``
    too); the signal alone, so that the test does not depend on the migrations at hand."""
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")


def _close_behind_the_caches_back(organisation):
    """As a data migration or an edit in the shell would: no signal, nothing told."""
    Risk.objects.filter(organisation=organisation).update(status="closed", closed_reason="Done")


@pytest.mark.parametrize("forget", [_migrate, _clear_page_cache], ids=["migrate", "command"])
def test_the_dashboard_shows_data_changed_behind_its_back_on_the_next_view(
    forget, view, organisation
):
    RiskFactory(register=corporate_register_of(organisation), ref="R1")
    assert view().context["risks"]["open"] == 1
    _close_behind_the_caches_back(organisation)
    assert view().context["risks"]["open"] == 1  # kept: nothing said it changed
    forget()
    assert view().context["risks"]["open"] == 0


@pytest.mark.parametrize("forget", [_migrate, _clear_page_cache], ids=["migrate", "command"])
def test_the_exposure_by_quarter_counts_again(forget, organisation):
    from tests.appetite.test_breach_duration import timeline

    now = timezone.now()
    assert exposure_by_quarter(organisation=organisation, moment=now).totals == (0,) * 8
    q = quarter_days(organisation)
    timeline(corporate_register_of(organisation), "A", [(q[0] - dt.timedelta(days=10), (2, 3))])
    assert exposure_by_quarter(organisation=organisation, moment=now).totals == (0,) * 8
    forget()
    assert exposure_by_quarter(organisation=organisation, moment=now).totals == (1,) * 8


@pytest.mark.parametrize("forget", [_migrate, _clear_page_cache], ids=["migrate", "command"])
def test_the_headers_unread_count_counts_again(forget, client, organisation, settings):
    settings.RISKREG_NOTICE_COUNT_CACHE = True
    risk = RiskFactory(register=corporate_register_of(organisation), ref="R1")
    ann = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    tell(risk, [ann], key="k1")
    client.force_login(ann)
    assert header_count(client) == 1
    Notice.objects.filter(user=ann).update(read_at=timezone.now())
    assert header_count(client) == 1  # kept: nothing said it changed
    forget()
    assert header_count(client) == 0


def test_an_organisation_gone_with_a_restore_leaves_nothing_to_the_next_given_its_id(
    organisation,
):
    """A restore to before an organisation was made deletes it, and its id goes to the next one
    made: what was kept of the first must not be the second's. No list of ids is needed."""
    gone = organisation.id + 1000
    kept = caching.generation(gone)
    assert caching.generation(gone) == kept
    _clear_page_cache()
    assert caching.generation(gone) != kept


class _Unreachable:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

        return fail


def test_migrate_goes_on_when_the_cache_cannot_be_reached(monkeypatch, caplog):
    monkeypatch.setattr(caching, "cache", _Unreachable())
    with caplog.at_level(logging.WARNING, logger="registers.caching"):
        _migrate()
    assert "run manage.py clear_page_cache" in caplog.text


def test_the_command_says_when_the_cache_cannot_be_reached(monkeypatch):
    monkeypatch.setattr(caching, "cache", _Unreachable())
    with pytest.raises(CommandError, match="could not be reached .*ConnectionError.*run this"):
        call_command("clear_page_cache")


@pytest.mark.skipif(not redis_answers(), reason="Redis is not running on 127.0.0.1:6379")
def test_with_redis_as_in_production(view, organisation, settings):
    prefix = f"riskreg-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/13",
            "KEY_PREFIX": prefix,
        }
    }
    try:
        RiskFactory(register=corporate_register_of(organisation), ref="R1")
        assert view().context["risks"]["open"] == 1
        _close_behind_the_caches_back(organisation)
        assert view().context["risks"]["open"] == 1
        _clear_page_cache()
        assert view().context["risks"]["open"] == 0
    finally:
        import redis

        client = redis.Redis.from_url("redis://127.0.0.1:6379/13")
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
