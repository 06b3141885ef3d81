"""Packs and the queue: a request made while the broker is down fails fast and is retryable,
packs left queued are picked up by the beat sweep, and two identical requests build one pack.

The broker-down tests point Celery at a closed port on this machine (a real "connection
refused", not a mock), so they need no Redis."""

from __future__ import annotations

import datetime as dt
import socket
import time

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from reporting.models import Pack, PackStatus
from reporting.packs import services, tasks
from reporting.packs.services import (
    PACK_ALREADY_REQUESTED,
    PACK_NEVER_STARTED,
    PACK_QUEUE_UNAVAILABLE,
    PackAlreadyRequested,
    pack_request,
    pack_retry,
    packs_sweep_queued,
)
from tests.factories import MembershipFactory

# The web request must not hang on a dead broker: well under a gunicorn timeout.
FAST_FAIL_SECONDS = 8


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _reset_broker_pools(app) -> None:
    # kombu keeps one pool per broker URL; the app's cached ones are forgotten, not closed.
    app._pool = None
    app.__dict__.get("amqp") and setattr(app.amqp, "_producer_pool", None)


@pytest.fixture
def broker_down(monkeypatch):
    """Celery publishes to a port nothing listens on (Celery reads the environment variable
    before its settings)."""
    from riskreg.celery import app

    monkeypatch.setenv("CELERY_BROKER_URL", f"redis://127.0.0.1:{closed_port()}/0")
    _reset_broker_pools(app)
    assert app.conf.broker_url.startswith("redis://127.0.0.1:")
    yield
    monkeypatch.undo()
    _reset_broker_pools(app)


@pytest.fixture
def sent(monkeypatch):
    """The broker is up: record what is sent instead of sending it."""
    calls = []

    def apply_async(args=None, kwargs=None, **options):
        calls.append(args[0])

    monkeypatch.setattr(tasks.build_pack_task, "apply_async", apply_async)
    return calls


def coordinator(organisation):
    return MembershipFactory(organisation=organisation, role="coordinator").user


def request_form(client, organisation, as_of="2026-03-31"):
    return client.post(
        reverse("packs", args=[organisation.slug]),
        {"kind": "quarterly", "edition": "full", "as_of": as_of},
    )


# --- the broker is down ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_request_while_the_queue_is_down_says_so_fast_and_can_be_retried(
    client, organisation, broker_down
):
    client.force_login(coordinator(organisation))
    started = time.monotonic()
    response = request_form(client, organisation)
    elapsed = time.monotonic() - started
    assert elapsed < FAST_FAIL_SECONDS
    assert response.status_code == 503  # not the person's input: the service, for now
    assert PACK_QUEUE_UNAVAILABLE in response.content.decode()
    pack = Pack.objects.get(organisation=organisation)
    # not left "queued" for ever: failed, with the reason, and retry is offered
    assert pack.status == PackStatus.FAILED
    assert pack.error == PACK_QUEUE_UNAVAILABLE

    # retried while still down: says so again, and stays retryable
    response = client.post(reverse("pack_retry", args=[organisation.slug, pack.pk]), follow=True)
    assert PACK_QUEUE_UNAVAILABLE in response.content.decode()
    pack.refresh_from_db()
    assert (pack.status, pack.error) == (PackStatus.FAILED, PACK_QUEUE_UNAVAILABLE)


@pytest.mark.django_db(transaction=True)
def test_retry_once_the_queue_is_back_queues_it(client, organisation, broker_down, monkeypatch):
    client.force_login(coordinator(organisation))
    request_form(client, organisation)
    pack = Pack.objects.get(organisation=organisation)
    calls = []
    monkeypatch.setattr(
        tasks.build_pack_task, "apply_async", lambda args=None, **options: calls.append(args[0])
    )
    client.post(reverse("pack_retry", args=[organisation.slug, pack.pk]))
    pack.refresh_from_db()
    assert pack.status == PackStatus.QUEUED and calls == [pack.pk]


@pytest.mark.django_db(transaction=True)
def test_service_outside_a_request_marks_the_pack_failed(organisation, broker_down):
    with pytest.raises(services.PackQueueUnavailable) as raised:
        pack_request(organisation=organisation, kind="quarterly", as_of=dt.date(2026, 3, 31))
    pack = Pack.objects.get(pk=raised.value.pack.pk)
    assert (pack.status, pack.error) == (PackStatus.FAILED, PACK_QUEUE_UNAVAILABLE)


def test_publishing_gives_up_quickly():
    from riskreg.celery import app

    options = app.conf.broker_transport_options
    assert 0 < options["socket_connect_timeout"] <= 5
    assert 0 < options["socket_timeout"] <= 30
    assert services.ENQUEUE_RETRY_POLICY["max_retries"] <= 2


