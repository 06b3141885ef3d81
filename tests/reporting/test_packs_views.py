"""Reports pages: who sees, requests, retries and downloads packs; htmx status polling; the
cross-organisation "Your reports" page of a panel member."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from reporting.models import Pack, PackStatus
from reporting.packs import tasks
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


def member(organisation, role):
    return MembershipFactory(organisation=organisation, role=role).user


def ready_pack(organisation, *, edition="full", as_of="2026-03-31") -> Pack:
    pack = Pack.objects.create(
        organisation=organisation, kind="quarterly", edition=edition, as_of=as_of
    )
    pack.file.save(f"pack-{pack.pk}.pdf", ContentFile(b"%PDF-1.7 test pack"), save=False)
    pack.status = PackStatus.READY
    pack.size = 17
    pack.pages = 1
    pack.released_at = timezone.now()  # drafts are for coordinators: test_pack_release.py
    pack.save()
    return pack


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(
        tasks.build_pack_task, "apply_async", lambda args=None, **options: calls.append(args[0])
    )
    return calls


@pytest.mark.parametrize(
    ("role", "page", "download", "public_download"),
    [
        ("admin", 200, 200, 200),
        ("coordinator", 200, 200, 200),
        ("panel", 200, 404, 200),  # not cleared: the full edition is out of reach
        ("owner", 200, 404, 200),  # every member finds what they may download (decision 125)
        ("viewer", 200, 404, 200),
        ("cleared viewer", 200, 200, 200),  # cleared by an admin: the full edition too
    ],
)
def test_every_role(client, organisation, role, page, download, public_download):
    full = ready_pack(organisation)
    public = ready_pack(organisation, edition="public")
    cleared = role.startswith("cleared ")
    client.force_login(
        MembershipFactory(
            organisation=organisation,
            role=role.removeprefix("cleared "),
            sensitive_access=cleared,
        ).user
    )
    slug = organisation.slug
    assert client.get(reverse("packs", args=[slug])).status_code == page
    response = client.get(reverse("pack_download", args=[slug, full.pk]))
    assert response.status_code == download
    if download == 200:
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(reverse("pack_download", args=[slug, public.pk])).status_code == (
        public_download
    )


def test_guessed_urls_of_another_organisation_are_404(client, organisation, other_organisation):
    theirs = ready_pack(other_organisation)
    client.force_login(member(organisation, "admin"))
    # their pack id under my organisation, and their organisation itself
    for name in ("pack_download", "pack_status"):
        assert client.get(reverse(name, args=[organisation.slug, theirs.pk])).status_code == 404
        assert (
            client.get(reverse(name, args=[other_organisation.slug, theirs.pk])).status_code == 404
        )
    assert client.get(reverse("packs", args=[other_organisation.slug])).status_code == 404
    assert (
        client.post(reverse("pack_retry", args=[organisation.slug, theirs.pk])).status_code == 404
    )
    assert client.get(reverse("pack_download", args=[organisation.slug, 999999])).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, organisation):
    pack = ready_pack(organisation)
    response = client.get(reverse("pack_download", args=[organisation.slug, pack.pk]))
    assert response.status_code == 302


def test_coordinator_requests_a_pack(
    client, organisation, queued, django_capture_on_commit_callbacks
):
    user = member(organisation, "coordinator")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("packs", args=[organisation.slug]),
            {"kind": "committee", "edition": "public", "as_of": "2026-03-31"},
        )
    assert response.status_code == 302
    pack = Pack.objects.get(organisation=organisation)
    assert (pack.kind, pack.edition, str(pack.as_of), pack.status) == (
        "committee",
        "public",
        "2026-03-31",
        "queued",
    )
    assert pack.requested_by == user
    assert queued == [pack.pk]
    page = client.get(reverse("packs", args=[organisation.slug])).content.decode()
    assert 'hx-trigger="every 2s"' in page


def test_request_errors_are_shown(client, organisation, queued):
    client.force_login(member(organisation, "coordinator"))
    tomorrow = timezone.localdate() + timezone.timedelta(days=3)
    response = client.post(
        reverse("packs", args=[organisation.slug]),
        {"kind": "weekly", "edition": "full", "as_of": tomorrow.isoformat()},
    )
    assert response.status_code == 400  # bad input: the page again with the error summary
    body = response.content.decode()
    assert "There is a problem" in body
    assert "not in the future" in body
    assert not Pack.objects.exists()


def test_panel_cannot_request_or_retry(client, organisation, queued):
    failed = Pack.objects.create(
        organisation=organisation, kind="quarterly", as_of="2026-03-31", status="failed"
    )
    client.force_login(member(organisation, "panel"))
    page = client.get(reverse("packs", args=[organisation.slug])).content.decode()
    assert "Request a pack" not in page and "Retry" not in page
    response = client.post(
        reverse("packs", args=[organisation.slug]),
        {"kind": "quarterly", "edition": "full", "as_of": "2026-03-31"},
    )
    assert response.status_code == 403
    assert (
        client.post(reverse("pack_retry", args=[organisation.slug, failed.pk])).status_code == 403
    )


def test_retry_a_failed_pack(client, organisation, queued, django_capture_on_commit_callbacks):
    failed = Pack.objects.create(
        organisation=organisation,
        kind="quarterly",
        as_of="2026-03-31",
        status="failed",
        error="Template broke",
    )
    client.force_login(member(organisation, "coordinator"))
    page = client.get(reverse("packs", args=[organisation.slug])).content.decode()
    assert "Template broke" in page and "Retry" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("pack_retry", args=[organisation.slug, failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "queued" and failed.error == ""
    assert queued == [failed.pk]
    assert client.get(reverse("pack_retry", args=[organisation.slug, failed.pk])).status_code == 405


def test_status_partial_polls_only_while_in_progress(client, organisation):
    pack = Pack.objects.create(organisation=organisation, kind="quarterly", as_of="2026-03-31")
    # A build in progress is not yet released: coordinators see it (panel members do not).
    client.force_login(MembershipFactory(organisation=organisation, role="coordinator").user)
    url = reverse("pack_status", args=[organisation.slug, pack.pk])
    body = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in body and "Queued" in body
    Pack.objects.filter(pk=pack.pk).update(status="building")
    assert "Building" in client.get(url).content.decode()
    pack.delete()
    ready = ready_pack(organisation)
    body = client.get(reverse("pack_status", args=[organisation.slug, ready.pk])).content.decode()
    assert "hx-trigger" not in body and "Download PDF" in body


def test_my_packs_lists_every_organisation_in_the_editions_read_there(client):
    user = UserFactory()
    first, second, third, fourth = (OrganisationFactory() for _ in range(4))
    MembershipFactory(organisation=first, user=user, role="panel", sensitive_access=True)
    MembershipFactory(organisation=second, user=user, role="owner", sensitive_access=True)
    MembershipFactory(organisation=third, user=user, role="viewer")
    ready_pack(first)
    ready_pack(second, as_of="2026-06-30")
    hidden = ready_pack(third, as_of="2026-09-30")  # full: the viewer is not cleared there
    public = ready_pack(third, edition="public", as_of="2026-09-30")
    ready_pack(fourth, as_of="2025-12-31")
    client.force_login(user)
    response = client.get(reverse("my_packs"))
    assert response.status_code == 200
    packs = list(response.context["packs"])
    assert {pack.organisation for pack in packs} == {first, second, third}
    assert hidden not in packs and public in packs
    body = response.content.decode()
    assert first.name in body and second.name in body
    assert fourth.name not in body
    assert reverse("pack_download", args=[third.slug, hidden.pk]) not in body
    assert reverse("pack_download", args=[third.slug, public.pk]) in body


@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_an_owner_or_viewer_finds_the_public_edition_they_may_download(client, organisation, role):
    """The README's rule: public editions are for every member. They are listed on the
    organisation's Reports page and on Your reports, each with its download; never a draft,
    never a full edition to someone not cleared, and no request, retry or release."""
    public = ready_pack(organisation, edition="public")
    full = ready_pack(organisation)
    draft = ready_pack(organisation, edition="public", as_of="2026-06-30")
    Pack.objects.filter(pk=draft.pk).update(released_at=None)
    failed = Pack.objects.create(
        organisation=organisation, kind="quarterly", edition="public", as_of="2026-09-30"
    )
    Pack.objects.filter(pk=failed.pk).update(status=PackStatus.FAILED)
    client.force_login(member(organisation, role))
    slug = organisation.slug
    for name, args in (("packs", [slug]), ("my_packs", [])):
        page = client.get(reverse(name, args=args))
        assert page.status_code == 200, name
        assert [pack.pk for pack in page.context["packs"]] == [public.pk], name
        body = page.content.decode()
        assert reverse("pack_download", args=[slug, public.pk]) in body, name
        for hidden in (full, draft, failed):
            assert reverse("pack_download", args=[slug, hidden.pk]) not in body, name
        assert "Request a pack" not in body and "Summarise and release" not in body
    reports = client.get(reverse("organisation", args=[slug])).content.decode()
    assert f'href="{reverse("packs", args=[slug])}"' in reports  # the header links the page
    assert client.get(reverse("pack_download", args=[slug, public.pk])).status_code == 200
    assert client.get(reverse("pack_detail", args=[slug, public.pk])).status_code == 200
    for hidden in (full, draft, failed):
        assert client.get(reverse("pack_download", args=[slug, hidden.pk])).status_code == 404
        assert client.get(reverse("pack_detail", args=[slug, hidden.pk])).status_code == 404
    asked = {"kind": "quarterly", "edition": "public", "as_of": "2026-03-31"}
    assert client.post(reverse("packs", args=[slug]), asked).status_code == 403
    assert client.post(reverse("pack_retry", args=[slug, public.pk])).status_code == 403
    assert client.get(reverse("pack_release", args=[slug, public.pk])).status_code == 403
    assert Pack.objects.filter(organisation=organisation).count() == 4


@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_an_owner_or_viewers_reports_pages_query_count_does_not_grow(client, role):
    organisation = OrganisationFactory()
    client.force_login(member(organisation, role))
    ready_pack(organisation, edition="public")
    days = iter(range(1, 28))

    def grow():
        for _ in range(3):
            day = next(days)
            ready_pack(organisation, edition="public", as_of=f"2025-05-{day:02d}")
            ready_pack(organisation, as_of=f"2025-05-{day:02d}")  # full: not theirs

    for url in (reverse("packs", args=[organisation.slug]), reverse("my_packs")):
        assert_same_queries(lambda url=url: client.get(url), grow, at_most=14)


def test_my_packs_query_count_does_not_grow(client, django_assert_max_num_queries):
    user = UserFactory()
    organisation = OrganisationFactory()
    MembershipFactory(organisation=organisation, user=user, role="panel")
    for month in range(1, 4):
        ready_pack(organisation, as_of=f"2026-0{month}-28")
    client.force_login(user)

    def grow():
        for day in range(1, 28):
            ready_pack(organisation, as_of=f"2025-05-{day:02d}")

    assert_same_queries(lambda: client.get(reverse("my_packs")), grow, at_most=12)
    with django_assert_max_num_queries(14):
        client.get(reverse("packs", args=[organisation.slug]))


@pytest.mark.parametrize(("cleared", "told"), [(False, True), (True, False)])
def test_an_uncleared_member_is_told_why_only_public_editions_are_listed(
    client, organisation, cleared, told
):
    client.force_login(
        MembershipFactory(organisation=organisation, role="panel", sensitive_access=cleared).user
    )
    page = client.get(reverse("packs", args=[organisation.slug])).content.decode()
    assert ("You see the public editions." in page) is told


@pytest.mark.parametrize("role", ["admin", "panel", "owner"])
def test_each_listed_pack_gives_its_identifier_and_version(client, role):
    """The identifier every footer, cover, pack page and release e-mail give (``pack_identifier``,
    the public edition's ending in -PUBLIC), with its version, on the Reports page and Your
    reports: a copy someone was sent is matched to its row."""
    organisation = OrganisationFactory(slug="aberdeen")
    ready_pack(organisation, edition="public", as_of="2026-12-07")
    full = ready_pack(organisation, as_of="2026-12-07")
    Pack.objects.filter(pk=full.pk).update(version=2)
    client.force_login(member(organisation, role))
    for url in (reverse("packs", args=[organisation.slug]), reverse("my_packs")):
        body = client.get(url).content.decode()
        assert "ABERDEEN-QUARTERLY-2026-12-07-PUBLIC v1" in body, url
        assert ("ABERDEEN-QUARTERLY-2026-12-07 v2" in body) is (role == "admin"), url
