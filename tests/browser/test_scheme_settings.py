"""The scoring scheme pages in Chromium: an admin starts a new version from a preset, gets a band
colour refused against its field, moves a band edge, sees on the preview which risk it re-rates,
and saves with "re-rate them all now"; axe-clean, and nothing scrolling sideways, at 1280 and
390 px."""

import pytest
from playwright.sync_api import expect

from registers.models import Risk
from registers.services.organisations import member_add
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, OrganisationFactory, RiskFactory, corporate_register_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def check_looks_right(page) -> None:
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], size
        violations = axe_violations(page)
        assert not violations, f"{page.url} at {size['width']} px: {violations}"
    page.set_viewport_size(DESKTOP)


def test_an_admin_moves_a_band_edge_and_rerates_the_risks(page):
    organisation = OrganisationFactory(name="East Shires Purchasing Organisation")
    member_add(
        organisation=organisation,
        email=f"admin@{organisation.slug}.test",
        role="admin",
        password=PASSWORD,
    )
    register = corporate_register_of(organisation)
    RiskFactory(register=register, ref="R5", title="Supplier fails", positions={"current": (1, 5)})
    sign_in(page, f"admin@{organisation.slug}.test")
    page.goto(f"/o/{organisation.slug}/settings/scheme/")
    expect(page.get_by_role("heading", name="Scoring scheme", level=1)).to_be_visible()
    check_looks_right(page)

    page.get_by_role("link", name="Make a new version").click()
    page.get_by_label("Preset: ESPO 5x5 (5x5, product)").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Change", level=1)).to_be_visible()

    page.get_by_label("Band 1: colour").fill("green")
    page.get_by_label("Band 1: highest score").fill("4")
    page.get_by_label("Band 2: lowest score").fill("5")
    page.get_by_role("button", name="Preview the new version").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("colour must be a hex colour")
    check_looks_right(page)
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Band 1: colour")).to_be_focused()

    page.get_by_label("Band 1: colour").fill("#00703c")
    page.get_by_role("button", name="Preview the new version").click()
    expect(page.get_by_role("heading", name="Check version 2", level=1)).to_be_visible()
    row = page.get_by_role("row", name="R5 Supplier fails")
    expect(row).to_contain_text("5 (Low)")
    expect(row).to_contain_text("5 (Medium)")
    check_looks_right(page)

    page.get_by_label("Re-rate them all now under the new version").check()
    page.get_by_label("Why is the scheme changing?").fill("Board lowered the Low band")
    page.get_by_role("button", name="Save version 2").click()
    expect(page.get_by_text("1 open risk re-rated under it: 1 changed")).to_be_visible()
    risk = Risk.objects.get(organisation=organisation, ref="R5")
    assert (risk.current_band, risk.scheme_version.number) == ("Medium", 2)