# --- the sweep -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sweep_sends_long_queued_packs_again_then_fails_them(organisation, sent, settings):
    settings.RISKREG_PACK_QUEUED_SECONDS = 600
    now = timezone.now()
    lost = Pack.objects.create(
        organisation=organisation,
        kind="quarterly",
        as_of=dt.date(2026, 3, 31),
        queued_at=now - dt.timedelta(minutes=11),
        queue_sends=1,
    )
    waiting = Pack.objects.create(
        organisation=organisation,
        kind="committee",
        as_of=dt.date(2026, 3, 31),
        queued_at=now - dt.timedelta(minutes=2),
        queue_sends=1,
    )
    assert packs_sweep_queued(now=now) == 1
    assert sent == [lost.pk]
    lost.refresh_from_db()
    assert lost.status == PackStatus.QUEUED and lost.queued_at == now and lost.queue_sends == 2

    # still not started a limit later: failed, with a retry offered
    later = now + dt.timedelta(minutes=11)
    assert packs_sweep_queued(now=later) == 2  # one failed, one sent again
    lost.refresh_from_db()
    waiting.refresh_from_db()
    assert (lost.status, lost.error) == (PackStatus.FAILED, PACK_NEVER_STARTED)
    assert waiting.status == PackStatus.QUEUED  # sent again, not failed
    assert sent == [lost.pk, waiting.pk]
    pack_retry(pack=lost)
    lost.refresh_from_db()
    assert lost.status == PackStatus.QUEUED


@pytest.mark.django_db(transaction=True)
def test_sweep_while_the_queue_is_down_fails_them_as_retryable(organisation, broker_down):
    pack = Pack.objects.create(
        organisation=organisation,
        kind="quarterly",
        as_of=dt.date(2026, 3, 31),
        queued_at=timezone.now() - dt.timedelta(hours=2),
        queue_sends=1,
    )
    packs_sweep_queued()
    pack.refresh_from_db()
    assert (pack.status, pack.error) == (PackStatus.FAILED, PACK_QUEUE_UNAVAILABLE)


def test_beat_runs_the_queued_pack_sweep():
    from riskreg.celery import app

    entry = app.conf.beat_schedule["fail-stalled-packs"]
    assert entry["task"] == "reporting.fail_stalled_packs"
    from reporting.packs.tasks import fail_stalled_packs_task

    assert fail_stalled_packs_task.name == entry["task"]


@pytest.mark.django_db
def test_stalled_sweep_task_also_sweeps_queued_packs(organisation, sent, settings):
    settings.RISKREG_PACK_QUEUED_SECONDS = 600
    pack = Pack.objects.create(
        organisation=organisation,
        kind="quarterly",
        as_of=dt.date(2026, 3, 31),
        queued_at=timezone.now() - dt.timedelta(hours=1),
        queue_sends=1,
    )
    tasks.fail_stalled_packs_task()
    assert sent == [pack.pk]


# --- duplicates ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_second_identical_request_gets_the_pack_being_built(client, organisation, sent):
    client.force_login(coordinator(organisation))
    request_form(client, organisation)
    response = request_form(client, organisation)
    assert response.status_code == 302
    assert Pack.objects.filter(organisation=organisation).count() == 1
    page = client.get(reverse("packs", args=[organisation.slug])).content.decode()
    assert PACK_ALREADY_REQUESTED in page
    assert len(sent) == 1
    # another date, or once the first is ready, is a new pack
    request_form(client, organisation, as_of="2026-02-28")
    Pack.objects.filter(as_of="2026-03-31").update(status=PackStatus.READY)
    request_form(client, organisation)
    assert Pack.objects.filter(organisation=organisation).count() == 3


@pytest.mark.django_db
def test_service_returns_the_active_pack(organisation):
    first = pack_request(organisation=organisation, kind="quarterly", as_of=dt.date(2026, 3, 31))
    Pack.objects.filter(pk=first.pk).update(status=PackStatus.BUILDING)
    with pytest.raises(PackAlreadyRequested) as raised:
        pack_request(organisation=organisation, kind="quarterly", as_of=dt.date(2026, 3, 31))
    assert raised.value.pack == first
    # the public edition is another pack
    pack_request(
        organisation=organisation, kind="quarterly", as_of=dt.date(2026, 3, 31), edition="public"
    )


@pytest.mark.django_db
def test_database_refuses_a_second_active_pack(organisation):
    """The guarantee holds for two requests at the same instant, not only one after another."""
    Pack.objects.create(organisation=organisation, kind="quarterly", as_of=dt.date(2026, 3, 31))
    with pytest.raises(IntegrityError), transaction.atomic():
        Pack.objects.create(
            organisation=organisation,
            kind="quarterly",
            as_of=dt.date(2026, 3, 31),
            status=PackStatus.BUILDING,
        )
    # failed and ready packs do not count
    Pack.objects.update(status=PackStatus.FAILED)
    Pack.objects.create(organisation=organisation, kind="quarterly", as_of=dt.date(2026, 3, 31))


