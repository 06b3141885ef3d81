"""A new organisation set up end to end in Chromium by its admin, from the settings page alone
(issue 15, "Done when"): a scoring scheme from a preset with a band edge moved, the profile
(panel name, committee calendar), categories (two added, one renamed), two directorate
registers, an appetite statement with a tolerance of 12, an invitation, and an import of a
workbook whose `register` column fills both registers and whose `controls` and `actions` sheets
give owners, effectiveness, a due date and a status; the first-run checklist and the
dashboard's banner follow each step; the two registers are chosen as the ones the packs cover,
and a committee pack requested then covers them. The settings page and dashboard pass axe-core
at 1280 and 390 px."""

import datetime as dt
import io
import re
import subprocess

import pytest
from django.core import mail
from django.core.management import call_command
from openpyxl import Workbook
from playwright.sync_api import expect

from appetite.models import AppetiteStatement
from registers.models import (
    Action,
    ActionStatus,
    Category,
    Control,
    Effectiveness,
    Invitation,
    Organisation,
    Register,
    Risk,
)
from reporting.models import Pack, PackStatus
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "example-trust"
ADMIN = "ada.admin@trust.example"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def check_looks_right(page) -> None:
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], size
        violations = axe_violations(page)
        assert not violations, f"{page.url} at {size['width']} px: {violations}"
    page.set_viewport_size(DESKTOP)


