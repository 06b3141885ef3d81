"""A member chooses how often they get reminder e-mails (on their account page); a coordinator
sees a failed reminder and retries it; the pages pass axe-core."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from registers.models import Register, Risk, Role
from reporting.models import Reminder, ReminderPreference, ReminderStatus
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import MembershipFactory, OrganisationFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_chooses_only_overdue(page):
    """From the organisation's reminders page to the choice on the account page."""
    organisation = OrganisationFactory(name="University of Example", slug="example")
    membership = MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__full_name="Olu Owner"
    )
    sign_in(page, membership.user.email)
    page.goto(f"/o/{organisation.slug}/reminders/")
    expect(page.get_by_role("heading", name="Reminder e-mails")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Choose how often on your account page").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    choice = page.get_by_role("group", name="How often University of Example sends you reminder")
    choice.get_by_label("Only when something is overdue").check()
    page.get_by_role("button", name="Save reminder e-mails from University of Example").click()
    expect(
        page.get_by_text(
            "Reminder e-mails from University of Example: only when something is overdue."
        )
    ).to_be_visible()
    expect(choice.get_by_label("Only when something is overdue")).to_be_checked()
    assert ReminderPreference.objects.get(membership=membership).frequency == "never"
    assert axe_violations(page) == []


def test_coordinator_retries_a_failed_reminder(page):
    organisation = OrganisationFactory(name="University of Example", slug="example")
    coordinator = MembershipFactory(
        organisation=organisation, role=Role.COORDINATOR, user__full_name="Cat Coordinator"
    ).user
    owner = MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__full_name="Olu Owner"
    ).user
    risk = RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"), owner=owner
    )
    today = timezone.localdate()
    Risk.objects.filter(pk=risk.pk).update(next_review_due=today)
    Reminder.objects.create(
        organisation=organisation,
        user=owner,
        kind="daily",
        day=today,
        status=ReminderStatus.FAILED,
        attempts=1,
        items=1,
        error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    sign_in(page, coordinator.email)
    page.goto(f"/o/{organisation.slug}/reminders/")
    expect(page.get_by_text("Connection unexpectedly closed")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Retry now").click()
    expect(page.get_by_text("has been sent")).to_be_visible()
    assert Reminder.objects.get(user=owner).status == ReminderStatus.SENT
    assert axe_violations(page) == []
