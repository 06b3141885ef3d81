"""Release journey in Chromium (issue 16): a coordinator requests a pack, reads the draft, edits its
executive summary and releases it; the panel member, e-mailed a link and the file's SHA-256,
signs in and downloads the released pack, whose SHA-256 matches. The pages pass axe at desktop
and phone widths."""

import hashlib

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from registers.services.organisations import member_add
from reporting.models import Pack
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, OrganisationFactory, RiskFactory, corporate_register_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COORDINATOR = "coordinator@epa.example"
PANEL = "panel@epa.example"
SUMMARY = "Two amber risks need the panel's attention this quarter."


def check_axe(page, label):
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(page) == [], f"{label} at {width}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_coordinator_releases_a_pack_and_the_panel_downloads_it(page, eager_tasks, tmp_path):
    organisation = OrganisationFactory(name="Example Police Authority", slug="epa")
    RiskFactory(register=corporate_register_of(organisation), ref="R1", title="Cyber attack")
    member_add(organisation=organisation, email=COORDINATOR, role="coordinator", password=PASSWORD)
    member_add(organisation=organisation, email=PANEL, role="panel", password=PASSWORD)

    sign_in(page, COORDINATOR)
    page.goto("/o/epa/reports/")
    page.get_by_label("Quarterly audit panel pack").check()
    page.get_by_label("Public (OFFICIAL-SENSITIVE detail left out)").check()
    page.fill("#id_as_of", timezone.localdate().strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Request pack").click()  # built at once (eager tasks)
    expect(page.get_by_text("Pack built: draft v1")).to_be_visible()  # built in-process: said so
    expect(page.get_by_text("Draft v1", exact=True)).to_be_visible()
    check_axe(page, "Reports page with a draft")

    page.get_by_role("link", name="Summarise and release").click()
    box = page.get_by_label("Executive summary")
    assert "1 open risk as at" in box.input_value()  # the generated draft
    check_axe(page, "draft pack page")
    box.fill(SUMMARY)
    page.get_by_role("button", name="Save summary and rebuild the draft").click()
    expect(page.get_by_text("Summary saved")).to_be_visible()

    page.get_by_role("link", name="Release this pack").click()
    check_axe(page, "release confirmation")
    page.get_by_role("button", name="Yes, release this pack").click()
    expect(page.get_by_text("Released v1: the final copy")).to_be_visible()
    pack = Pack.objects.get(organisation=organisation)
    assert pack.released_at is not None and pack.summary == SUMMARY
    assert [message.to for message in mail.outbox if "released" in message.subject] == [[PANEL]]
    assert pack.sha256 in mail.outbox[-1].body

    page.context.clear_cookies()
    sign_in(page, PANEL)
    page.goto("/o/epa/reports/")
    assert "Released v1" in page.content() and pack.sha256 in page.content()
    check_axe(page, "panel's Reports page")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    with open(info.value.path(), "rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == pack.sha256
    page.screenshot(path=tmp_path / "panel-reports.png", full_page=True)
