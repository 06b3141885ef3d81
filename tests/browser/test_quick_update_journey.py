"""An owner follows the link in their reminder e-mail to the quick update, re-scores one risk,
writes the period's update on two others and completes an action, all in one submit; the
confirmation lists each risk, and each risk's page shows its new rating or update."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

from registers.calendar import organisation_today
from registers.models import Action, ActionStatus, Register, Review, Risk, Role
from reporting.reminders.sending import send_reminders
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import ActionFactory, MembershipFactory, OrganisationFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_updates_three_risks_and_an_action_from_the_reminder(page, settings):
    settings.RISKREG_BASE_URL = "https://risks.example.test"
    organisation = OrganisationFactory(name="Example Police", slug="example")
    owner = MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__full_name="Olu Owner"
    ).user
    top = Register.objects.get(organisation=organisation, slug="corporate")
    today = organisation_today(organisation)
    risks = [
        RiskFactory(register=top, ref=ref, title=title, owner=owner, positions={"current": (3, 4)})
        for ref, title in (("CRR1", "Cyber attack"), ("CRR2", "Flooding"), ("CRR3", "Fraud"))
    ]
    for days, risk in enumerate(risks):
        Risk.objects.filter(pk=risk.pk).update(next_review_due=today + dt.timedelta(days=days))
    action = ActionFactory(risk=risks[0], owner=owner, description="Patch the servers")

    send_reminders(today=today, organisations=[organisation])
    (email,) = [m for m in mail.outbox if owner.email in m.to]
    link = next(line for line in email.body.splitlines() if line.endswith("/my-update/"))

    sign_in(page, owner.email)
    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", name="Update your risks", level=1)).to_be_visible()
    assert axe_violations(page) == []

    cyber = page.get_by_role("group", name="CRR1 Cyber attack")
    cyber.get_by_label("Current likelihood").select_option("2")
    cyber.get_by_label("Current impact").select_option("2")
    patch = cyber.get_by_role("group", name="Action: Patch the servers")
    patch.get_by_label("Status").select_option(ActionStatus.COMPLETED)
    patch.get_by_label("Progress").fill("All servers patched on Friday.")
    page.get_by_role("group", name="CRR2 Flooding").get_by_label("This period's update").fill(
        "Sandbags stocked; drainage survey booked."
    )
    page.get_by_role("group", name="CRR3 Fraud").get_by_label("This period's update").fill(
        "New payment checks in place since November."
    )
    page.get_by_role("button", name="Save all updates").click()

    expect(page.get_by_text("3 risks updated")).to_be_visible()
    banner = page.get_by_role("alert")
    expect(banner.get_by_role("link", name="CRR1 Cyber attack")).to_be_visible()
    expect(banner).to_contain_text("re-scored and reviewed")
    expect(banner).to_contain_text("1 action updated")
    assert axe_violations(page) == []

    banner.get_by_role("link", name="CRR1 Cyber attack").click()
    expect(page.get_by_role("heading", name="Cyber attack")).to_be_visible()
    assert Risk.objects.get(pk=risks[0].pk).current_score == 4
    assert Action.objects.get(pk=action.pk).status == ActionStatus.COMPLETED
    page.goto(f"/o/{organisation.slug}/risks/CRR2/")
    expect(
        page.get_by_role("cell", name="Sandbags stocked; drainage survey booked.", exact=True)
    ).to_be_visible()
    page.goto(f"/o/{organisation.slug}/risks/CRR3/")
    expect(
        page.get_by_role("cell", name="New payment checks in place since November.", exact=True)
    ).to_be_visible()
    assert Review.objects.filter(risk__in=risks).count() == 3
