"""Risk acceptance in Chromium (issue 17): an admin accepts a breaching risk until a date from the
risk page; the register says "Accepted until ..." beside the breach; when the acceptance expires
(the daily run, here with a later day) the register shows an unexplained breach again and the
admin has the e-mail; the risk page and the settings page pass axe-core."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from appetite.services import appetite_statement_set
from registers.models import Register
from registers.services.acceptance import risk_acceptances_expire
from registers.services.organisations import member_add
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, OrganisationFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def organisation():
    organisation = OrganisationFactory(name="Example Police")
    top = Register.objects.get(organisation=organisation, slug="corporate")
    appetite_statement_set(organisation=organisation, tolerance=10)
    RiskFactory(
        register=top,
        ref="CRR7",
        title="Custody estate unfit",
        positions={"current": (4, 4)},  # 16, over a tolerance of 10
    )
    member_add(
        organisation=organisation,
        email=f"admin@{organisation.slug}.test",
        role="admin",
        password=PASSWORD,
        full_name="Ada Admin",
    )
    return organisation


def appetite_cell(page) -> str:
    row = page.get_by_role("row").filter(has_text="CRR7")
    return row.locator("td[data-label=Appetite]").inner_text()


def test_an_accepted_breach_expires_back_to_breach(page, organisation, eager_tasks):
    slug = organisation.slug
    until = timezone.localdate() + dt.timedelta(days=30)
    shown = f"{until.day} {until:%B %Y}"
    sign_in(page, f"admin@{slug}.test")

    page.goto(f"/o/{slug}/risks/CRR7/")
    page.get_by_text("Accept this risk above its tolerance").click()
    page.get_by_label("Why is the risk accepted above its tolerance?").fill(
        "New custody suite opens in the spring; interim measures in place"
    )
    page.get_by_label("Accept until").fill(until.strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Accept until this date").click()
    assert f"accepted above its tolerance until {shown}" in page.inner_text("main")
    expect(page.get_by_text(f"Accepted until {shown}").first).to_be_visible()
    assert axe_violations(page) == []

    page.goto(f"/o/{slug}/registers/corporate/")
    cell = appetite_cell(page)
    assert "Breach" in cell and f"Accepted until {shown}" in cell

    # The daily run, a day after the last day: the acceptance ends, the approver is told.
    assert risk_acceptances_expire(today=until + dt.timedelta(days=1)) == 1
    page.reload()
    cell = appetite_cell(page)
    assert "Breach" in cell and "Accepted until" not in cell
    expired = [m for m in mail.outbox if "its acceptance ended" in m.subject]
    assert [m.to for m in expired] == [[f"admin@{slug}.test"]]

    page.goto(f"/o/{slug}/settings/acceptance/")
    expect(
        page.get_by_role("heading", name="Who may accept a risk above tolerance")
    ).to_be_visible()
    assert axe_violations(page) == []
