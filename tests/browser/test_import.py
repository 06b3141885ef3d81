"""A coordinator imports a spreadsheet in the browser: upload, preview, confirm; the pages pass
axe-core."""

import pytest
from playwright.sync_api import expect

from registers.models import Register, Risk, Role
from registers.permissions import membership_sync
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import MembershipFactory, OrganisationFactory, RiskFactory
from tests.reporting.conftest import csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_uploads_checks_and_confirms_an_import(page, tmp_path):
    organisation = OrganisationFactory(name="Example Council")
    register = Register.objects.get(organisation=organisation, slug="corporate")
    RiskFactory(register=register, ref="CRR1", title="Cyber attack", positions={"current": (3, 3)})
    membership = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    membership_sync(membership)
    spreadsheet = tmp_path / "register.csv"
    spreadsheet.write_bytes(
        csv_bytes(
            [
                ["ref", "title", "current_likelihood", "current_impact", "controls"],
                ["CRR1", "Cyber attack on payroll", "4", "5", "Backups"],
                ["CRR2", "Flooding at the depot", "High", "Serious", "Sandbags\nPumps"],
            ]
        )
    )

    sign_in(page, membership.user.email)
    page.goto(f"/o/{organisation.slug}/registers/corporate/import/")
    expect(page.get_by_role("heading", name="Import risks from a spreadsheet")).to_be_visible()
    assert axe_violations(page) == []

    page.set_input_files("#id_file", str(spreadsheet))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", name="Check the import")).to_be_visible()
    expect(page.get_by_role("rowheader", name="CRR2")).to_be_visible()
    expect(page.get_by_role("cell", name="Cyber attack on payroll")).to_be_visible()
    assert axe_violations(page) == []
    assert not Risk.objects.filter(ref="CRR2").exists()

    page.get_by_role("button", name="Confirm and import").click()
    page.wait_for_url(f"**/o/{organisation.slug}/registers/corporate/")
    expect(
        page.get_by_text("Imported register.csv: created 1, updated 1, unchanged 0.")
    ).to_be_visible()
    expect(page.get_by_role("link", name="CRR2")).to_be_visible()
    expect(page.get_by_role("cell", name="Flooding at the depot")).to_be_visible()
    expect(page.get_by_role("cell", name="20 (High)").first).to_be_visible()
    assert Risk.objects.get(ref="CRR1").title == "Cyber attack on payroll"


def test_problems_are_listed_by_row_and_nothing_is_imported(page, tmp_path):
    organisation = OrganisationFactory(name="Example Council")
    membership = MembershipFactory(organisation=organisation, role=Role.ADMIN)
    spreadsheet = tmp_path / "bad.csv"
    spreadsheet.write_bytes(csv_bytes([["ref", "title", "current_likelihood"], ["R1", "", "9"]]))
    sign_in(page, membership.user.email)
    page.goto(f"/o/{organisation.slug}/registers/corporate/import/")
    page.set_input_files("#id_file", str(spreadsheet))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_text("Row 2: title: required for a new risk")).to_be_visible()
    assert page.get_by_role("button", name="Confirm and import").count() == 0
    assert axe_violations(page) == []
    assert not Risk.objects.exists()


def test_a_big_file_is_checked_and_imported_in_the_background(page, tmp_path, settings):
    # Tasks run in the process that queues them, once the request's transaction commits: the
    # check is done by the time the upload lands on the job's page, the write by the confirm's.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.RISKREG_IMPORT_BACKGROUND_ROWS = 2
    organisation = OrganisationFactory(name="Example Council")
    membership = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    membership_sync(membership)
    spreadsheet = tmp_path / "big.csv"
    spreadsheet.write_bytes(
        csv_bytes(
            [["ref", "title", "controls"]] + [[f"B{n}", f"Risk {n}", "Audit"] for n in range(3)]
        )
    )
    sign_in(page, membership.user.email)
    page.goto(f"/o/{organisation.slug}/registers/corporate/import/")
    page.set_input_files("#id_file", str(spreadsheet))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url("**/import/jobs/*/")
    expect(page.get_by_role("heading", name="Check the import")).to_be_visible()
    expect(page.get_by_role("rowheader", name="B1")).to_be_visible()
    expect(page.get_by_role("cell", name="Risk 1", exact=True)).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Confirm and import").click()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    expect(page.get_by_text("Imported big.csv: created 3, updated 0, unchanged 0.")).to_be_visible()
    assert axe_violations(page) == []
    assert Risk.objects.filter(organisation=organisation).count() == 3
