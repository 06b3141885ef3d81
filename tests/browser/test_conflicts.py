"""Two tabs editing one risk (issue 12): the second save keeps the first tab's change and applies
its own; saving the old form again puts nothing back; a field both tabs changed is shown with both
values and saved only as chosen. The conflict page passes axe-core."""

import pytest
from playwright.sync_api import expect

from registers.models import Register, Risk, Role
from registers.services.organisations import member_add
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, OrganisationFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def risk():
    organisation = OrganisationFactory(name="Example Police", slug="example")
    return RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"),
        ref="CRR07",
        title="Fire at the depot",
        consequence="Loss of the fleet.",
        positions={"current": (3, 4)},
    )


@pytest.fixture
def tabs(page, risk):
    coordinator = member_add(
        organisation=risk.organisation,
        email="cora@example.test",
        role=Role.COORDINATOR,
        full_name="Cora Coordinator",
        password=PASSWORD,
    ).user
    sign_in(page, coordinator.email)
    other = page.context.new_page()
    edit = f"/o/{risk.organisation.slug}/risks/{risk.ref}/edit/"
    page.goto(edit)
    other.goto(edit)
    return page, other


def test_the_second_tab_keeps_the_first_tabs_title(tabs, risk):
    a, b = tabs
    c = a.context.new_page()
    c.goto(a.url)
    a.get_by_label("Title").fill("Fire at the main depot")
    a.get_by_role("button", name="Save changes").click()
    expect(a.get_by_text("Risk CRR07 saved.")).to_be_visible()

    b.get_by_label("Consequence").fill("Loss of the whole fleet.")
    b.get_by_role("button", name="Save changes").click()
    expect(b.get_by_text("keeping the changes someone else saved")).to_be_visible()
    expect(b.get_by_role("heading", name="CRR07 Fire at the main depot")).to_be_visible()

    # A third tab still holding the old form, saved untouched, puts nothing back.
    c.get_by_role("button", name="Save changes").click()
    expect(c.get_by_role("heading", name="CRR07 Fire at the main depot")).to_be_visible()
    stored = Risk.objects.get(pk=risk.pk)
    assert stored.title == "Fire at the main depot"
    assert stored.consequence == "Loss of the whole fleet."


def test_both_tabs_changing_the_title_is_a_choice(tabs, risk):
    a, b = tabs
    a.get_by_label("Title").fill("Title from tab A")
    a.get_by_role("button", name="Save changes").click()
    expect(a.get_by_text("Risk CRR07 saved.")).to_be_visible()

    b.get_by_label("Title").fill("Title from tab B")
    b.get_by_role("button", name="Save changes").click()
    expect(b.get_by_text("Not saved: someone else changed this risk")).to_be_visible()
    choices = b.locator("#conflict-choices")
    expect(choices).to_contain_text("Fire at the depot")
    expect(choices).to_contain_text("Title from tab A")
    expect(choices).to_contain_text("Title from tab B")
    assert axe_violations(b) == []
    assert Risk.objects.get(pk=risk.pk).title == "Title from tab A"

    b.get_by_role("button", name="Save changes").click()  # no choice yet
    expect(b.get_by_text("Choose whose title to keep: theirs or yours").first).to_be_visible()
    b.locator("#keep-title-mine").check()
    b.get_by_role("button", name="Save changes").click()
    expect(b.get_by_role("heading", name="CRR07 Title from tab B")).to_be_visible()
    assert Risk.objects.get(pk=risk.pk).title == "Title from tab B"
