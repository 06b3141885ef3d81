"""The account page as a person uses it: reached from their name in the header, their name
changed, another browser's session signed out from here, and a reminder choice saved; axe-clean
and nothing scrolling sideways on a desktop and on a 390 px phone."""

import pytest
from playwright.sync_api import expect

from registers.models import Role
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def check_looks_right(page) -> None:
    for size in ({"width": 1280, "height": 900}, PHONE):
        page.set_viewport_size(size)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
        assert axe_violations(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})


def test_member_keeps_their_account(page, browser, live_server):
    organisation = OrganisationFactory(name="University of Example", slug="example")
    member = MembershipFactory(
        organisation=organisation,
        role=Role.OWNER,
        user__full_name="Olu Owner",
        user__email="olu.owner@university-of-example.ac.uk",
    ).user
    phone = browser.new_context(base_url=live_server.url, user_agent=IPHONE_SAFARI)
    try:
        sign_in(phone.new_page(), member.email)
        sign_in(page, member.email)

        page.get_by_role("link", name="Olu Owner").click()
        expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
        expect(page.get_by_role("cell", name="Safari on iPhone")).to_be_visible()
        check_looks_right(page)

        page.get_by_label("Name").fill("Olu Okafor")
        page.get_by_label("Job title (optional)").fill("Head of Estates")
        page.get_by_role("button", name="Save your details").click()
        expect(page.get_by_text("Your details have been saved.")).to_be_visible()
        expect(page.get_by_role("link", name="Olu Okafor")).to_be_visible()

        page.get_by_role("button", name="Sign out everywhere else").click()
        expect(page.get_by_text("You have been signed out everywhere else.")).to_be_visible()
        page.goto("/accounts/you/")
        expect(page.get_by_text("You are not signed in anywhere else.")).to_be_visible()
        other = phone.new_page()
        other.goto("/accounts/you/")
        expect(other.get_by_role("heading", name="Sign in")).to_be_visible()

        choice = page.get_by_role("group", name="How often University of Example sends you")
        choice.get_by_label("Weekly, on Mondays").check()
        page.get_by_role("button", name="Save reminder e-mails from University of Example").click()
        expect(choice.get_by_label("Weekly, on Mondays")).to_be_checked()
        check_looks_right(page)
    finally:
        phone.close()
