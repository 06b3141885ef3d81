"""The appetite pages in Chromium: an admin changes a tolerance and the dashboard's breach list
follows; every appetite page passes axe-core; a viewer reads but cannot change."""

import pytest
from playwright.sync_api import expect

from appetite.services import appetite_statement_set
from registers.models import Register
from registers.services.organisations import member_add
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, CategoryFactory, OrganisationFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def organisation():
    organisation = OrganisationFactory(name="Example University")
    top = Register.objects.get(organisation=organisation, slug="corporate")
    finance = CategoryFactory(organisation=organisation, name="Financial Sustainability")
    people = CategoryFactory(organisation=organisation, name="Staff Recruitment")
    appetite_statement_set(
        organisation=organisation, tolerance=15, warning=10, rationale="Whole university"
    )
    appetite_statement_set(
        organisation=organisation,
        category=finance,
        tolerance=12,
        warning=9,
        rationale="Table 5 tolerance for Financial Sustainability",
    )
    RiskFactory(
        register=top,
        ref="SRR2",
        title="Operating surplus not achieved",
        category=finance,
        positions={"current": (4, 4)},  # 16
    )
    RiskFactory(
        register=top,
        ref="SRR8",
        title="Cannot recruit key staff",
        category=people,
        positions={"current": (3, 4)},  # 12: at warning under the default
    )
    for role in ("admin", "viewer"):
        member_add(
            organisation=organisation,
            email=f"{role}@{organisation.slug}.test",
            role=role,
            password=PASSWORD,
        )
    return organisation


def breach_refs(page) -> list[str]:
    table = page.get_by_role("table", name="Risks in breach of appetite or at warning")
    rows = table.locator("tbody tr")
    return [
        rows.nth(i).locator("td").first.inner_text()
        for i in range(rows.count())
        if "Breach" in rows.nth(i).inner_text()
    ]


def test_admin_raises_a_tolerance_and_the_breach_leaves_the_dashboard(page, organisation):
    slug = organisation.slug
    sign_in(page, f"admin@{slug}.test")
    page.goto(f"/o/{slug}/")
    assert breach_refs(page) == ["SRR2"]
    assert "since" in page.get_by_role("table", name="Risks in breach").inner_text()

    page.get_by_role("link", name="appetite page").click()
    expect(page.get_by_role("heading", name="Risk appetite", level=1)).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Change the appetite for Financial Sustainability").click()
    assert axe_violations(page) == []

    # A warning at the tolerance is refused, with the error summary linking to the field.
    page.get_by_label("Tolerance threshold").fill("16")
    page.get_by_label("Warning threshold").fill("16")
    page.get_by_label("Reason for the change").fill("Audit Committee, March")
    page.get_by_role("button", name="Save the appetite").click()
    summary = page.locator(".govuk-error-summary")
    assert "must be below the tolerance (16)" in summary.inner_text()
    assert axe_violations(page) == []
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "id_warning"

    page.get_by_label("Warning threshold").fill("12")
    page.get_by_role("button", name="Save the appetite").click()
    assert (
        "breach above 16, warning above 12"
        in page.locator(".govuk-notification-banner").inner_text()
    )

    page.goto(f"/o/{slug}/")
    assert breach_refs(page) == []
    assert "SRR2" in page.get_by_role("table", name="Risks in breach").inner_text()  # at warning

    page.goto(f"/o/{slug}/appetite/history/")
    expect(page.get_by_role("heading", name="History of appetite changes")).to_be_visible()
    history = page.get_by_role("table").inner_text()
    assert "Audit Committee, March" in history and "12 → 16" in history
    assert axe_violations(page) == []


def test_admin_edits_levels_and_adds_and_removes_statements_accessibly(page, organisation):
    slug = organisation.slug
    sign_in(page, f"admin@{slug}.test")
    page.goto(f"/o/{slug}/appetite/levels/")
    assert axe_violations(page) == []
    page.locator("#id_levels-0-min_score").fill("5")
    page.locator("#id_levels-0-max_score").fill("1")
    page.get_by_label("Reason for the change").fill("Ranges")
    page.get_by_role("button", name="Save appetite levels").click()
    assert "below the lowest" in page.locator(".govuk-error-summary").inner_text()
    assert axe_violations(page) == []

    page.goto(f"/o/{slug}/appetite/statements/new/")
    assert axe_violations(page) == []
    page.get_by_label("Category").select_option(label="Staff Recruitment")
    page.get_by_label("Tolerance threshold").fill("14")
    page.get_by_label("Reason for the change").fill("New area")
    page.get_by_role("button", name="Add the statement").click()
    assert "Appetite for Staff Recruitment added" in page.inner_text("main")

    page.get_by_role("link", name="Remove the appetite for Staff Recruitment").click()
    assert axe_violations(page) == []
    page.get_by_label("Reason for the change").fill("Merged")
    page.get_by_role("button", name="Remove the statement").click()
    assert "is removed" in page.inner_text("main")


def test_a_viewer_reads_the_appetite_but_has_no_edit_controls(page, organisation):
    slug = organisation.slug
    sign_in(page, f"viewer@{slug}.test")
    page.goto(f"/o/{slug}/appetite/")
    main = page.inner_text("main")
    assert "Table 5 tolerance for Financial Sustainability" in main
    assert page.get_by_role("link", name="Change the appetite for", exact=False).count() == 0
    assert page.get_by_role("link", name="Change appetite levels").count() == 0
    assert axe_violations(page) == []
    response = page.goto(f"/o/{slug}/appetite/levels/")
    assert response.status == 403
