"""GET /api/v1/organisations/<org>/packs/ and a pack's download: as the Reports page lists them
and the pack download serves them (reporting.packs.access), 404 beyond reach, flat queries."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from registers.models import Marking, Risk, Role
from reporting.models import Pack, PackStatus
from reporting.packs.access import PUBLIC_EDITION_OUTDATED
from tests import factories
from tests.queries import assert_same_queries


def _pack(organisation, *, edition="full", released=True, docx=False, as_of="2026-03-31"):
    pack = Pack.objects.create(
        organisation=organisation, kind="quarterly", edition=edition, as_of=as_of
    )
    pack.file.save(f"pack-{pack.pk}.pdf", ContentFile(b"%PDF-1.7 test pack"), save=False)
    if docx:
        pack.docx.save(f"pack-{pack.pk}.docx", ContentFile(b"PK docx"), save=False)
    pack.status = PackStatus.READY
    pack.released_at = timezone.now() if released else None
    pack.save()
    return pack


def _packs(client, organisation):
    return client.get(f"/api/v1/organisations/{organisation.slug}/packs/")


def _download(client, organisation, pack, query=""):
    return client.get(f"/api/v1/organisations/{organisation.slug}/packs/{pack.pk}/download/{query}")


@pytest.mark.parametrize(
    ("role", "listed", "full", "public"),
    [
        ("admin", {"full", "public", "draft"}, 200, 200),
        ("coordinator", {"full", "public", "draft"}, 200, 200),
        ("panel", {"public"}, 404, 200),  # not cleared: released public editions only
        # As the pages (decision 125): every member lists what they may download.
        ("owner", {"public"}, 404, 200),
        ("viewer", {"public"}, 404, 200),
        ("cleared viewer", {"full", "public"}, 200, 200),
    ],
)
def test_every_role_as_the_pages(organisation, member, token_for, api, role, listed, full, public):
    packs = {
        "full": _pack(organisation),
        "public": _pack(organisation, edition="public", as_of="2026-06-30"),
        "draft": _pack(organisation, released=False, as_of="2026-09-30"),
    }
    cleared = role.startswith("cleared ")
    user = member(role.removeprefix("cleared "), sensitive_access=cleared)
    _, secret = token_for(user, [organisation])
    client = api(secret)
    response = _packs(client, organisation)
    ids = {item["id"] for item in response.json()["results"]}
    assert ids == {packs[name].pk for name in listed}
    response = _download(client, organisation, packs["full"])
    assert response.status_code == full
    if full == 200:
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert _download(client, organisation, packs["public"]).status_code == public
    if role not in ("admin", "coordinator"):
        assert _download(client, organisation, packs["draft"]).status_code == 404


def test_the_list_gives_download_links_and_formats(organisation, member, token_for, api):
    pack = _pack(organisation, docx=True)
    _, secret = token_for(member(Role.COORDINATOR), [organisation])
    client = api(secret)
    [item] = _packs(client, organisation).json()["results"]
    assert item["formats"] == ["pdf", "docx"] and item["released"] is True
    assert item["kind"] == "quarterly" and item["as_of"] == "2026-03-31"
    assert item["download"].endswith(
        f"/api/v1/organisations/{organisation.slug}/packs/{pack.pk}/download/"
    )
    response = client.get(item["download"] + "?format=docx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="' in response["Content-Disposition"]
    assert response["Content-Disposition"].split("filename=")[1].strip('"').endswith(".docx")
    assert _download(client, organisation, pack, "?format=odt").status_code == 400


def test_no_word_edition_is_404(organisation, member, token_for, api):
    pack = _pack(organisation)
    _, secret = token_for(member(Role.COORDINATOR), [organisation])
    response = _download(api(secret), organisation, pack, "?format=docx")
    assert response.status_code == 404


def test_another_organisation_and_beyond_the_token_are_404(
    organisation, other_organisation, member, token_for, api
):
    user = member(Role.ADMIN)
    factories.MembershipFactory(organisation=other_organisation, user=user, role=Role.ADMIN)
    theirs = _pack(other_organisation)
    mine = _pack(organisation)
    _, secret = token_for(user, [organisation])
    client = api(secret)
    assert _packs(client, other_organisation).status_code == 404
    assert _download(client, other_organisation, theirs).status_code == 404
    assert _download(client, organisation, theirs).status_code == 404  # another's pk
    assert _download(client, organisation, mine).status_code == 200
    outsider = factories.MembershipFactory(organisation=other_organisation, role=Role.ADMIN).user
    _, outsider_secret = token_for(outsider, [other_organisation])
    assert _download(api(outsider_secret), organisation, mine).status_code == 404


def test_the_list_queries_do_not_grow(organisation, member, token_for, api):
    _, secret = token_for(member(Role.PANEL), [organisation])
    client = api(secret)
    _pack(organisation, edition="public")
    _packs(client, organisation)  # the token's last use: written once a minute

    def fetch():
        assert _packs(client, organisation).status_code == 200

    def grow():
        for n in range(4):
            _pack(organisation, edition="public", as_of=f"2025-0{n + 3}-28")
            _pack(factories.OrganisationFactory(), edition="public")

    assert_same_queries(fetch, grow)


def test_the_list_pages_by_cursor(organisation, member, token_for, api):
    for n in range(5):
        _pack(organisation, edition="public", as_of=f"2025-0{n + 1}-28")
    _, secret = token_for(member(Role.PANEL), [organisation])
    client = api(secret)
    first = client.get(f"/api/v1/organisations/{organisation.slug}/packs/?page_size=3").json()
    second = client.get(first["next"]).json()
    ids = [p["id"] for p in first["results"] + second["results"]]
    assert ids == sorted(Pack.objects.values_list("pk", flat=True), reverse=True)
    assert second["next"] is None
    back = client.get(second["previous"]).json()
    assert [p["id"] for p in back["results"]] == ids[:3]


def test_a_public_edition_built_before_a_marking_is_409(
    organisation, corporate_register, member, token_for, api
):
    risk = factories.RiskFactory(register=corporate_register)
    Risk.history.update(history_date=timezone.now() - dt.timedelta(days=30))
    pack = _pack(organisation, edition="public")
    Pack.objects.filter(pk=pack.pk).update(finished_at=timezone.now() - dt.timedelta(days=10))
    Risk.objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    _, secret = token_for(member(Role.PANEL), [organisation])
    response = _download(api(secret), organisation, pack)
    assert response.status_code == 409
    assert response.json() == {"detail": PUBLIC_EDITION_OUTDATED}
