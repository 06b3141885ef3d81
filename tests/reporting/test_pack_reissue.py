"""A released pack is replaced only by its correction, which says what it corrects (decision
134): a request for the same organisation, kind, edition and date as a released pack is refused,
pointing to "Correct this pack", so the panel's list never shows two versions side by side as
ready with nothing saying one replaces the other; a later version downloads under its own file
name; the release page says one true thing about who reads the edition."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from registers.models import Role
from reporting.models import Pack, PackStatus
from reporting.packs import services, tasks
from reporting.packs.release import pack_correct, pack_release
from reporting.packs.services import PACK_ALREADY_RELEASED, PackAlreadyReleased
from tests.factories import RiskFactory
from tests.reporting.test_pack_release import (  # noqa: F401 (fixtures)
    built_draft,
    html_for_pdf,
    member,
    released,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def build(send_queued_email):
    """Run whatever a service queued (builds, then e-mails) here and now."""
    return send_queued_email


def released_on(org, as_of: str) -> Pack:
    pack = released(org, as_of=as_of)
    pack.refresh_from_db()
    return pack


def corrected_and_released(org, pack: Pack, build, *, note: str) -> Pack:
    with build():
        correction = pack_correct(pack=pack, by=member(org, Role.ADMIN), note=note)
    with build():
        pack_release(pack=correction, by=member(org, Role.COORDINATOR))
    correction.refresh_from_db()
    assert correction.released_at is not None and correction.status == PackStatus.READY
    return correction


@pytest.fixture
def org(organisation, corporate_register):
    RiskFactory(register=corporate_register, ref="R1", title="Cyber attack")
    return organisation


def refusal(pack: Pack) -> str:
    label = f"{pack.organisation.slug.upper()}-QUARTERLY-{pack.as_of}-PUBLIC v{pack.version}"
    return PACK_ALREADY_RELEASED.format(label=label, version=pack.version)


def test_a_request_for_a_released_packs_date_is_refused_pointing_to_its_correction(org):
    out = released_on(org, "2026-12-07")
    with pytest.raises(PackAlreadyReleased) as refused:
        services.pack_request(organisation=org, kind="quarterly", edition="public", as_of=out.as_of)
    assert refused.value.pack == out
    assert refused.value.messages == [refusal(out)]
    assert "Correct this pack" in refused.value.messages[0]
    assert list(Pack.objects.values_list("version", flat=True)) == [1]
    # The other edition, or another date, is another pack.
    for edition, as_of in (("full", out.as_of), ("public", dt.date(2026, 12, 6))):
        made = services.pack_request(
            organisation=org, kind="quarterly", edition=edition, as_of=as_of
        )
        assert made.version == 1 and made.corrects is None


def test_a_request_while_a_pack_is_being_released_is_refused(org, build):
    draft = built_draft(org, as_of="2026-12-07")
    coordinator = member(org, Role.COORDINATOR)
    pack_release(pack=draft, by=coordinator)  # its final copy not yet built
    draft.refresh_from_db()
    assert draft.released_at is None and draft.released_by == coordinator
    with pytest.raises(PackAlreadyReleased) as refused:
        services.pack_request(
            organisation=org, kind="quarterly", edition="public", as_of=draft.as_of
        )
    # Not "released": pointing to "Correct this pack" would send them to a refusal
    # (only a released pack is corrected); its own page retries a failed release.
    (message,) = refused.value.messages
    assert "v1 is being released" in message and "retry it on its page" in message


def test_a_second_draft_is_not_released_beside_a_released_version(client, org, build):
    """Two drafts of one date, requested before either was released: once v1 is released, v2
    is refused release (it says nothing of what it replaces) and sent to v1's correction."""
    first = built_draft(org, as_of="2026-12-07")
    second = Pack.objects.create(
        organisation=org, kind="quarterly", edition="public", as_of="2026-12-07", version=2
    )
    assert tasks.build_pack_task(second.pk) == PackStatus.READY
    second.refresh_from_db()
    coordinator = member(org, Role.COORDINATOR)
    with build():
        pack_release(pack=first, by=coordinator)
    first.refresh_from_db()
    assert first.released_at is not None
    with pytest.raises(PackAlreadyReleased) as refused:
        pack_release(pack=second, by=coordinator)
    (message,) = refused.value.messages
    assert "v1 is already released" in message and "Correct this pack" in message
    second.refresh_from_db()
    assert second.released_by is None and second.released_at is None
    client.force_login(coordinator)
    response = client.post(reverse("pack_release", args=[org.slug, second.pk]))
    assert response.status_code == 409
    assert "does not say what it" in response.content.decode()


