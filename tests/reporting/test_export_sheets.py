"""Export's controls and actions sheets and the rag column (issue 15), and the template workbook's
controls and actions sheets with their drop-down lists."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from registers.models import Membership, Risk
from registers.services.risks import risk_update
from registers.services.treatments import control_update
from reporting.spreadsheets.exporting import register_export, to_csv, to_xlsx
from reporting.spreadsheets.importing import import_apply, import_plan
from reporting.spreadsheets.rag import NO_PROGRESS_FOR_RAG, NOT_A_RAG, RAG_DISAGREES
from reporting.spreadsheets.template import import_template
from reporting.spreadsheets.treatment_sheets import ACTION_COLUMNS, CONTROL_COLUMNS
from tests.factories import (
    ActionFactory,
    ControlFactory,
    MembershipFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.reporting.conftest import csv_bytes
from tests.reporting.test_import_template import listed, validations

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(organisation):
    """A register with one risk holding a detailed control and action."""
    ann = MembershipFactory(organisation=organisation, user__email="ann@example.org").user
    register = corporate_register_of(organisation)
    risk = RiskFactory(register=register, ref="R1", title="Cyber", progress="limited")
    ControlFactory(
        risk=risk, description="=Firewall", owner=ann, effectiveness="effective", assurance="Audit"
    )
    ActionFactory(
        risk=risk,
        description="Patch",
        owner=ann,
        due_date=dt.date(2027, 3, 31),
        status="in_progress",
        priority="high",
        difficulty="low",
        progress_note="Half done",
    )
    return register, risk


def sheet_rows(data: bytes, name: str) -> list[list]:
    workbook = load_workbook(io.BytesIO(data))
    return [[cell.value for cell in row] for row in workbook[name].iter_rows()]


def test_the_xlsx_export_has_controls_and_actions_sheets(filled):
    register, _risk = filled
    data = to_xlsx(register_export(register=register))
    assert load_workbook(io.BytesIO(data)).sheetnames == [
        "Register",
        "controls",
        "actions",
        "indicators",  # issue 18: tests/reporting/test_import_indicators.py
        "readings",
        "About",
    ]
    assert sheet_rows(data, "controls") == [
        list(CONTROL_COLUMNS),
        ["R1", "'=Firewall", "ann@example.org", "Effective", "Audit"],  # never a formula
    ]
    assert sheet_rows(data, "actions") == [
        list(ACTION_COLUMNS),
        [
            "R1",
            "Patch",
            "ann@example.org",
            dt.datetime(2027, 3, 31),  # noqa: DTZ001 (a date cell reads back naive)
            "In progress",
            "High",
            "Low",
            "Half done",
        ],
    ]
    # Imported again unchanged, it changes nothing.
    plan = import_plan(register=register, data=data, filename="r.xlsx")
    assert plan.ok and plan.summary == "created 0, updated 0, unchanged 1"
    assert plan.treatments.writes() == []


def test_withheld_risks_have_no_rows_on_the_sheets(filled):
    register, risk = filled
    other = RiskFactory(register=register, ref="R2", title="Other")
    ControlFactory(risk=other, description="Seen")

    class Access:  # a member not cleared for R1's detail
        def can_see_sensitive(self, risk):
            return risk.ref != "R1"

    export = register_export(register=register, access=Access())
    assert export.second_sheets["controls"][1:] == [["R2", "Seen", "", "Not assessed", ""]]
    assert export.second_sheets["actions"][1:] == []


def test_an_export_as_it_stood_has_the_sheets_as_they_stood(filled):
    register, risk = filled
    moment = timezone.now()
    control = risk.controls.get()
    control_update(control=control, effectiveness="ineffective", reason="worse")
    then = register_export(register=register, as_of=moment)
    now = register_export(register=register)
    assert then.second_sheets["controls"][1][3] == "Effective"
    assert now.second_sheets["controls"][1][3] == "Ineffective"
    assert then.second_sheets["actions"][1][2] == "ann@example.org"


def test_rag_is_worked_out_from_progress_and_checked_on_import(filled):
    register, risk = filled
    export = register_export(register=register)
    assert export.rows[0][export.header.index("rag")] == "Amber"  # Limited
    # A CSV export imported again unchanged changes nothing, rag included.
    plan = import_plan(register=register, data=to_csv(export), filename="r.csv")
    assert plan.ok and plan.summary == "created 0, updated 0, unchanged 1"
    rows = [
        ["ref", "title", "progress", "rag"],
        ["R1", "Cyber", "", "green"],  # disagrees with the stored progress
        ["R2", "New", "On track", "G"],  # agrees with the row's own progress
        ["R3", "New", "", "Amber"],  # no progress to work it out from
        ["R4", "New", "Slipped", "purple"],
        ["R5", "New", "No progress", "Red"],
    ]
    plan = import_plan(register=register, data=csv_bytes(rows), filename="r.csv")
    assert [str(problem) for problem in plan.problems] == [
        "row 2: rag: "
        + RAG_DISAGREES.format(
            given="Green", progress="Limited", worked_out="Amber", hint="On track is Green"
        ),
        "row 4: rag: " + NO_PROGRESS_FOR_RAG,
        "row 5: rag: " + NOT_A_RAG.format(text="purple"),
    ]
    # Changing progress and rag together is what a coordinator does: accepted.
    rows = [["ref", "title", "progress", "rag"], ["R1", "Cyber", "On track", "Green"]]
    plan = import_plan(register=register, data=csv_bytes(rows), filename="r.csv")
    assert plan.ok
    import_apply(plan=plan)
    assert Risk.objects.get(ref="R1").progress == "on_track"


def test_rag_as_it_stood(filled):
    register, risk = filled
    moment = timezone.now()
    risk_update(risk=risk, expected_version=risk.version, fields={"progress": "slipped"})
    then = register_export(register=register, as_of=moment)
    assert then.rows[0][then.header.index("rag")] == "Amber"
    now = register_export(register=register)
    assert now.rows[0][now.header.index("rag")] == "Red"


def test_the_template_has_controls_and_actions_sheets_with_lists(filled):
    register, _risk = filled
    workbook = load_workbook(io.BytesIO(import_template(register=register)))
    assert workbook.sheetnames == [
        "Register",
        "controls",
        "actions",
        "indicators",  # issue 18: tests/reporting/test_import_indicators.py
        "readings",
        "Lists",
        "About",
    ]
    controls, actions = workbook["controls"], workbook["actions"]
    assert [cell.value for cell in controls[1]] == list(CONTROL_COLUMNS)
    assert [cell.value for cell in actions[1]] == list(ACTION_COLUMNS)
    checks = validations(controls)
    assert listed(workbook, checks["owner"]) == ["ann@example.org"]
    assert listed(workbook, checks["effectiveness"]) == [
        "Effective",
        "Partially effective",
        "Ineffective",
        "Not assessed",
    ]
    checks = validations(actions)
    assert listed(workbook, checks["owner"]) == ["ann@example.org"]
    assert listed(workbook, checks["status"]) == [
        "Not started",
        "In progress",
        "Completed",
        "Cancelled",
    ]
    assert listed(workbook, checks["priority"]) == ["Low", "Medium", "High"]
    assert listed(workbook, checks["difficulty"]) == ["Low", "Medium", "High"]
    assert checks["due"].type == "date"
    # Filled in with values from its lists, it imports.
    workbook["Register"].append(["R9", "From the template"])
    controls.append(["R9", "Guard", "ann@example.org", "Ineffective", "Spot checks"])
    actions.append(["R9", "Hire", "ann@example.org", dt.date(2027, 1, 1), "Not started", "Low"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = import_plan(register=register, data=buffer.getvalue(), filename="t.xlsx")
    assert plan.ok, [str(p) for p in plan.problems]
    import_apply(plan=plan)
    risk = Risk.objects.get(ref="R9")
    assert risk.controls.get().effectiveness == "ineffective"
    assert risk.actions.get().priority == "low"


def test_an_owner_who_left_the_organisation_imports_back_unchanged(filled, organisation):
    register, risk = filled
    Membership.objects.filter(organisation=organisation, user__email="ann@example.org").delete()
    data = to_xlsx(register_export(register=register))
    plan = import_plan(register=register, data=data, filename="r.xlsx")
    assert plan.ok, [str(problem) for problem in plan.problems]
    assert plan.treatments.writes() == []
    # Naming them for another control is still a problem: they are not a member.
    workbook = load_workbook(io.BytesIO(data))
    workbook["controls"].append(["R1", "New one", "ann@example.org"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = import_plan(register=register, data=buffer.getvalue(), filename="r.xlsx")
    assert [problem.column for problem in plan.problems] == ["owner"]


def test_the_workbook_written_as_it_is_built_keeps_its_layout(filled):
    """to_xlsx writes rows as it builds them (openpyxl's write-only mode): the sheets still say
    their size to read-only readers, and keep their bold headers, widths, frozen panes, filter
    and date formats."""
    register, _risk = filled
    data = to_xlsx(register_export(register=register))
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames[0] == "Register" and workbook.sheetnames[-1] == "About"
    main = workbook["Register"]
    assert (
        main.auto_filter.ref
        == main.dimensions
        == f"A1:{main.cell(1, main.max_column).column_letter}2"
    )
    controls, actions = workbook["controls"], workbook["actions"]
    for sheet in (controls, actions):
        assert sheet.freeze_panes == "C2"
        assert all(cell.font.bold for cell in sheet[1])
        assert not any(cell.font.bold for cell in sheet[2])
        header = [cell.value for cell in sheet[1]]
        widths = [sheet.column_dimensions[cell.column_letter].width for cell in sheet[1]]
        assert widths == [
            60 if name in ("description", "source_of_assurance", "progress") else 16
            for name in header
        ]
    due = actions.cell(2, ACTION_COLUMNS.index("due") + 1)
    assert due.value.date() == dt.date(2027, 3, 31) and due.number_format == "dd/mm/yyyy"
    control = controls.cell(2, CONTROL_COLUMNS.index("description") + 1)
    assert control.value == "'=Firewall" and control.data_type == "s"
    about = workbook["About"]
    assert about["A1"].font.bold and not about["B1"].font.bold
    assert about.column_dimensions["A"].width == 24 and about.column_dimensions["B"].width == 90
    sizes = {
        sheet.title: (sheet.max_row, sheet.max_column)
        for sheet in load_workbook(io.BytesIO(data), read_only=True).worksheets
    }
    assert sizes == {sheet.title: (sheet.max_row, sheet.max_column) for sheet in workbook}
