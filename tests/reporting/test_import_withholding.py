"""The import's previews withhold OFFICIAL-SENSITIVE detail from a member not cleared for it,
for every sheet (risks, controls, actions; indicators already did), on the small file's page
and a big file's job page alike (``reporting.spreadsheets.preview``): what is stored (the "now"
side of a change, a control's or action's stored description naming its change, the counts)
is withheld; the member's own file (the "after" side) and what the risk page shows them (ref,
title) are not.

Nobody uncleared can import today (importing needs an edit of the register: admins and
coordinators, always cleared), so these tests make coordinators uncleared (``CLEARED_ROLES``
without them) to hold the line should that rule change."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from registers import permissions
from registers.models import Marking, Role
from registers.permissions import membership_sync
from registers.services.risks import risk_update
from registers.withholding import WITHHELD_SHORT
from reporting.models import ImportJob
from reporting.spreadsheets.importing import import_plan, plan_lines
from reporting.spreadsheets.preview import risk_tables
from reporting.spreadsheets.tasks import import_check_task
from tests.factories import (
    ActionFactory,
    ControlFactory,
    MembershipFactory,
    RiskFactory,
    corporate_register_of,
)

pytestmark = pytest.mark.django_db

STORED = (
    "Stored secret cause",
    "Stored secret consequence",
    "Stored control text",
    "Stored action text",
    "Stored progress note",
)


def workbook() -> bytes:
    book = Workbook()
    book.active.title = "Register"
    for row in (
        ["ref", "title", "description", "consequence", "controls"],
        ["S1", "", "Typed new cause", "Typed new consequence", "Typed extra control"],
        ["O1", "", "Typed open cause", "", ""],
    ):
        book.active.append(row)
    controls = book.create_sheet("controls")
    controls.append(["ref", "description", "effectiveness"])
    controls.append(["S1", "Stored control text", "Ineffective"])
    actions = book.create_sheet("actions")
    actions.append(["ref", "description", "progress"])
    actions.append(["S1", "Stored action text", "Typed halfway"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def risks(organisation):
    register = corporate_register_of(organisation)
    sensitive = RiskFactory(register=register, ref="S1", title="Covert source exposed")
    risk_update(
        risk=sensitive,
        expected_version=sensitive.version,
        fields={
            "description": STORED[0],
            "consequence": STORED[1],
            "marking": Marking.OFFICIAL_SENSITIVE,
        },
        reason="test",
    )
    ControlFactory(risk=sensitive, description=STORED[2], effectiveness="effective")
    ActionFactory(risk=sensitive, description=STORED[3], progress_note=STORED[4])
    official = RiskFactory(register=register, ref="O1", title="Fleet ageing")
    risk_update(
        risk=official,
        expected_version=official.version,
        fields={"description": "Open old cause"},
        reason="test",
    )
    return sensitive, official


@pytest.fixture
def uncleared(monkeypatch):
    monkeypatch.setattr(permissions, "CLEARED_ROLES", frozenset({Role.ADMIN}))


@pytest.fixture
def coordinator(client, organisation):
    membership = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    membership_sync(membership)
    client.force_login(membership.user)
    return membership.user


def upload(client, organisation):
    url = reverse("register_import", args=[organisation.slug, "corporate"])
    response = client.post(url, {"file": SimpleUploadedFile("f.xlsx", workbook())})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def assert_withheld(text: str):
    for stored in STORED:
        assert stored not in text, stored
    assert WITHHELD_SHORT in text
    # The member's own file, and what the risk page shows them, are still there.
    for typed in ("Typed new cause", "Typed extra control", "Ineffective", "Typed halfway"):
        assert typed in text
    assert "Covert source exposed" in text
    # An OFFICIAL risk's change shows both sides.
    assert "Open old cause" in text and "Typed open cause" in text


def test_the_small_files_preview_withholds_every_sheets_stored_text(
    client, organisation, risks, uncleared, coordinator
):
    response = client.get(upload(client, organisation).url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Confirm and import" in page
    assert_withheld(page)


def test_a_big_files_job_page_and_its_kept_preview_withhold_it(
    client, organisation, risks, uncleared, coordinator, settings
):
    settings.RISKREG_IMPORT_BACKGROUND_ROWS = 1
    upload(client, organisation)
    job = ImportJob.objects.get()
    import_check_task(job.pk)
    job.refresh_from_db()
    kept = str(job.preview)
    for stored in STORED:
        assert stored not in kept, stored  # never written down for this person
    page = client.get(reverse("register_import_job", args=[organisation.slug, "corporate", job.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Confirm and import" in text
    assert_withheld(text)


def test_a_cleared_member_sees_both_sides(client, organisation, risks, coordinator):
    page = client.get(upload(client, organisation).url).content.decode()
    for stored in STORED[:3]:
        assert stored in page
    assert WITHHELD_SHORT not in page


def test_one_function_for_the_tables_and_the_lines(organisation, risks):
    register = corporate_register_of(organisation)
    plan = import_plan(register=register, data=workbook(), filename="f.xlsx")
    assert plan.ok, plan.problems
    tables = risk_tables(plan, can_see=lambda risk: risk.ref != "S1")
    text = str(tables) + "\n".join(plan_lines(plan, dry_run=True, can_see=lambda r: False))
    for stored in STORED:
        assert stored not in text, stored
    (withheld,) = [row for row in tables["changed"] if row["ref"] == "S1"]
    assert withheld["withheld"] and withheld["controls_now"] == WITHHELD_SHORT
    assert {old for _, old, _ in withheld["changes"]} == {WITHHELD_SHORT}
    assert any(
        column == "control (controls row 2): effectiveness" for column, _, _ in withheld["changes"]
    )
    # The command (no member) still says everything.
    assert any("Stored control text" in line for line in plan_lines(plan, dry_run=True))