@pytest.mark.django_db
def test_retrying_a_failed_pack_while_its_twin_builds_says_so(organisation, sent):
    failed = Pack.objects.create(
        organisation=organisation,
        kind="quarterly",
        as_of=dt.date(2026, 3, 31),
        status=PackStatus.FAILED,
    )
    Pack.objects.create(organisation=organisation, kind="quarterly", as_of=dt.date(2026, 3, 31))
    with pytest.raises(PackAlreadyRequested):
        pack_retry(pack=failed)
    failed.refresh_from_db()
    assert failed.status == PackStatus.FAILED


@pytest.mark.django_db(transaction=True)
def test_scheduled_packs_while_the_queue_is_down_are_failed_and_the_run_goes_on(broker_down):
    from registers.models import Organisation
    from reporting.packs.schedule import request_scheduled_packs

    for slug in ("first", "second"):
        Organisation.objects.create(
            slug=slug, name=slug.title(), quarter_end_months=[3, 6, 9, 12], committee_months=[]
        )
    # On riskreg before the quarter's end (no pack is as at a day before that, decision 143).
    Organisation.objects.filter(slug__in=("first", "second")).update(
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    request_scheduled_packs(today=dt.date(2026, 4, 2))
    packs = Pack.objects.filter(organisation__slug__in=("first", "second"))
    assert packs.count() == 4  # both editions for both organisations, though none was queued
    assert set(packs.values_list("status", "error")) == {
        (PackStatus.FAILED, PACK_QUEUE_UNAVAILABLE)
    }


# --- asking again for a pack that failed ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_asking_again_while_the_queue_is_down_keeps_one_failed_pack(
    client, organisation, broker_down
):
    client.force_login(coordinator(organisation))
    request_form(client, organisation)
    response = request_form(client, organisation)
    assert PACK_QUEUE_UNAVAILABLE in response.content.decode()
    pack = Pack.objects.get(organisation=organisation)
    assert (pack.status, pack.error) == (PackStatus.FAILED, PACK_QUEUE_UNAVAILABLE)


@pytest.mark.django_db(transaction=True)
def test_asking_again_once_the_queue_is_back_retries_the_failed_pack(
    client, organisation, broker_down, monkeypatch
):
    from reporting.views.packs import PACK_RETRIED_ON_REQUEST

    client.force_login(coordinator(organisation))
    request_form(client, organisation)
    failed = Pack.objects.get(organisation=organisation)
    calls = []
    monkeypatch.setattr(
        tasks.build_pack_task, "apply_async", lambda args=None, **options: calls.append(args[0])
    )
    response = request_form(client, organisation)
    assert response.status_code == 302
    pack = Pack.objects.get(organisation=organisation)
    assert pack.pk == failed.pk
    assert (pack.status, pack.error) == (PackStatus.QUEUED, "")
    assert calls == [pack.pk]
    page = client.get(reverse("packs", args=[organisation.slug])).content.decode()
    assert PACK_RETRIED_ON_REQUEST in page
    # asked a third time while it is queued: the one-active-build rule still answers
    request_form(client, organisation)
    assert Pack.objects.filter(organisation=organisation).count() == 1
    assert calls == [pack.pk]


@pytest.mark.django_db(transaction=True)
def test_a_failed_pack_of_other_registers_is_not_retried_by_a_request(organisation, sent):
    from tests.factories import RegisterFactory

    first, second = (
        RegisterFactory(organisation=organisation),
        RegisterFactory(organisation=organisation),
    )
    failed = pack_request(
        organisation=organisation, kind="quarterly", as_of=dt.date(2026, 3, 31), registers=[first]
    )
    Pack.objects.filter(pk=failed.pk).update(status=PackStatus.FAILED)
    other = pack_request(
        organisation=organisation,
        kind="quarterly",
        as_of=dt.date(2026, 3, 31),
        registers=[first, second],
    )
    assert other.pk != failed.pk
    Pack.objects.filter(pk=other.pk).update(status=PackStatus.READY)
    again = pack_request(
        organisation=organisation, kind="quarterly", as_of=dt.date(2026, 3, 31), registers=[first]
    )
    assert again.pk == failed.pk and again.retried
    assert Pack.objects.filter(organisation=organisation).count() == 2
    assert sent == [failed.pk, other.pk, failed.pk]


@pytest.mark.django_db(transaction=True)
def test_retrying_twice_queues_the_pack_once(organisation, sent):
    pack = Pack.objects.create(
        organisation=organisation,
        kind="quarterly",
        as_of=dt.date(2026, 3, 31),
        status=PackStatus.FAILED,
    )
    stale = Pack.objects.get(pk=pack.pk)
    pack_retry(pack=pack)
    with pytest.raises(PackAlreadyRequested):
        pack_retry(pack=stale)
    assert sent == [pack.pk]
