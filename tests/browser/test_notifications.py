"""Notifications as a person meets them: the header's count, the list, following a notice to
its risk (which marks it read), and the e-mail choices; axe-clean and nothing scrolling
sideways on a desktop and on a 390 px phone."""

import pytest
from playwright.sync_api import expect

from registers.models import Role
from registers.services.risks import risk_update
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    RiskFactory,
    corporate_register_of,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def check_looks_right(page) -> None:
    for size in ({"width": 1280, "height": 900}, PHONE):
        page.set_viewport_size(size)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
        assert axe_violations(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_risk_given_to_someone_reaches_their_notifications(page):
    organisation = OrganisationFactory(name="University of Example", slug="example")
    owner = MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__full_name="Olu Owner"
    ).user
    risk = RiskFactory(register=corporate_register_of(organisation), ref="CRR18", title="Cyber")
    risk_update(risk=risk, expected_version=risk.version, fields={"owner": owner})
    RiskFactory(register=corporate_register_of(organisation), ref="CRR19", owner=owner)

    sign_in(page, owner.email)
    link = page.get_by_role("link", name="Notifications 2 unread")
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    check_looks_right(page)

    page.get_by_role("button", name="CRR18 is now yours (owner): Cyber", exact=True).click()
    expect(page.get_by_role("heading", name="CRR18 Cyber")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications 1 unread")).to_be_visible()

    page.get_by_role("link", name="Notifications 1 unread").click()
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("Every notification is marked as read.")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()

    page.get_by_role("link", name="choose which e-mails you get").click()
    expect(page.get_by_role("heading", name="Notification e-mails")).to_be_visible()
    check_looks_right(page)
    page.get_by_label(
        "Daily digest: A risk or action is assigned to you, or taken from you"
    ).check()
    page.get_by_role("button", name="Save choices").click()
    expect(page.get_by_text("Your notification e-mail choices have been saved.")).to_be_visible()
    expect(
        page.get_by_label("Daily digest: A risk or action is assigned to you, or taken from you")
    ).to_be_checked()
