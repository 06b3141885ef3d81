"""The error pages pass axe-core and fit a phone, signed in and not (issue 12). The failing views
come from tests/error_urls.py; a refused form is a real sign-out with a spoilt token.

Set RISKREG_SCREENSHOTS=DIR to keep a screenshot of each page at 390 and 1280 wide."""

import os
from pathlib import Path

import pytest

from registers.models import Role
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("RISKREG_SCREENSHOTS")
HEADINGS = {
    400: "Sorry, that request could not be read",
    403: "You cannot do this",
    404: "Page not found",
    500: "Sorry, there is a problem with the service",
}


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = "tests.error_urls"


def check(page, name: str) -> list:
    problems = []
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=str(Path(SCREENSHOTS) / f"error-{name}-{width}.png"), full_page=True
            )
        if page.evaluate("document.documentElement.scrollWidth") > width:
            problems.append((name, width, "scrolls sideways"))
    problems += [(name, v) for v in axe_violations(page)]
    return problems


@pytest.mark.parametrize("signed_in", [False, True])
def test_error_pages_are_accessible(page, failing_urls, signed_in):
    membership = MembershipFactory(role=Role.COORDINATOR)
    if signed_in:
        sign_in(page, membership.user.email)
    problems = []
    for status, heading in HEADINGS.items():
        response = page.goto(f"/test-errors/{status}/")
        assert response.status == status
        assert page.get_by_role("heading", level=1).inner_text() == heading
        problems += check(page, f"{status}-{'member' if signed_in else 'anonymous'}")

    if signed_in:
        # A form sent with a token that no longer matches: the refused-form page.
        page.set_viewport_size({"width": 1280, "height": 844})
        page.goto(f"/o/{membership.organisation.slug}/")
        page.evaluate(
            "document.querySelectorAll('input[name=csrfmiddlewaretoken]')"
            ".forEach(input => { input.value = 'x'.repeat(64); })"
        )
        with page.expect_navigation():
            page.get_by_role("button", name="Sign out").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Your form could not be sent"
        problems += check(page, "csrf")
    assert problems == []
