"""A member who has forgotten their password: "Forgot your password?" on the sign-in page, the
link from the e-mail, a new password, and signing in with it; the old one no longer works."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.adapters import SIGN_IN_FAILED
from registers.models import Role
from tests.browser.conftest import axe_violations
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "violet-harbour-lantern-42"  # noqa: S105


def sign_in_with(page, email: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_member_resets_a_forgotten_password(page, live_server, settings, eager_tasks):
    settings.RISKREG_BASE_URL = live_server.url
    cache.clear()  # allauth's rate limits
    organisation = OrganisationFactory(name="University of Example", slug="example")
    member = MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__full_name="Olu Owner"
    ).user

    page.goto("/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("E-mail address").fill(member.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert axe_violations(page) == []

    (message,) = mail.outbox
    assert message.to == [member.email]
    link = re.search(
        rf"^({re.escape(live_server.url)}/accounts/password/reset/key/\S+)$", message.body, re.M
    )
    assert link, message.body
    page.goto(link[1])
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", name="Sign in with your new password")).to_be_visible()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    assert axe_violations(page) == []

    # The old password no longer works...
    sign_in_with(page, member.email, PASSWORD)
    expect(page.locator(".govuk-error-summary")).to_contain_text(SIGN_IN_FAILED)
    # ...the new one does, and lands on the organisation's dashboard.
    sign_in_with(page, member.email, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="University of Example")).to_be_visible()
    expect(page.get_by_role("link", name="Olu Owner")).to_be_visible()

    # The link was spent.
    page.goto(link[1])
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    assert axe_violations(page) == []