def workbook(path) -> None:
    """Five risks for two registers, named by slug and by name in the `register` column."""
    book = Workbook()
    sheet = book.active
    sheet.title = "risks"
    sheet.append(
        ["ref", "title", "register", "category", "current_likelihood", "current_impact", "owner"]
    )
    sheet.append(["FIN1", "Budget overspend", "finance", "Money", 4, 4, ADMIN])
    sheet.append(["FIN2", "Fraud in payments", "Finance directorate", "Money", 2, 5, ADMIN])
    sheet.append(["FIN3", "Capital programme slips", "finance", "Money", 3, 3, ""])
    sheet.append(["OPS1", "Too few nurses", "operations", "People and workforce", 4, 5, ""])
    sheet.append(["OPS2", "Theatre downtime", "Operations directorate", "", 3, 4, ""])
    controls = book.create_sheet("controls")
    controls.append(["ref", "description", "owner", "effectiveness"])
    controls.append(["FIN1", "Monthly budget review", ADMIN, "Partially effective"])
    controls.append(["OPS1", "Bank staff framework", "", "Effective"])
    actions = book.create_sheet("actions")
    actions.append(["ref", "description", "owner", "due", "status"])
    actions.append(["FIN1", "Recovery plan to the board", ADMIN, "31/03/2027", "In progress"])
    book.save(path)


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(  # noqa: S603
        ["pdftotext", "-layout", "-", "-"],  # noqa: S607
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()


def to_settings(page) -> None:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Settings").click()
    page.wait_for_url(f"**/o/{SLUG}/settings/")


def test_an_admin_sets_up_a_new_organisation_in_the_browser(page, tmp_path, eager_tasks):
    call_command("create_org", SLUG, name="Example NHS Trust", stdout=io.StringIO())
    call_command(
        "add_member", org=SLUG, email=ADMIN, role="admin", password=PASSWORD, stdout=io.StringIO()
    )
    organisation = Organisation.objects.get(slug=SLUG)
    checklist = page.locator(".govuk-task-list")

    # The dashboard says the organisation is not set up and links the checklist.
    sign_in(page, ADMIN)
    page.goto(f"/o/{SLUG}/")
    banner = page.get_by_role("region", name="Setting up")
    expect(banner).to_contain_text("0 of 6 set-up steps done")
    check_looks_right(page)
    banner.get_by_role("link", name="Carry on setting up").click()
    page.wait_for_url(f"**/o/{SLUG}/settings/#checklist")
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    expect(checklist.locator(".govuk-tag", has_text="Not started")).to_have_count(6)
    check_looks_right(page)

    # Scoring scheme: a new version from a preset, with the Low band's top edge moved down.
    page.get_by_role("link", name="Choose the scoring scheme").click()
    page.get_by_role("link", name="Make a new version").click()
    page.get_by_label("Preset: ESPO 5x5 (5x5, product)").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Band 1: highest score").fill("4")
    page.get_by_label("Band 2: lowest score").fill("5")
    page.get_by_role("button", name="Preview the new version").click()
    expect(page.get_by_role("heading", name="Check version 2", level=1)).to_be_visible()
    page.get_by_label("Re-rate them all now under the new version").check()
    page.get_by_label("Why is the scheme changing?").fill("The trust's own Low band")
    page.get_by_role("button", name="Save version 2").click()
    expect(page.get_by_text("Version 2 of 5x5 likelihood x impact saved")).to_be_visible()
    version = organisation.schemes.get(is_default=True).current_version
    assert version.number == 2
    assert [(band["min"], band["max"]) for band in version.definition["bands"]][:2] == [
        (1, 4),
        (5, version.definition["bands"][1]["max"]),
    ]

    # Profile: the committee the packs are addressed to, and its calendar.
    to_settings(page)
    page.get_by_role("link", name="Profile and reporting calendar").click()
    page.get_by_label("Committee or panel the packs are addressed to (optional)").fill(
        "Audit and Risk Committee"
    )
    committee = page.get_by_role("group", name="Committee months (optional)")
    committee.get_by_label("September").uncheck()
    committee.get_by_label("October").check()
    page.get_by_role("button", name="Save the profile").click()
    expect(page.get_by_text("Profile saved")).to_be_visible()
    organisation.refresh_from_db()
    assert organisation.panel_name == "Audit and Risk Committee"
    assert organisation.committee_months == [3, 10]

    # Categories: two added, one renamed.
    to_settings(page)
    page.get_by_role("link", name="Add categories").click()
    page.wait_for_url(f"**/o/{SLUG}/settings/categories/")
    for name in ("Money", "Workforce"):
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_role("button", name="Add the category").click()
        expect(page.get_by_role("row", name=name)).to_be_visible()
    page.get_by_role("link", name="Rename Workforce").click()
    page.get_by_label("New name").fill("People and workforce")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("row", name="People and workforce")).to_be_visible()

    # Registers: two directorate registers under the corporate one.
    to_settings(page)
    page.get_by_role("link", name="Add registers").click()
    for name in ("Finance directorate", "Operations directorate"):
        page.get_by_role("link", name="Add a register").click()
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_label("Address").fill(name.split()[0].lower())
        page.get_by_label("Level").select_option(label="Directorate")
        page.get_by_label("Sits under").select_option(
            label="Example NHS Trust corporate risk register"
        )
        page.get_by_role("button", name="Add the register").click()
        page.wait_for_url(f"**/o/{SLUG}/settings/registers/")
        expect(page.get_by_role("row", name=name)).to_be_visible()

    # Appetite: a tolerance of 12 for Money.
    to_settings(page)
    page.get_by_role("link", name="Set appetite and tolerances").click()
    page.get_by_role("button", name="Add a statement").click()
    page.get_by_label("Category").select_option(label="Money")
    page.get_by_label("Tolerance threshold").fill("12")
    page.get_by_label("Reason for the change").fill("Board, December")
    page.get_by_role("button", name="Add the statement").click()
    page.wait_for_url(f"**/o/{SLUG}/appetite/")

    # Members: an invitation for a coordinator.
    to_settings(page)
    page.get_by_role("link", name="Add or invite people").click()
    page.get_by_role("button", name="Add a member").click()
    page.get_by_label("E-mail address").fill("cora.coordinator@trust.example")
    page.get_by_role("radio", name="Risk coordinator for every").check()
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_text("An invitation to join as a risk coordinator")).to_be_visible()

    # The checklist has followed every step but the import.
    to_settings(page)
    expect(page.get_by_text("You have done 5 of 6 steps")).to_be_visible()
    for done in (
        "Done: 5x5 likelihood x impact, version 2",
        "Done: 2 categories",
        "Done: 1 appetite statement",
        "Done: 3 registers",
        "Done: 1 member, 1 invitation waiting",
    ):
        expect(checklist).to_contain_text(done)
    page.goto(f"/o/{SLUG}/")
    banner.get_by_text("5 of 6 set-up steps done").wait_for()
    banner.get_by_role("link", name="Carry on setting up").click()

    # Import: one workbook fills both registers through its `register` column.
    spreadsheet = tmp_path / "trust-risks.xlsx"
    workbook(spreadsheet)
    page.get_by_role("link", name="Import risks from a spreadsheet").click()
    page.set_input_files("#id_file", str(spreadsheet))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", name="Check the import")).to_be_visible()
    expect(page.get_by_role("rowheader", name="OPS2")).to_be_visible()
    page.get_by_role("button", name="Confirm and import").click()
    expect(page.get_by_text("Imported trust-risks.xlsx: created 5")).to_be_visible()
    by_register = dict(
        Risk.objects.filter(organisation=organisation).values_list("ref", "register__slug")
    )
    assert by_register == {
        "FIN1": "finance",
        "FIN2": "finance",
        "FIN3": "finance",
        "OPS1": "operations",
        "OPS2": "operations",
    }
    assert Risk.objects.get(ref="OPS1").category.name == "People and workforce"
    # The controls and actions sheets: structured rows with owner, effectiveness, due date, status.
    control = Control.objects.get(risk__ref="FIN1")
    assert (control.description, control.owner.email, control.effectiveness) == (
        "Monthly budget review",
        ADMIN,
        Effectiveness.PARTIAL,
    )
    assert Control.objects.get(risk__ref="OPS1").effectiveness == Effectiveness.EFFECTIVE
    action = Action.objects.get(risk__ref="FIN1")
    assert (action.owner.email, action.due_date, action.status) == (
        ADMIN,
        dt.date(2027, 3, 31),
        ActionStatus.IN_PROGRESS,
    )

    to_settings(page)
    expect(page.get_by_role("heading", name="Setting up: all done")).to_be_visible()
    expect(checklist).to_contain_text("Done: 5 risks")
    # The organisation is in use: the dashboard no longer shows the set-up banner.
    page.goto(f"/o/{SLUG}/")
    expect(page.get_by_role("region", name="Setting up")).to_have_count(0)
    # FIN1 (16) is over Money's tolerance of 12: the dashboard says so.
    expect(page.get_by_role("table", name=re.compile("Risks in breach"))).to_contain_text("FIN1")

    # The packs cover the two directorate registers: chosen once in Settings, the request form
    # starts from them, and the committee pack covers them.
    to_settings(page)
    page.get_by_role("link", name="Registers the packs cover").click()
    covered = page.get_by_role("group", name="Registers the packs cover")
    covered.get_by_label("Example NHS Trust corporate risk register").uncheck()
    covered.get_by_label("Finance directorate").check()
    covered.get_by_label("Operations directorate").check()
    page.get_by_role("button", name="Save").click()
    assert {r.slug for r in Organisation.objects.get(slug=SLUG).pack_registers.all()} == {
        "finance",
        "operations",
    }
    page.get_by_role("navigation", name="Menu").get_by_role(
        "link", name="Reports", exact=True
    ).click()
    page.get_by_label("Bi-annual committee pack").check()
    chosen = page.get_by_role("group", name="Registers")
    expect(chosen.get_by_label("Example NHS Trust corporate risk register")).not_to_be_checked()
    expect(chosen.get_by_label("Finance directorate")).to_be_checked()
    expect(chosen.get_by_label("Operations directorate")).to_be_checked()
    page.get_by_role("button", name="Request pack").click()
    # Built as a draft for the admin to read and release (issue 16).
    expect(page.locator(".govuk-tag", has_text="Draft v1")).to_be_visible()
    pack = Pack.objects.get(organisation=organisation)
    assert pack.status == PackStatus.READY, pack.error
    assert {r.slug for r in pack.registers.all()} == {"finance", "operations"}
    with page.expect_download() as info:
        page.get_by_role("link", name="Read the draft (PDF)").click()
    with open(info.value.path(), "rb") as handle:
        text = pdf_text(handle.read())
    for expected in ("Audit and Risk Committee", "Finance directorate", "Operations directorate"):
        assert expected in text, expected
    for ref in ("FIN1", "FIN2", "FIN3", "OPS1", "OPS2"):
        assert ref in text, ref

    # What the pages wrote is what the admin asked for.
    assert set(
        Category.objects.filter(organisation=organisation).values_list("name", flat=True)
    ) == {
        "Money",
        "People and workforce",
    }
    assert AppetiteStatement.objects.get(organisation=organisation).tolerance == 12
    assert Invitation.objects.get(organisation=organisation).email == (
        "cora.coordinator@trust.example"
    )
    assert Register.objects.filter(organisation=organisation).count() == 3
    assert any("cora.coordinator@trust.example" in m.to for m in mail.outbox)
