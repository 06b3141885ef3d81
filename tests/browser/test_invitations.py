"""An admin invites a new address from the members page; the person follows the e-mail's link in
their own browser, sets their name and password, lands on the organisation's dashboard signed
in, and later signs in again with that password. The pages pass axe-core."""

import os
import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from registers.models import Invitation, Membership, Role
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Heron-lantern-47-quay"  # noqa: S105
# Screenshots to look at, never committed: RISKREG_SCREENSHOTS=/some/dir to keep them.
SCREENSHOTS = Path(os.environ.get("RISKREG_SCREENSHOTS", "/tmp/riskreg-screenshots"))  # noqa: S108


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="University of Example", slug="example")


def test_an_invited_person_accepts_and_signs_in(
    page, browser, live_server, settings, eager_tasks, organisation
):
    settings.RISKREG_BASE_URL = live_server.url  # the e-mail's links point at this server
    admin = MembershipFactory(
        organisation=organisation, role=Role.ADMIN, user__full_name="Ada Admin"
    ).user
    sign_in(page, admin.email)

    page.goto(f"/o/{organisation.slug}/members/")
    page.get_by_role("button", name="Add a member").click()
    page.get_by_label("E-mail address").fill("Nia.New@Example.org")
    page.get_by_label("Risk owner or manager").check()
    page.get_by_role("button", name="Add member").click()

    expect(
        page.get_by_text("An invitation to join as a risk owner or manager has been sent")
    ).to_be_visible()
    row = page.get_by_role("row", name=re.compile("nia.new@example.org"))
    expect(row).to_contain_text("Risk owner or manager")
    expect(row).to_contain_text("Ada Admin")
    expect(
        row.get_by_role("button", name="Resend the invitation to nia.new@example.org")
    ).to_be_visible()
    assert axe_violations(page) == []

    # The e-mail, sent through the queue (eager here), holds the link alone on its line.
    (message,) = mail.outbox
    assert message.to == ["nia.new@example.org"]
    (link,) = [
        line
        for line in message.body.splitlines()
        if line.startswith(f"{live_server.url}/invitations/")
    ]

    # The invited person, in a browser of their own.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    theirs = context.new_page()
    response = theirs.goto(link)
    assert response.status == 200
    expect(
        theirs.get_by_role("heading", name="Join University of Example on riskreg")
    ).to_be_visible()
    expect(theirs.get_by_text("Ada Admin")).to_be_visible()
    assert axe_violations(theirs) == []

    # Mistakes first: the summary lists them, linked to their fields.
    theirs.get_by_label("Full name").fill("Nia New")
    theirs.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    theirs.get_by_label("Confirm password").fill("not the same one 1")
    theirs.get_by_role("button", name="Accept and sign in").click()
    summary = theirs.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The passwords do not match")
    assert axe_violations(theirs) == []
    summary.get_by_role("link").first.click()
    expect(theirs.get_by_label("Confirm password")).to_be_focused()

    theirs.get_by_label("Job title (optional)").fill("Head of Assurance")
    theirs.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    theirs.get_by_label("Confirm password").fill(NEW_PASSWORD)
    theirs.get_by_role("button", name="Accept and sign in").click()
    theirs.wait_for_url(re.compile(rf"/o/{organisation.slug}/$"))
    expect(
        theirs.get_by_text("Welcome to University of Example: you are a risk owner or manager.")
    ).to_be_visible()
    expect(theirs.get_by_role("button", name="Sign out")).to_be_visible()
    membership = Membership.objects.get(user__email="nia.new@example.org")
    assert membership.organisation == organisation and membership.role == Role.OWNER
    assert membership.user.full_name == "Nia New"

    # The link is spent: it says so plainly.
    response = theirs.goto(link)
    assert response.status == 410
    expect(
        theirs.get_by_role("heading", name="This invitation has already been used")
    ).to_be_visible()
    assert axe_violations(theirs) == []

    # Signed out, they sign in with the password they chose.
    theirs.goto(f"/o/{organisation.slug}/")
    theirs.get_by_role("button", name="Sign out").click()
    expect(theirs.get_by_role("button", name="Sign out")).to_have_count(0)
    sign_in(theirs, "nia.new@example.org", NEW_PASSWORD)
    theirs.goto(f"/o/{organisation.slug}/")
    expect(theirs.get_by_role("heading", name=re.compile("University of Example"))).to_be_visible()
    context.close()

    # The admin's list no longer shows the invitation.
    page.goto(f"/o/{organisation.slug}/members/")
    expect(page.get_by_text("0 invitations waiting")).to_be_visible()
    assert Invitation.objects.get().accepted_at is not None


def test_the_acceptance_page_on_a_phone(browser, live_server, organisation, settings, eager_tasks):
    from registers.services.invitations import invitation_send

    settings.RISKREG_BASE_URL = live_server.url
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    invitation_send(
        organisation=organisation, email="phone@example.org", role=Role.VIEWER, invited_by=admin
    )
    (link,) = [line for line in mail.outbox[0].body.splitlines() if "/invitations/" in line]

    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.goto(link)
    expect(phone.get_by_role("button", name="Accept and sign in")).to_be_visible()
    # Nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(phone) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / "invitation-accept-390.png"), full_page=True)

    response = phone.goto("/invitations/made-up-link/")
    assert response.status == 404
    expect(phone.get_by_role("heading", name="This invitation link is not valid")).to_be_visible()
    assert axe_violations(phone) == []
    phone.screenshot(path=str(SCREENSHOTS / "invitation-refused-390.png"), full_page=True)
    context.close()
