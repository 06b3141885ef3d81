"""The dashboard and register page in Chromium: axe-core finds nothing serious, the heat map and
its tabs work from the keyboard, and filters and sort end up in the URL."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from appetite.services import appetite_statement_set
from registers.models import Register, Risk, Role
from registers.services.organisations import member_add
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import (
    PASSWORD,
    ActionFactory,
    CategoryFactory,
    MembershipFactory,
    OrganisationFactory,
    RegisterFactory,
    RiskFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def organisation():
    organisation = OrganisationFactory(name="Example Police")
    top = Register.objects.get(organisation=organisation, slug="corporate")
    school = RegisterFactory(organisation=organisation, parent=top, name="Training college")
    owner = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    people = CategoryFactory(organisation=organisation, name="People")
    appetite_statement_set(organisation=organisation, tolerance=15, warning=10)
    risks = [
        RiskFactory(
            register=top,
            ref="CRR1",
            title="Cyber attack",
            owner=owner,
            horizon="short",
            positions={"current": (4, 5), "target": (2, 3), "inherent": (5, 5)},
        ),
        RiskFactory(
            register=top,
            ref="CRR2",
            title="Recruitment shortfall",
            category=people,
            owner=owner,
            horizon="long",
            positions={"current": (3, 4), "target": (2, 2)},
        ),
        RiskFactory(
            register=school,
            ref="TC1",
            title="Trainer turnover",
            owner=owner,
            horizon="short",
            positions={"current": (3, 4)},
        ),
    ]
    Risk.objects.filter(pk=risks[0].pk).update(next_review_due=dt.date(2020, 1, 1))
    ActionFactory(
        risk=risks[0], description="Patch the servers", owner=owner, due_date=dt.date(2020, 2, 1)
    )
    return organisation


def test_coordinator_reads_dashboard_and_follows_a_heat_map_cell(page, organisation):
    member_add(
        organisation=organisation,
        email=f"coordinator@{organisation.slug}.test",
        role=Role.COORDINATOR,
        password=PASSWORD,
    )
    sign_in(page, f"coordinator@{organisation.slug}.test")
    page.goto(f"/o/{organisation.slug}/")
    expect(page.get_by_role("heading", name="Example Police", level=1)).to_be_visible()
    expect(page.get_by_role("table", name="Current position: 3 open risks")).to_be_visible()
    assert axe_violations(page) == []

    # The tabs work from the keyboard: focus the selected tab, arrow to the next.
    page.get_by_role("tab", name="Current", exact=True).focus()
    page.keyboard.press("ArrowRight")
    expect(
        page.get_by_role("table", name="Inherent (initial) position: 1 open risk")
    ).to_be_visible()
    page.keyboard.press("ArrowLeft")

    # The cell holding CRR2 and TC1 (likelihood 3, impact 4) links to exactly those risks.
    cell = page.locator('#heatmap-current td[headers="heatmap-current-l3 heatmap-current-i4"] a')
    assert "2" in cell.inner_text() and "Medium" in cell.inner_text()
    cell.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/registers/corporate/**")
    assert "likelihood=3" in page.url and "rollup=1" in page.url
    expect(page.get_by_role("link", name="CRR2")).to_be_visible()
    expect(page.get_by_role("link", name="TC1")).to_be_visible()
    assert page.get_by_role("link", name="CRR1").count() == 0
    assert page.get_by_role("link", name="Add a risk").count() in (0, 1)
    assert axe_violations(page) == []


def test_panel_member_filters_sorts_and_pages_the_register(page, organisation):
    panel = MembershipFactory(organisation=organisation, role=Role.PANEL).user
    sign_in(page, panel.email)
    page.goto(f"/o/{organisation.slug}/registers/corporate/")
    expect(page.get_by_role("table", name="2 risks Open and escalated")).to_be_visible()
    assert page.get_by_role("link", name="Add a risk").count() == 0
    expect(page.locator("strong.govuk-tag", has_text="Overdue")).to_be_visible()
    assert axe_violations(page) == []

    # Keyboard only: type a search, tick "include child registers", submit with Enter.
    page.get_by_label("Include the risks of the registers below this one").check()
    page.get_by_label("Search").fill("turnover")
    page.get_by_label("Search").press("Enter")
    page.wait_for_url("**q=turnover**")
    assert "rollup=1" in page.url
    expect(page.get_by_role("link", name="TC1")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Register")).to_be_visible()

    # Sort by a heading; the filter stays, aria-sort says how.
    page.goto(f"/o/{organisation.slug}/registers/corporate/?rollup=1")
    page.get_by_role("link", name="Ref", exact=True).click()
    page.wait_for_url("**sort=ref**")
    assert "rollup=1" in page.url
    header = page.get_by_role("columnheader", name="Ref")
    assert header.get_attribute("aria-sort") == "ascending"
    refs = page.locator("tbody tr td:first-child a").all_inner_texts()
    assert refs == ["TC1", "CRR1", "CRR2"]  # natural order: shorter refs first
    assert axe_violations(page) == []


def test_my_work_page_is_accessible(page, organisation):
    owner = Risk.objects.get(ref="CRR1").owner
    sign_in(page, owner.email)
    page.goto(f"/o/{organisation.slug}/")
    page.get_by_role("link", name="My work").first.click()
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    expect(page.get_by_role("link", name="CRR1").first).to_be_visible()
    expect(page.locator("text=Patch the servers")).to_be_visible()
    assert axe_violations(page) == []