def test_after_a_correction_the_refusal_names_the_latest_version(org, build):
    out = released_on(org, "2026-12-07")
    with build():
        correction = pack_correct(pack=out, by=member(org, Role.ADMIN), note="R1's owner")
    Pack.objects.filter(pk=correction.pk).update(released_by=correction.requested_by)
    with pytest.raises(PackAlreadyReleased) as refused:
        services.pack_request(organisation=org, kind="quarterly", edition="public", as_of=out.as_of)
    assert refused.value.pack == correction and "v2 is being released" in str(refused.value)


def test_the_reports_page_refuses_it_with_the_message_and_a_400(client, org, corporate_register):
    released_on(org, "2026-12-07")
    client.force_login(member(org, Role.COORDINATOR))
    response = client.post(
        reverse("packs", args=[org.slug]),
        {
            "kind": "quarterly",
            "edition": "public",
            "as_of": "2026-12-07",
            "registers": [corporate_register.pk],
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "v1 is already released for this date and edition" in body
    assert "Correct this pack" in body
    assert Pack.objects.count() == 1


def summary_of(page: str) -> str:
    """The page's GOV.UK error summary."""
    start = page.index('class="govuk-error-summary"')
    return page[start : page.index("</ul>", start)]


def request_again(client, org, corporate_register, pack):
    return client.post(
        reverse("packs", args=[org.slug]),
        {
            "kind": pack.kind,
            "edition": pack.edition,
            "as_of": pack.as_of.isoformat(),
            "registers": [corporate_register.pk],
        },
    )


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_the_reports_pages_refusal_links_to_the_released_pack(
    client, org, corporate_register, role
):
    """The refusal says to use "Correct this pack", which is on the released pack's page: the
    error summary's line is a link to that page, and the title says there is an error."""
    out = released_on(org, "2026-12-07")
    client.force_login(member(org, role))
    response = request_again(client, org, corporate_register, out)
    assert response.status_code == 400
    page = response.content.decode()
    href = reverse("pack_detail", args=[org.slug, out.pk])
    summary = summary_of(page)
    assert f'<a href="{href}">' in summary
    assert summary.count("<li>") == 1 and "v1 is already released" in summary
    assert "<title>Error: Reports" in page
    assert "Correct this pack" in client.get(href).content.decode()  # where the link goes


def test_the_refusal_while_being_released_links_to_its_page_too(client, org, corporate_register):
    """Its page retries a failed release."""
    out = released_on(org, "2026-12-07")
    Pack.objects.filter(pk=out.pk).update(released_at=None, released_by=member(org, Role.ADMIN))
    client.force_login(member(org, Role.COORDINATOR))
    summary = summary_of(request_again(client, org, corporate_register, out).content.decode())
    assert "v1 is being released" in summary
    assert f'<a href="{reverse("pack_detail", args=[org.slug, out.pk])}">' in summary


def test_the_release_pages_refusal_links_to_the_version_to_correct(client, org, build):
    first = built_draft(org, as_of="2026-12-07")
    second = Pack.objects.create(
        organisation=org, kind="quarterly", edition="public", as_of="2026-12-07", version=2
    )
    assert tasks.build_pack_task(second.pk) == PackStatus.READY
    coordinator = member(org, Role.COORDINATOR)
    with build():
        pack_release(pack=first, by=coordinator)
    client.force_login(coordinator)
    response = client.post(reverse("pack_release", args=[org.slug, second.pk]))
    assert response.status_code == 409
    summary = summary_of(response.content.decode())
    assert f'<a href="{reverse("pack_detail", args=[org.slug, first.pk])}">' in summary


def test_the_link_is_only_for_a_reader_who_may_see_the_pack(org):
    """Built through ``packs_for_user``: a member who may not read the released pack (a panel
    member not cleared, and a full edition) would get no link, only the words."""
    from registers.permissions import organisation_for_user
    from reporting.views.packs import released_pack_href

    full = released_on(org, "2026-12-07")
    Pack.objects.filter(pk=full.pk).update(edition="full")
    with pytest.raises(PackAlreadyReleased) as refused:
        services.pack_request(organisation=org, kind="quarterly", edition="full", as_of=full.as_of)
    panel = organisation_for_user(user=member(org, Role.PANEL), slug=org.slug)
    coordinator = organisation_for_user(user=member(org, Role.COORDINATOR), slug=org.slug)
    assert released_pack_href(panel, refused.value) == ""
    assert released_pack_href(coordinator, refused.value) == reverse(
        "pack_detail", args=[org.slug, full.pk]
    )


def test_the_panel_sees_the_first_version_replaced_by_its_correction(client, org, build):
    out = released_on(org, "2026-12-07")
    corrected_and_released(org, out, build, note="R1's owner was wrong")
    client.force_login(member(org, Role.PANEL))
    for url in (reverse("packs", args=[org.slug]), reverse("my_packs")):
        page = client.get(url).content.decode()
        assert "Replaced by version 2</strong>: R1&#x27;s owner was wrong" in page, url


def test_a_later_version_released_before_the_refusal_still_marks_the_first_replaced(client, org):
    """The walk's Aberdeen v1 and v2: requested side by side before such requests were refused,
    v2 correcting nothing by name. The panel's lists and the pack's page say v1 is replaced."""
    first = released_on(org, "2026-12-07")
    second = released_on(org, "2026-12-07")
    Pack.objects.filter(pk=second.pk).update(version=2)
    client.force_login(member(org, Role.PANEL))
    for url in (reverse("packs", args=[org.slug]), reverse("my_packs")):
        page = client.get(url).content.decode()
        assert page.count("Replaced by version 2</strong>") == 1, url
        assert "Replaced by version 2</strong>:" not in page, url  # nothing to say it corrects
    page = client.get(reverse("pack_detail", args=[org.slug, first.pk])).content.decode()
    assert "Replaced by <a" in page and "version 2</a>" in page
    later = client.get(reverse("pack_detail", args=[org.slug, second.pk])).content.decode()
    assert "Replaced by" not in later


def test_a_later_version_downloads_under_its_own_file_name(client, org, build):
    out = released_on(org, "2026-12-07")
    correction = corrected_and_released(org, out, build, note="R1's owner")
    client.force_login(member(org, Role.PANEL))
    names = {
        pack.version: client.get(reverse("pack_download", args=[org.slug, pack.pk]))[
            "Content-Disposition"
        ]
        for pack in (out, correction)
    }
    stem = f"{org.slug}-quarterly-2026-12-07-public"
    assert f'filename="{stem}.pdf"' in names[1]
    assert f'filename="{stem}-v2.pdf"' in names[2]


# --- the release page says who reads the edition ------------------------------------------------


@pytest.mark.parametrize(
    ("edition", "cleared", "said", "not_said"),
    [
        ("full", False, "no panel member sees or downloads it", "the panel sees and downloads"),
        ("full", True, "the panel sees and downloads it", "no panel member"),
        ("public", False, "the panel sees and downloads it", "no panel member"),
    ],
)
def test_the_release_page_says_one_true_thing(client, org, edition, cleared, said, not_said):
    draft = built_draft(org, edition=edition, as_of="2026-12-07")
    member(org, Role.PANEL, sensitive_access=cleared)
    client.force_login(member(org, Role.COORDINATOR))
    page = client.get(reverse("pack_release", args=[org.slug, draft.pk])).content.decode()
    assert said in page and not_said not in page
    assert ("1 panel member may read this edition" in page) is (said.startswith("the panel"))


def test_the_release_page_of_an_organisation_without_a_panel(client, org):
    draft = built_draft(org, as_of="2026-12-07")
    client.force_login(member(org, Role.COORDINATOR))
    page = client.get(reverse("pack_release", args=[org.slug, draft.pk])).content.decode()
    assert "no panel member sees it yet" in page and "the panel sees and downloads" not in page
