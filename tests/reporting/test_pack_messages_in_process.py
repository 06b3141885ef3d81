"""Without a Celery broker (the demo) a pack is built inside the request that asks for it: the
message then says it was built (and, on release, that the panel was told), not that it "will be
ready in a minute or two" beside a list already showing "Draft v1", nor that the final copy "is
being built" beside "Released v1" and its SHA-256. With a worker, the words stay the queue's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registers.models import Notice, NoticeKind, Role
from reporting.models import Pack, PackStatus
from reporting.packs import services, tasks
from reporting.packs.render import RenderedPack, render_html
from reporting.views.pack_release import PACK_RELEASE_STARTED, PACK_RELEASED, PACK_RELEASED_TOLD
from reporting.views.packs import PACK_BUILD_FAILED, PACK_BUILT, PACK_REQUESTED
from tests.factories import MembershipFactory, RiskFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def html_for_pdf(monkeypatch):
    """Builds store the pack's HTML as its "PDF" (as tests/reporting/test_pack_release.py)."""

    def render(data):
        html = render_html(data)
        return RenderedPack(pdf=html.encode(), pages=1, html=html)

    monkeypatch.setattr(services, "render_pdf", render)


@pytest.fixture
def in_process(monkeypatch):
    """The queue as eager mode runs it: the task in the request, once the pack is committed."""
    monkeypatch.setattr(
        services, "task_send", lambda name, *, args, **options: tasks.build_pack_task(*args)
    )


@pytest.fixture
def queued(monkeypatch):
    """A worker that has not picked the build up yet."""
    monkeypatch.setattr(services, "task_send", lambda name, *, args, **options: None)


@pytest.fixture
def coordinator(client, organisation, corporate_register):
    RiskFactory(register=corporate_register, ref="R1", title="Cyber attack")
    user = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    client.force_login(user)
    return user


def request_pack(client, organisation):
    return client.post(
        reverse("packs", args=[organisation.slug]),
        {"kind": "quarterly", "edition": "public", "as_of": "2026-03-31"},
        follow=True,
    )


def said(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_pack_built_in_the_request_says_it_was_built(
    client, organisation, coordinator, in_process
):
    response = request_pack(client, organisation)
    assert said(response) == [PACK_BUILT.format(version=1)]
    assert "Draft v1" in response.content.decode()


def test_a_queued_pack_still_says_it_will_be_ready(client, organisation, coordinator, queued):
    assert said(request_pack(client, organisation)) == [PACK_REQUESTED]


def test_a_build_that_failed_in_the_request_says_so(
    client, organisation, coordinator, in_process, monkeypatch
):
    def broken(data):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(services, "render_pdf", broken)
    response = request_pack(client, organisation)
    assert said(response) == [PACK_BUILD_FAILED]
    assert Pack.objects.get().status == PackStatus.FAILED


def test_a_release_built_in_the_request_says_released_and_who_was_told(
    client, organisation, coordinator, in_process
):
    MembershipFactory(organisation=organisation, role=Role.PANEL)
    request_pack(client, organisation)
    pack = Pack.objects.get()
    response = client.post(reverse("pack_release", args=[organisation.slug, pack.pk]), follow=True)
    pack.refresh_from_db()
    assert pack.released_at is not None
    told = PACK_RELEASED_TOLD.format(count=1, s="", were="was")
    assert said(response) == [PACK_RELEASED.format(version=1, told=told)]
    assert "1 panel member was told" in said(response)[0]
    assert Notice.objects.filter(kind=NoticeKind.PACK_RELEASED).count() == 1


def test_a_queued_release_says_it_is_being_built(client, organisation, coordinator, queued):
    request_pack(client, organisation)
    pack = Pack.objects.get()
    assert tasks.build_pack_task(pack.pk) == PackStatus.READY
    response = client.post(reverse("pack_release", args=[organisation.slug, pack.pk]), follow=True)
    assert said(response) == [PACK_RELEASE_STARTED]
