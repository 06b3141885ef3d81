"""The organisation profile page in Chromium: an admin reaches it from the settings page, gets the
error summary for a calendar with no quarter end and an unknown timezone, then saves the panel,
committee months and timezone; axe-clean, and nothing scrolling sideways, at 1280 and 390 px."""

import pytest
from playwright.sync_api import expect

from registers.models import Organisation
from registers.services.organisations import member_add
from registers.services.profile import QUARTER_END_REQUIRED, TIMEZONE_UNKNOWN
from riskreg.forms import sentence
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, OrganisationFactory

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


def test_an_admin_edits_the_profile(page):
    organisation = OrganisationFactory(name="Mayor's Office for Policing and Crime")
    member_add(
        organisation=organisation,
        email=f"admin@{organisation.slug}.test",
        role="admin",
        password=PASSWORD,
    )
    sign_in(page, f"admin@{organisation.slug}.test")
    page.goto(f"/o/{organisation.slug}/settings/")
    page.get_by_role("link", name="Profile and reporting calendar").click()
    page.wait_for_url(f"**/o/{organisation.slug}/settings/profile/")
    expect(page.get_by_role("heading", name="Organisation profile", level=1)).to_be_visible()
    check_looks_right(page)

    # Bad input: every quarter end unticked and a timezone that is not one.
    quarters = page.get_by_role("group", name="Quarter-end months")
    for month in ("March", "June", "September", "December"):
        quarters.get_by_label(month).uncheck()
    page.get_by_label("Timezone").fill("London")
    page.get_by_role("button", name="Save the profile").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(sentence(QUARTER_END_REQUIRED))
    expect(summary).to_contain_text(sentence(TIMEZONE_UNKNOWN.format(zone="London")))
    check_looks_right(page)
    summary.get_by_role("link", name=sentence(QUARTER_END_REQUIRED)).click()
    expect(quarters.get_by_label("January")).to_be_focused()

    for month in ("March", "June", "September", "December"):
        quarters.get_by_label(month).check()
    committee = page.get_by_role("group", name="Committee months (optional)")
    committee.get_by_label("September").uncheck()
    committee.get_by_label("October").check()
    page.get_by_label("Timezone").fill("Europe/London")
    page.get_by_label("Short name (optional)").fill("MOPAC")
    page.get_by_label("Committee or panel the packs are addressed to (optional)").fill(
        "MPS-MOPAC Joint Audit Panel"
    )
    page.get_by_role("button", name="Save the profile").click()
    expect(page.get_by_text("Profile saved: changed the short name")).to_be_visible()
    stored = Organisation.objects.get(pk=organisation.pk)
    assert (stored.short_name, stored.panel_name) == ("MOPAC", "MPS-MOPAC Joint Audit Panel")
    assert (stored.quarter_end_months, stored.committee_months) == ([3, 6, 9, 12], [3, 10])
    check_looks_right(page)
