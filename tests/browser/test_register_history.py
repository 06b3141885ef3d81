"""The lifecycle pages in Chromium: the register with its quarter trend columns and as it stood on
a past day, movement since the last report, and review health; axe-core finds nothing serious."""

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from registers.models import Register, Role
from registers.services.organisations import organisation_create, register_create
from registers.services.risks import risk_close, risk_update
from reporting import periods
from scoring.presets import preset
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import MembershipFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONDON = ZoneInfo("Europe/London")


@contextmanager
def at(when: dt.datetime):
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


@pytest.fixture
def university():
    """An Aberdeen-like university whose strategic register has a year of history."""
    organisation = organisation_create(
        slug="uni",
        name="Example University",
        scheme=preset("aberdeen-6x6"),
        appetite_preset="aberdeen",
        committee_months=[5, 11],
        panel_name="Audit Committee",
    )
    top = Register.objects.get(organisation=organisation, slug="corporate")
    school = register_create(
        organisation=organisation,
        slug="law",
        name="School of Law",
        level="school",
        parent=top,
        review_months=6,
    )
    now = timezone.now()
    last_report = periods.last_report_date(organisation=organisation, moment=now).moment
    since_last_report = last_report + (now - last_report) / 2
    year_ago = now - dt.timedelta(days=400)
    with at(year_ago):
        steady = RiskFactory(
            register=top, ref="SRR01", title="Pensions", positions={"current": (3, 4)}
        )
        rising = RiskFactory(
            register=top, ref="SRR02", title="Surplus", positions={"current": (3, 4)}
        )
        closing = RiskFactory(
            register=top, ref="SRR03", title="Estates", positions={"current": (2, 3)}
        )
        RiskFactory(register=school, ref="LAW1", title="Accreditation", positions={})
    with at(since_last_report):
        risk_update(risk=rising, expected_version=1, positions={"current": (4, 5)})
        risk_close(risk=closing, expected_version=1, reason="fully mitigated")
        RiskFactory(register=top, ref="SRR04", title="Cyber", positions={"current": (5, 5)})
    assert steady.pk
    return organisation


def test_register_trends_history_movement_and_reviews(page, university):
    panel = MembershipFactory(organisation=university, role=Role.PANEL).user
    sign_in(page, panel.email)

    page.goto("/o/uni/registers/corporate/")
    page.get_by_role("link", name="Show the trend of the last three quarters").click()
    assert "trend=quarters" in page.url
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="Current")).to_be_visible()
    assert page.locator("th", has_text="to ").count() == 3  # one heading per quarter end
    row = table.get_by_role("row", name="SRR02")
    expect(row.get_by_text("up", exact=False).first).to_be_visible()
    expect(table.get_by_role("row", name="SRR04").get_by_text("New").first).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_text("See the register as it stood on a past date").click()
    year_ago = (timezone.localdate() - dt.timedelta(days=200)).isoformat()
    page.fill("#as-of-date", year_ago)
    page.get_by_role("button", name="Show the register on that date").click()
    expect(page.get_by_text("As it stood on").first).to_be_visible()
    assert "trend=quarters" in page.url  # the view options are kept
    expect(page.get_by_role("row", name="SRR03")).to_be_visible()  # not closed yet, then
    assert page.get_by_role("row", name="SRR04").count() == 0  # not created yet
    assert page.get_by_role("link", name="Add a risk").count() == 0
    assert axe_violations(page) == []
    page.get_by_role("link", name="Back to the register today").click()
    assert "as_of" not in page.url

    page.goto("/o/uni/movement/")
    expect(page.get_by_role("heading", name="Movement since the last report")).to_be_visible()
    flagged = page.get_by_role("table", name="Moved more than one tolerance level")
    expect(flagged.get_by_role("row", name="SRR02")).to_be_visible()
    expect(page.get_by_role("table", name="Risks added to a register")).to_be_visible()
    assert axe_violations(page) == []
    page.fill("#id_until", "2999-01-01")
    page.get_by_role("button", name="Show the movement").click()
    expect(page.get_by_text("There is a problem with the dates")).to_be_visible()
    assert axe_violations(page) == []

    page.goto("/o/uni/reviews/")
    expect(page.get_by_role("table", name="Review health by register")).to_be_visible()
    expect(page.get_by_role("table", name="Review health by owner")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="By owner").click()
    assert "by=owner" in page.url
    assert axe_violations(page) == []
