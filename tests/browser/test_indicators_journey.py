"""Key risk indicators on a risk page in Chromium (issue 18), against the live server, which
commits as production does: a coordinator adds an indicator with its thresholds and owner; the
owner records a reading in place (htmx), a second the same day that replaces it, and one
without JavaScript through the plain form; the coordinator's reading replaces the owner's and
names them; the status is in words; the coordinator changes the indicator and retires it.
axe-clean at each step, and no sideways scroll at 390 px.

Recording a reading was once a TransactionManagementError in production (its service had lost
its transaction) that every test inside a test transaction missed: this journey would not."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from registers.models import Indicator, IndicatorReading
from registers.services.organisations import member_add
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, OrganisationFactory, RiskFactory, corporate_register_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COORDINATOR = "cora.coordinator@epa.example"
OWNER = "rita.reader@epa.example"
RISK_PAGE = "/o/epa/risks/R1/"
NAME = "Staff vacancy rate"
READING = ".rr-indicator details[id^=reading-]"  # "Record a reading" (not the chart's data)


@pytest.fixture
def risk():
    organisation = OrganisationFactory(name="Example Police Authority", slug="epa")
    for email, role, name in (
        (COORDINATOR, "coordinator", "Cora Coordinator"),
        (OWNER, "owner", "Rita Reader"),
    ):
        member_add(
            organisation=organisation, email=email, role=role, full_name=name, password=PASSWORD
        )
    return RiskFactory(
        register=corporate_register_of(organisation), ref="R1", title="Workforce capacity"
    )


def status_of(page):
    return page.locator(".rr-indicator").first.locator(".govuk-tag").first


def record(page, value: str) -> None:
    """Open the indicator's "Record a reading" (htmx fetches the form), type a value for today."""
    details = page.locator(READING)
    details.locator("summary").click()
    value_box = details.get_by_label("Value")
    expect(value_box).to_be_visible()
    expect(details.get_by_label("Date of the reading")).to_have_value(
        timezone.localdate().strftime("%d/%m/%Y")
    )
    value_box.fill(value)
    details.get_by_role("button", name="Record reading").click()


def test_an_indicator_is_added_read_changed_and_retired(page, browser, live_server, risk):
    today = date_format(timezone.localdate(), "j M Y")

    # The coordinator adds the indicator: thresholds, its owner.
    sign_in(page, COORDINATOR)
    page.goto(RISK_PAGE)
    expect(page.get_by_text("No indicators recorded.")).to_be_visible()
    page.get_by_role("link", name="Add an indicator").click()
    form = page.locator("#add-indicator")
    form.get_by_label("Indicator", exact=True).fill(NAME)
    form.get_by_label("Unit").fill("%")
    form.get_by_label("Higher is worse").check()
    form.get_by_label("Amber from").fill("5")
    form.get_by_label("Red from").fill("10")
    form.get_by_label("Owner").select_option(label="Rita Reader")
    assert axe_violations(page) == []
    form.get_by_role("button", name="Add indicator").click()
    section = page.locator("#indicators")
    expect(section.get_by_role("status")).to_have_text("Indicator added.")
    expect(section.get_by_role("heading", name=NAME)).to_be_visible()
    expect(status_of(page)).to_have_text("No reading yet")
    expect(section).to_contain_text("Higher is worse: amber from 5 %, red from 10 %")
    expect(section).to_contain_text("Rita Reader")
    assert axe_violations(page) == []
    page.context.clear_cookies()

    # Its owner records a reading in place, then a second the same day, which replaces it.
    sign_in(page, OWNER)
    page.goto(RISK_PAGE)
    record(page, "4")
    expect(section.get_by_role("status")).to_have_text(f"Reading of {NAME} recorded.")
    expect(status_of(page)).to_have_text("Green")
    assert IndicatorReading.objects.get().value == D("4")  # committed, as in production
    assert axe_violations(page) == []
    record(page, "12")
    expect(section.get_by_role("status")).to_have_text(
        f"Reading of {NAME} recorded. It replaces the reading of 4 % you had recorded for {today}."
    )
    expect(status_of(page)).to_have_text("Red")
    expect(section.get_by_role("cell", name="12 %")).to_be_visible()
    assert axe_violations(page) == []

    # On a phone the section (thresholds, readings table, the form) scrolls only downwards.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator(f"{READING} summary").click()
    expect(page.locator(READING).get_by_label("Value")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})

    # Without JavaScript: the details open natively, a link opens the form, the post returns
    # to the risk page with the message.
    plain = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    plain.set_default_timeout(10_000)
    try:
        no_js = plain.new_page()
        sign_in(no_js, OWNER)
        no_js.goto(RISK_PAGE)
        no_js.locator(f"{READING} summary").click()
        no_js.get_by_role("link", name=f"Open the form to record a reading of {NAME}").click()
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        no_js.get_by_label("Date of the reading").fill(yesterday.strftime("%d/%m/%Y"))
        no_js.get_by_label("Value").fill("6")
        no_js.get_by_label("Note (optional)").fill("Two posts filled")
        no_js.get_by_role("button", name="Record reading").click()
        no_js.wait_for_url(lambda url: url.split("#")[0].endswith(RISK_PAGE))
        expect(no_js.get_by_text(f"Reading of {NAME} recorded.")).to_be_visible()
        expect(no_js.get_by_role("cell", name="Two posts filled")).to_be_visible()
        expect(no_js.locator(".rr-indicator .govuk-tag").first).to_have_text("Red")  # today's
    finally:
        plain.close()
    # axe needs JavaScript: the page the link opens (the risk page, the form open), checked here.
    page.goto(f"{RISK_PAGE}indicators/{Indicator.objects.get().pk}/readings/")
    expect(page.locator(READING).get_by_label("Value")).to_be_visible()
    assert axe_violations(page) == []
    page.context.clear_cookies()

    # The coordinator's reading the same day replaces the owner's, and says whose it was.
    sign_in(page, COORDINATOR)
    page.goto(RISK_PAGE)
    record(page, "7.5")
    expect(section.get_by_role("status")).to_have_text(
        f"Reading of {NAME} recorded. It replaces the reading of 12 % Rita Reader had "
        f"recorded for {today}."
    )
    expect(status_of(page)).to_have_text("Amber")
    assert axe_violations(page) == []

    # The coordinator changes where red starts: the same reading is now red.
    page.get_by_role("link", name=f"Change {NAME}").click()
    edit = page.locator("form", has=page.get_by_role("button", name="Save indicator"))
    edit.get_by_label("Red from").fill("7")
    assert axe_violations(page) == []
    edit.get_by_role("button", name="Save indicator").click()
    expect(section.get_by_role("status")).to_have_text("Indicator saved.")
    expect(section).to_contain_text("Higher is worse: amber from 5 %, red from 7 %")
    expect(status_of(page)).to_have_text("Red")
    assert axe_violations(page) == []

    # And retires it: gone from the page, its readings kept.
    page.get_by_role("link", name=f"Retire {NAME}").click()
    expect(page.get_by_text(f"Retire {NAME}? It is no longer read or chased")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Retire indicator").click()
    expect(section.get_by_role("status")).to_have_text(
        f"Indicator retired: {NAME} keeps its readings in the history."
    )
    expect(page.get_by_text("No indicators recorded.")).to_be_visible()
    assert axe_violations(page) == []
    indicator = Indicator.objects.get()
    assert indicator.retired_at is not None
    assert sorted(r.value for r in indicator.readings.all()) == [D("6"), D("7.5")]
