"""Assurance evidence in Chromium (issue 18): a coordinator uploads a PDF to a control with a
line of assurance and a valid-until day, sees it in the assurance map, downloads it (an
attachment, nosniff), and deletes it through the confirmation page; another control's lapsed
assurance is flagged in the controls list in words. The evidence section fits a 390 px phone
without sideways scrolling, and the pages pass axe at both widths."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from registers.calendar import organisation_today
from registers.models.evidence import AssuranceLine, Evidence
from registers.selectors.assurance import ASSURANCE_LAPSED
from registers.services.evidence import evidence_add
from registers.services.organisations import member_add
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import (
    PASSWORD,
    ControlFactory,
    OrganisationFactory,
    RiskFactory,
    corporate_register_of,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COORDINATOR = "cora.coordinator@epa.example"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def check_looks_right(page, label) -> None:
    """No sideways scroll and no serious axe finding, at a desktop's and a phone's width; at
    the phone's, the evidence section itself stays inside the screen."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (label, width)
        assert axe_violations(page) == [], f"{label} at {width}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_coordinator_uploads_downloads_and_deletes_evidence(page, tmp_path):
    organisation = OrganisationFactory(name="Example Police Authority", slug="epa")
    coordinator = member_add(
        organisation=organisation,
        email=COORDINATOR,
        role="coordinator",
        full_name="Cora Coordinator",
        password=PASSWORD,
    ).user
    risk = RiskFactory(
        register=corporate_register_of(organisation), ref="R1", title="Supplier failure"
    )
    audited = ControlFactory(risk=risk, description="Supplier audits twice a year")
    lapsed = ControlFactory(risk=risk, description="Business continuity plans tested yearly")
    today = organisation_today(organisation)
    evidence_add(
        risk=risk,
        user=coordinator,
        upload=SimpleUploadedFile("Continuity test 2025.pdf", PDF),
        control=lapsed,
        line=AssuranceLine.THIRD,
        valid_until=today - dt.timedelta(days=10),
    )
    flag = f"{ASSURANCE_LAPSED} on {(today - dt.timedelta(days=9)):%-d %b %Y}"

    sign_in(page, COORDINATOR)
    page.goto("/o/epa/risks/R1/")
    # The other control's lapsed assurance, in words beside it in the controls list.
    expect(page.locator(f"#control-{lapsed.pk}")).to_contain_text(flag)
    expect(page.locator(f"#control-{audited.pk}")).not_to_contain_text(ASSURANCE_LAPSED)

    report = tmp_path / "supplier-audit-2026.pdf"
    report.write_bytes(PDF)
    valid_until = today + dt.timedelta(days=200)
    page.locator("#add-evidence summary").click()
    page.set_input_files("#evidence-file", str(report))
    page.locator("#evidence-attach_to").select_option(f"control-{audited.pk}")
    page.locator("#evidence-line").select_option(str(AssuranceLine.SECOND.value))
    page.locator("#evidence-valid_until").fill(f"{valid_until:%d/%m/%Y}")
    page.locator("#evidence-description").fill("Internal audit of supplier management")
    page.get_by_role("button", name="Upload evidence").click()
    expect(page.get_by_text("supplier-audit-2026.pdf uploaded.")).to_be_visible()
    evidence = Evidence.objects.get(name="supplier-audit-2026.pdf")
    assert (evidence.control_id, evidence.line, evidence.valid_until) == (
        audited.pk,
        AssuranceLine.SECOND,
        valid_until,
    )

    # The assurance map: the control's second line evidenced, its third line a gap.
    row = page.locator(f"#assurance-control-{audited.pk}")
    expect(row.locator("td[data-label='Second line']")).to_contain_text("Evidenced")
    expect(row.locator("td[data-label='Gaps']")).to_contain_text("No third-line assurance")
    expect(page.locator(f"#assurance-control-{lapsed.pk}")).to_contain_text(flag)
    item = page.locator(f"#evidence-{evidence.pk}")
    expect(item).to_contain_text(f"Valid until {valid_until:%-d %b %Y}")
    check_looks_right(page, "risk page with evidence")
    page.set_viewport_size({"width": 390, "height": 844})
    section = page.locator("#evidence")
    section.scroll_into_view_if_needed()
    box = section.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('#evidence *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .map(e => e.tagName + '.' + e.className).slice(0, 5)"""
    )
    assert overflowing == [], overflowing
    shot = section.screenshot(path=str(tmp_path / "evidence-390.png"))
    assert shot  # a picture of the section at 390 px, kept in tmp_path
    page.set_viewport_size({"width": 1280, "height": 900})

    # Download: an attachment, never shown in the browser.
    link = item.get_by_role("link", name="supplier-audit-2026.pdf", exact=True)
    with page.expect_download() as info:
        link.click()
    assert info.value.suggested_filename == "supplier-audit-2026.pdf"
    assert open(info.value.path(), "rb").read() == PDF  # noqa: SIM115 (read once)
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"

    # Delete through the confirmation page.
    item.locator("a[href$='/delete/']").click()
    expect(page.get_by_role("heading", name="Delete supplier-audit-2026.pdf?")).to_be_visible()
    check_looks_right(page, "evidence delete confirmation")
    page.get_by_label("Reason (optional)").fill("Uploaded to the wrong control")
    page.get_by_role("button", name="Delete evidence").click()
    expect(page.get_by_text("supplier-audit-2026.pdf deleted.")).to_be_visible()
    expect(page.locator(f"#evidence-{evidence.pk}")).to_have_count(0)
    expect(
        page.locator(f"#assurance-control-{audited.pk}").locator("td[data-label='Second line']")
    ).to_contain_text("None")
    evidence.refresh_from_db()
    assert evidence.deleted_at is not None and not evidence.file

    # Its old link now says it was deleted (410), an accessible page too.
    response = page.goto(f"/o/epa/risks/R1/evidence/{evidence.pk}/download/")
    assert response.status == 410
    check_looks_right(page, "deleted evidence")
