"""Reports pages in Chromium: a panel member on two organisations downloads a pack; the pages
pass axe-core."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from registers.services.organisations import member_add
from reporting.models import Pack, PackStatus
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def ready_pack(organisation, *, edition="full", as_of="2026-03-31") -> Pack:
    pack = Pack.objects.create(
        organisation=organisation, kind="quarterly", edition=edition, as_of=as_of
    )
    pack.file.save(f"pack-{pack.pk}.pdf", ContentFile(b"%PDF-1.7 browser pack"), save=False)
    pack.status, pack.size, pack.pages = PackStatus.READY, 21, 1
    pack.released_at = timezone.now()  # panel members read released packs only
    pack.save()
    return pack


@pytest.fixture
def panel_member():
    first = OrganisationFactory(name="Example Police Authority", slug="epa")
    second = OrganisationFactory(name="Example Constabulary", slug="econ")
    email = "joint.panel@audit.example"
    cleared = member_add(organisation=first, email=email, role="panel", password=PASSWORD)
    cleared.sensitive_access = True  # full editions are for cleared members only
    cleared.save(update_fields=["sensitive_access"])
    member_add(organisation=second, email=email, role="panel", password=PASSWORD)
    ready_pack(first)
    ready_pack(second, as_of="2026-06-30", edition="public")
    Pack.objects.create(
        organisation=first, kind="committee", as_of="2026-09-30", status="failed", error="Boom"
    )
    Pack.objects.create(organisation=first, kind="committee", as_of="2026-10-31")
    return email


def test_panel_member_downloads_and_pages_are_accessible(page, panel_member, tmp_path):
    sign_in(page, panel_member)
    page.goto("/reports/")
    assert "Example Police Authority" in page.content()
    assert "Example Constabulary" in page.content()
    assert axe_violations(page) == []
    page.screenshot(path=tmp_path / "packs-mine.png", full_page=True)
    with page.expect_download() as info:
        page.locator("a[download][href^='/o/econ/reports/']").click()
    download = info.value
    assert download.suggested_filename == "econ-quarterly-2026-06-30-public.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read().startswith(b"%PDF")

    page.goto("/o/epa/reports/")
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    assert "Request a pack" not in page.content()  # panel members do not request
    assert "Boom" not in page.content()  # failed builds and drafts are the coordinators'
    assert axe_violations(page) == []
    page.screenshot(path=tmp_path / "packs-org.png", full_page=True)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").first.click()
    assert info.value.suggested_filename == "epa-quarterly-2026-03-31-full.pdf"
