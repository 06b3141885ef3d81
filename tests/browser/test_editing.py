"""Editing risks in the browser: a coordinator creates a risk and adds a control and an action in
place; an owner records a review; a panel member finds nothing to edit and is refused when posting;
the same works with JavaScript off; the pages pass axe-core."""

import re

import pytest
from playwright.sync_api import expect

from registers.models import Action, Control, Register, Review, Risk, Role
from registers.services.organisations import member_add
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, ControlFactory, OrganisationFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def member(organisation, role, name):
    email = f"{name.split()[0].lower()}@{organisation.slug}.test"
    return member_add(
        organisation=organisation, email=email, role=role, full_name=name, password=PASSWORD
    ).user


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Example Police", slug="example")


@pytest.fixture
def corporate(organisation):
    return Register.objects.get(organisation=organisation, slug="corporate")


def test_coordinator_creates_a_risk_with_a_control_and_an_action(page, organisation, corporate):
    coordinator = member(organisation, Role.COORDINATOR, "Cora Coordinator")
    owner = member(organisation, Role.OWNER, "Owen Owner")
    sign_in(page, coordinator.email)
    page.goto(f"/o/{organisation.slug}/registers/corporate/risks/new/")
    expect(page.get_by_role("heading", name="Add a risk")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("Reference").fill("CRR40")
    page.get_by_label("Title").fill("Loss of the control room")
    page.get_by_label("Description").fill("Fire or flood takes the control room out of use.")
    page.locator("#inherent_likelihood_4").check()
    page.locator("#inherent_impact_5").check()
    page.locator("#current_likelihood_3").check()
    page.locator("#current_impact_4").check()
    # htmx shows the rating as soon as both are chosen, before saving
    expect(page.locator("#current-rating")).to_contain_text("12 (Medium)")
    expect(page.locator("#inherent-rating")).to_contain_text("20 (High)")
    page.get_by_label("Owner", exact=True).select_option(label="Owen Owner")
    page.get_by_role("button", name="Add risk").click()

    expect(page.get_by_role("heading", name="CRR40 Loss of the control room")).to_be_visible()
    expect(page.get_by_text("Risk CRR40 created.")).to_be_visible()
    risk_url = page.url
    assert axe_violations(page) == []

    # a control, added in place: the page does not reload; opening the details fetches the form
    page.get_by_text("Add a control", exact=True).click()
    page.locator("#new-control-description").fill("Fallback control room at headquarters")
    page.locator("#new-control-effectiveness").select_option("partially_effective")
    page.get_by_role("button", name="Add control").click()
    controls = page.locator("#controls")
    expect(
        controls.get_by_role("cell", name=re.compile("^Fallback control room at headquarters"))
    ).to_be_visible()
    expect(controls.get_by_text("Control added.")).to_be_visible()

    page.get_by_text("Add a mitigating action", exact=True).click()
    page.locator("#new-action-description").fill("Test the fallback twice a year")
    page.locator("#new-action-owner").select_option(label="Owen Owner")
    page.locator("#new-action-due_date").fill("2030-06-30")
    page.locator("#new-action-priority").select_option("high")
    page.get_by_role("button", name="Add action").click()
    actions = page.locator("#actions")
    expect(
        actions.get_by_role("cell", name=re.compile("^Test the fallback twice a year"))
    ).to_be_visible()
    assert page.url == risk_url

    risk = Risk.objects.get(organisation=organisation, ref="CRR40")
    assert (risk.inherent_score, risk.current_score) == (20, 12) and risk.owner == owner
    assert Control.objects.get(risk=risk).effectiveness == "partially_effective"
    action = Action.objects.get(risk=risk)
    assert action.owner == owner and action.priority == "high"

    # edit the control in place, then mark the action completed and make it a control
    page.locator("#controls").get_by_role("link", name=re.compile("^Edit")).click()
    page.locator(f"#control-{Control.objects.get(risk=risk).pk}-effectiveness").select_option(
        "effective"
    )
    page.get_by_role("button", name="Save control").click()
    expect(
        page.locator("#controls").get_by_role("cell", name="Effective", exact=True)
    ).to_be_visible()
    page.get_by_role("button", name=re.compile("^Mark completed")).click()
    expect(
        page.locator("#actions").get_by_role("cell", name="Completed", exact=True)
    ).to_be_visible()
    page.get_by_role("button", name=re.compile("^Make it a control")).click()
    promoted = page.locator("#controls").get_by_role(
        "cell", name=re.compile("^Test the fallback twice a year")
    )
    expect(promoted).to_be_visible()
    assert Control.objects.filter(risk=risk).count() == 2 and not Action.objects.exists()
    assert page.url == risk_url

    # the edit form passes axe too
    page.get_by_role("link", name="Edit risk").click()
    expect(page.get_by_role("heading", name=re.compile("^Edit CRR40"))).to_be_visible()
    assert axe_violations(page) == []


def test_invalid_form_shows_an_error_summary_linked_to_the_field(page, organisation):
    coordinator = member(organisation, Role.COORDINATOR, "Cora Coordinator")
    sign_in(page, coordinator.email)
    page.goto(f"/o/{organisation.slug}/registers/corporate/risks/new/")
    page.get_by_label("Reference").fill("CRR41")
    page.locator("#current_likelihood_3").check()
    page.get_by_role("button", name="Add risk").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name="Enter a title for the risk")).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("current impact"))).to_be_visible()
    expect(page.get_by_label("Reference")).to_have_value("CRR41")
    assert axe_violations(page) == []
    summary.get_by_role("link", name="Enter a title for the risk").click()
    expect(page.get_by_label("Title")).to_be_focused()


