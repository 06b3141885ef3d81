"""The risk form by keyboard and on a phone: Enter in a text field saves (never a silent "Preview
rating"); a rating can be chosen on the scheme's grid, which sets the radios; the working-leads
list is a compact box with a filter; the form passes axe at 1280 and 390 px wide.
Set RISKREG_SCREENSHOTS=DIR to keep full-page screenshots of the form at both widths."""

import contextlib
import os
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from registers.models import Register, Risk, Role
from registers.services.organisations import member_add
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, OrganisationFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("RISKREG_SCREENSHOTS")


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)


def member(organisation, role, name):
    email = f"{name.split()[0].lower()}@{organisation.slug}.test"
    return member_add(
        organisation=organisation, email=email, role=role, full_name=name, password=PASSWORD
    ).user


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Example Police", slug="example")


@pytest.fixture
def coordinator(organisation):
    return member(organisation, Role.COORDINATOR, "Cora Coordinator")


@pytest.fixture
def risk(organisation, coordinator):
    return RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"),
        ref="CRR07",
        title="Fire at the depot",
        positions={"inherent": (3, 4), "current": (3, 4), "target": (1, 2)},
    )


def test_enter_in_the_title_saves_the_risk_not_a_preview(page, organisation, coordinator, risk):
    sign_in(page, coordinator.email)
    page.goto(f"/o/{organisation.slug}/risks/{risk.ref}/edit/")
    title = page.get_by_label("Title", exact=True)
    title.fill("Fire at the main depot")
    title.press("Enter")
    expect(page.get_by_text("Risk CRR07 saved.")).to_be_visible()
    risk.refresh_from_db()
    assert risk.title == "Fire at the main depot"


def test_enter_in_a_new_risk_adds_it(page, organisation, coordinator):
    sign_in(page, coordinator.email)
    page.goto(f"/o/{organisation.slug}/registers/corporate/risks/new/")
    page.get_by_label("Reference").fill("CRR41")
    title = page.get_by_label("Title", exact=True)
    title.fill("Loss of the data centre")
    title.press("Enter")
    expect(page.get_by_text("Risk CRR41 created.")).to_be_visible()
    assert Risk.objects.filter(ref="CRR41", title="Loss of the data centre").exists()


def test_a_grid_cell_sets_likelihood_and_impact_and_saves(page, organisation, coordinator, risk):
    sign_in(page, coordinator.email)
    page.goto(f"/o/{organisation.slug}/risks/{risk.ref}/edit/")
    grid = page.locator("#current-grid")
    expect(grid).to_be_visible()
    cell = grid.locator("button[data-likelihood='2'][data-impact='5']")
    label = "Likelihood 2 Low, impact 5 Very serious: 10 Medium"
    expect(cell).to_have_attribute("aria-label", label)
    expect(cell).to_contain_text("10")
    expect(cell).to_contain_text("Medium")
    cell.click()
    expect(page.locator("#current_likelihood_2")).to_be_checked()
    expect(page.locator("#current_impact_5")).to_be_checked()
    expect(cell).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#current-rating")).to_contain_text("10")
    # The keyboard works the grid too: a cell is a button.
    other = grid.locator("button[data-likelihood='4'][data-impact='1']")
    other.focus()
    page.keyboard.press("Space")
    expect(page.locator("#current_likelihood_4")).to_be_checked()
    expect(page.locator("#current_impact_1")).to_be_checked()
    expect(cell).to_have_attribute("aria-pressed", "false")
    # Choosing on the radios shows on the grid.
    page.locator("#current_likelihood_3").check()
    expect(grid.locator("button[data-likelihood='3'][data-impact='1']")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Risk CRR07 saved.")).to_be_visible()
    risk.refresh_from_db()
    assert (risk.current_likelihood, risk.current_impact) == (3, 1)


def test_working_leads_filter_and_form_at_phone_and_desktop(page, organisation, coordinator, risk):
    for number in range(26):
        member(organisation, Role.OWNER, f"Lead{number:02d} Person")
    sign_in(page, coordinator.email)
    page.goto(f"/o/{organisation.slug}/risks/{risk.ref}/edit/")
    box = page.locator(".rr-checkbox-list")
    expect(box).to_be_visible()
    # A compact box: the 28 people do not stretch the form.
    assert box.bounding_box()["height"] < 400
    search = page.get_by_label("Filter working leads")
    search.fill("lead07")
    expect(page.get_by_label("Lead07 Person")).to_be_visible()
    expect(page.get_by_label("Lead08 Person")).to_be_hidden()
    page.get_by_label("Lead07 Person").check()
    search.fill("")
    expect(page.get_by_label("Lead08 Person")).to_be_attached()
    assert axe_violations(page) == []
    screenshot(page, "risk-form-1280.png")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Risk CRR07 saved.")).to_be_visible()
    assert [lead.full_name for lead in risk.leads.all()] == ["Lead07 Person"]

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/o/{organisation.slug}/risks/{risk.ref}/edit/")
    page.locator("#current-grid button[data-likelihood='5'][data-impact='5']").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    screenshot(page, "risk-form-390.png")


def test_without_javascript_the_radios_and_checkboxes_remain(browser, live_server, organisation,
                                                            coordinator, risk):  # fmt: skip
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, coordinator.email)
        page.goto(f"/o/{organisation.slug}/risks/{risk.ref}/edit/")
        expect(page.locator("#current-grid")).to_be_hidden()
        expect(page.get_by_label("Filter working leads")).to_be_hidden()
        page.locator("#current_likelihood_2").check()
        title = page.get_by_label("Title", exact=True)
        title.fill("Fire at the old depot")
        title.press("Enter")
        expect(page.get_by_text("Risk CRR07 saved.")).to_be_visible()
        risk.refresh_from_db()
        assert risk.title == "Fire at the old depot" and risk.current_likelihood == 2
    finally:
        context.close()


def test_rating_quickly_logs_no_error(page, organisation, coordinator, risk):
    """Each change of likelihood or impact asks for the rating; a change made while the last
    answer is still coming used to abort that request (``hx-sync="this:replace"``), and htmx
    logs every aborted request as an error (``htmx:sendAbort``) in the browser's console. The
    previews wait their turn instead, and the last change's rating is the one shown."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, coordinator.email)
    page.goto(f"/o/{organisation.slug}/risks/{risk.ref}/edit/")
    held = []  # the previews, answered only when the test says: each is still coming
    page.route("**/rating-preview/**", lambda route: held.append(route))
    for choice in ("#current_likelihood_2", "#current_impact_5", "#current_likelihood_4"):
        page.locator(choice).check()
    for _ in range(30):
        while held:
            with contextlib.suppress(PlaywrightError):  # aborted by the page meanwhile
                held.pop(0).continue_()
        page.wait_for_timeout(100)
    expect(page.locator("#current-rating")).to_contain_text("20")
    assert errors == []
