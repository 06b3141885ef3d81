"""A panel member reads a register and a risk; the pages pass axe-core."""

import pytest
from playwright.sync_api import expect

from registers.models import Register, Role
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import MembershipFactory, OrganisationFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_panel_member_reads_register_and_risk(page):
    organisation = OrganisationFactory(name="Example Police")
    register = Register.objects.get(organisation=organisation, slug="corporate")
    RiskFactory(
        register=register,
        ref="CRR01",
        title="Cyber attack",
        positions={"current": (4, 5), "target": (2, 3)},
    )
    panel = MembershipFactory(organisation=organisation, role=Role.PANEL).user
    sign_in(page, panel.email)
    # A panel member of one organisation lands on their reports, then opens its dashboard.
    expect(page.get_by_role("heading", name="Your reports")).to_be_visible()
    page.get_by_role("link", name="Example Police: dashboard and registers").click()
    page.get_by_role("link", name=register.name).click()
    expect(page.get_by_role("cell", name="20 (High)")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="CRR01").click()
    expect(page.get_by_role("heading", name="CRR01 Cyber attack")).to_be_visible()
    assert axe_violations(page) == []
