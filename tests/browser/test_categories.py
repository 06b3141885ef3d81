"""The categories and objectives settings pages in Chromium: an admin reaches them from the
settings page, adds, moves, retires and merges a category (the merge asks first, saying how many
risks move), and every page on the way passes axe-core."""

import pytest
from playwright.sync_api import expect

from appetite.services import appetite_statement_set
from registers.models import Category, Objective, Register, Risk
from registers.services.organisations import member_add
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, CategoryFactory, OrganisationFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def organisation():
    organisation = OrganisationFactory(name="Example Trust")
    top = Register.objects.get(organisation=organisation, slug="corporate")
    finance = CategoryFactory(organisation=organisation, name="Finance", position=1)
    money = CategoryFactory(organisation=organisation, name="Money", position=2)
    appetite_statement_set(organisation=organisation, category=finance, tolerance=12)
    Objective.objects.create(organisation=organisation, code="P1", name="Safe care")
    RiskFactory(register=top, ref="BAF1", title="Deficit", category=money)
    RiskFactory(register=top, ref="BAF2", title="Cash", category=money)
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


def test_an_admin_manages_categories_and_objectives(page, organisation):
    sign_in(page, f"admin@{organisation.slug}.test")
    page.goto(f"/o/{organisation.slug}/settings/")
    page.get_by_role("link", name="Risk categories").click()
    page.wait_for_url(f"**/o/{organisation.slug}/settings/categories/")
    expect(page.get_by_role("heading", name="Categories", level=1)).to_be_visible()
    assert "breach above 12" in page.get_by_role("row", name="Finance").inner_text()
    assert_axe_clean(page)

    # Bad input: the error summary, answered 400, axe-clean.
    page.get_by_label("Name", exact=True).fill("finance")
    page.get_by_role("button", name="Add the category").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_axe_clean(page)
    page.get_by_label("Name", exact=True).fill("Estates")
    page.get_by_role("button", name="Add the category").click()
    expect(page.get_by_role("row", name="Estates")).to_be_visible()

    page.get_by_role("button", name="Move up Estates").click()
    names = page.locator("tbody th").all_inner_texts()
    assert names.index("Estates") < names.index("Money")

    page.get_by_role("button", name="Retire Estates").click()
    expect(page.get_by_role("button", name="Bring back Estates")).to_be_visible()

    page.get_by_role("link", name="Merge into another (Money)").click()
    assert_axe_clean(page)
    page.get_by_label("Finance").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("main")).to_contain_text("2 risks (2 open) will move from Money to Finance")
    assert_axe_clean(page)
    page.get_by_role("button", name="Merge and move 2 risks").click()
    page.wait_for_url(f"**/o/{organisation.slug}/settings/categories/")
    assert Risk.objects.filter(organisation=organisation, category__name="Finance").count() == 2
    assert Category.objects.get(organisation=organisation, name="Money").retired

    page.get_by_role("link", name="Rename Finance").click()
    assert_axe_clean(page)

    page.goto(f"/o/{organisation.slug}/settings/objectives/")
    expect(page.get_by_role("row", name="P1 Safe care")).to_be_visible()
    assert_axe_clean(page)
    page.get_by_label("Code").fill("P2")
    page.get_by_label("Name", exact=True).fill("Money well spent")
    page.get_by_role("button", name="Add the objective").click()
    expect(page.get_by_role("row", name="P2 Money well spent")).to_be_visible()
    assert_axe_clean(page)
