"""The registers settings pages in Chromium: an admin reaches them from the settings page, adds a
register under the corporate one, renames it (a new address), moves it and sets its review
period, and an old link to it still opens it; every page on the way passes axe-core."""

import pytest
from playwright.sync_api import expect

from registers.models import Register
from registers.services.organisations import member_add
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, OrganisationFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def organisation():
    organisation = OrganisationFactory(name="Example Trust")
    top = Register.objects.get(organisation=organisation, slug="corporate")
    RiskFactory(register=top, ref="BAF1", title="Deficit")
    member_add(
        organisation=organisation,
        email=f"admin@{organisation.slug}.test",
        role="admin",
        password=PASSWORD,
    )
    return organisation


def assert_axe_clean(page) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page.url}: {violations}"


def test_an_admin_adds_renames_and_moves_a_register(page, organisation):
    slug = organisation.slug
    sign_in(page, f"admin@{slug}.test")
    page.goto(f"/o/{slug}/settings/")
    page.locator("#main-content").get_by_role("link", name="Registers", exact=True).click()
    page.wait_for_url(f"**/o/{slug}/settings/registers/")
    expect(page.get_by_role("heading", name="Registers", level=1)).to_be_visible()
    assert_axe_clean(page)

    page.get_by_role("link", name="Add a register").click()
    assert_axe_clean(page)
    # Bad input: the error summary, axe-clean.
    page.get_by_label("Review period in months (optional)").fill("99")
    page.get_by_role("button", name="Add the register").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_axe_clean(page)
    page.get_by_label("Name", exact=True).fill("Finance")
    page.get_by_label("Review period in months (optional)").fill("")
    page.get_by_label("Sits under").select_option(label="Example Trust corporate risk register")
    page.get_by_role("button", name="Add the register").click()
    page.wait_for_url(f"**/o/{slug}/settings/registers/")
    expect(page.get_by_role("row", name="Finance")).to_be_visible()
    finance = Register.objects.get(organisation=organisation, name="Finance")
    assert finance.slug == "finance" and finance.parent.slug == "corporate"

    page.get_by_role("link", name="Change Finance").click()
    assert_axe_clean(page)
    page.get_by_label("Name", exact=True).fill("Finance and estates")
    page.get_by_label("Address").fill("finance-estates")
    page.get_by_label("Sits under").select_option(label="None: a top-level register")
    page.get_by_label("Review period in months (optional)").fill("6")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/o/{slug}/settings/registers/")
    assert "6 months" in page.get_by_role("row", name="Finance and estates").inner_text()
    finance.refresh_from_db()
    assert (finance.slug, finance.parent, finance.review_months) == ("finance-estates", None, 6)

    # An old link still opens the register.
    page.goto(f"/o/{slug}/registers/finance/?sort=-current")
    page.wait_for_url(f"**/o/{slug}/registers/finance-estates/?sort=-current")
    expect(page.get_by_role("heading", name="Finance and estates").first).to_be_visible()

    # Archive it (with a reason): read-only, listed under "Archived", its page under a banner.
    page.goto(f"/o/{slug}/settings/registers/finance-estates/")
    page.get_by_role("link", name="Archive Finance and estates").click()
    assert_axe_clean(page)
    page.get_by_role("button", name="Archive the register").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()  # no reason given
    assert_axe_clean(page)
    page.get_by_label("Why").fill("Merged into the corporate register")
    page.get_by_role("button", name="Archive the register").click()
    page.wait_for_url(f"**/o/{slug}/settings/registers/")
    archived = page.get_by_role("table", name="Archived")
    assert "Finance and estates" in archived.inner_text()
    assert_axe_clean(page)
    finance.refresh_from_db()
    assert finance.archived_at is not None
    page.get_by_role("link", name="Change which registers the packs cover").click()
    assert_axe_clean(page)
    page.goto(f"/o/{slug}/registers/finance-estates/")
    expect(page.get_by_text("Archived on")).to_be_visible()
    assert page.get_by_role("link", name="Add a risk").count() == 0
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert_axe_clean(page)