def test_owner_records_a_review(page, organisation, corporate):
    owner = member(organisation, Role.OWNER, "Owen Owner")
    risk = RiskFactory(
        register=corporate,
        ref="CRR42",
        title="Data breach",
        owner=owner,
        positions={"inherent": (4, 4), "current": (3, 4)},
    )
    sign_in(page, owner.email)
    page.goto(f"/o/{organisation.slug}/risks/{risk.ref}/")
    page.get_by_role("link", name="Record review").click()
    expect(page.get_by_role("heading", name="Record a review")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("The current rating has changed: re-score it").check()
    page.locator("#current_likelihood_2").check()
    expect(page.locator("#current-rating")).to_contain_text("8 (Medium)")
    page.get_by_label("This period's update: what changed and what is being done").fill(
        "Encryption rolled out to every laptop."
    )
    page.get_by_role("button", name="Record review").click()
    expect(page.get_by_text(re.compile("Review of CRR42 recorded"))).to_be_visible()
    history = page.locator("#history")
    expect(history.get_by_text(re.compile("Reviewed and re-scored"))).to_be_visible()
    expect(history.get_by_text("Current rating: 12 (Medium) → 8 (Medium)")).to_be_visible()
    expect(history.get_by_text(re.compile("Encryption rolled out"))).to_be_visible()
    review = Review.objects.get(risk=risk)
    assert review.rescored and review.reviewed_by == owner
    page.get_by_role("link", name="Open the history on its own page").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    assert axe_violations(page) == []


def test_panel_member_finds_no_edit_controls_and_is_refused(page, organisation, corporate):
    panel = member(organisation, Role.PANEL, "Pat Panel")
    risk = RiskFactory(register=corporate, ref="CRR43", title="Flooding", owner=panel)
    control = ControlFactory(risk=risk, description="Flood barriers")
    sign_in(page, panel.email)
    page.goto(f"/o/{organisation.slug}/risks/{risk.ref}/")
    expect(page.get_by_role("heading", name="CRR43 Flooding")).to_be_visible()
    for name in ("Edit risk", "Record review", "Close risk"):
        expect(page.get_by_role("link", name=name)).to_have_count(0)
    expect(page.get_by_text("Add a control")).to_have_count(0)
    expect(page.locator("#controls").get_by_role("link")).to_have_count(0)
    expect(page.locator("main form")).to_have_count(0)
    assert axe_violations(page) == []
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    headers = {"X-CSRFToken": token, "Referer": page.url}
    for path in (
        f"/o/{organisation.slug}/risks/{risk.ref}/edit/",
        f"/o/{organisation.slug}/risks/{risk.ref}/close/",
        f"/o/{organisation.slug}/risks/{risk.ref}/controls/add/",
        f"/o/{organisation.slug}/risks/{risk.ref}/controls/{control.pk}/remove/",
    ):
        response = page.request.post(
            path,
            form={"title": "Hacked", "reason": "x", "version": "1", "description": "x"},
            headers=headers,
        )
        assert response.status == 403, path
    assert page.goto(f"/o/{organisation.slug}/risks/{risk.ref}/edit/").status == 403
    risk.refresh_from_db()
    assert risk.title == "Flooding" and Control.objects.filter(pk=control.pk).exists()


def test_controls_work_with_javascript_off(browser, live_server, organisation, corporate):
    coordinator = member(organisation, Role.COORDINATOR, "Cora Coordinator")
    risk = RiskFactory(register=corporate, ref="CRR44", title="Power cut")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, coordinator.email)
        page.goto(f"/o/{organisation.slug}/risks/{risk.ref}/")
        # without JavaScript the details hold a link to the page with the form open
        page.get_by_text("Add a control", exact=True).click()
        page.get_by_role("link", name="Open the form to add a control").click()
        assert page.url.endswith(f"/risks/{risk.ref}/controls/add/#add-control")  # at its form
        page.locator("#new-control-description").fill("Standby generator")
        page.get_by_role("button", name="Add control").click()
        expect(page.get_by_text("Control added.")).to_be_visible()  # a full page, after redirect
        control = Control.objects.get(risk=risk)
        page.get_by_role("link", name=re.compile("^Remove")).click()
        page.get_by_role("button", name="Yes, remove the control").click()
        expect(page.get_by_text("Control removed.")).to_be_visible()
        assert not Control.objects.filter(pk=control.pk).exists()
        # preview without JavaScript: the button re-renders the form with the rating
        page.goto(f"/o/{organisation.slug}/risks/{risk.ref}/edit/")
        page.locator("#current_likelihood_5").check()
        page.locator("#current_impact_5").check()
        page.get_by_role("button", name="Preview rating").click()
        expect(page.locator("#current-rating")).to_contain_text("25 (Very high)")
        expect(page.get_by_text("Nothing has been saved yet.")).to_be_visible()
    finally:
        context.close()
