"""A workbook's ``controls`` and ``actions`` sheets (issue 15): one row per control or action keyed
by the risk's ref, matched by description, all-or-nothing with the main sheet; problems read
``controls row N: column: problem``; the main sheet's one-per-line columns are not doubled."""

import datetime as dt
import io
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from registers.models import Action, Control, Risk, Role
from registers.permissions import membership_sync
from registers.services.treatments import control_update
from reporting.spreadsheets.importing import ImportRefused, import_apply, import_plan, plan_lines
from reporting.spreadsheets.reading import TooManyCells, read_spreadsheet
from reporting.spreadsheets.treatment_sheets import ALSO_ON_ROW, NOT_ON_MAIN_SHEET
from reporting.spreadsheets.values import NOT_A_MEMBER_EMAIL
from tests.factories import (
    ActionFactory,
    ControlFactory,
    MembershipFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.reporting.conftest import csv_bytes

pytestmark = pytest.mark.django_db

CONTROLS = ["ref", "description", "owner", "effectiveness", "source_of_assurance"]
ACTIONS = ["ref", "description", "owner", "due", "status", "priority", "difficulty", "progress"]


def workbook(main, **sheets) -> bytes:
    """A workbook whose first sheet holds ``main`` and each further sheet its rows, by name."""
    book = Workbook()
    book.active.title = "Register"
    for row in main:
        book.active.append(row)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def plan_for(register, data, filename="f.xlsx", **kwargs):
    return import_plan(register=register, data=data, filename=filename, **kwargs)


@pytest.fixture
def people(organisation):
    ann = MembershipFactory(
        organisation=organisation, user__email="ann@example.org", user__full_name="Ann Lee"
    ).user
    bob = MembershipFactory(
        organisation=organisation, user__email="bob@example.org", user__full_name="Bob Ray"
    ).user
    return ann, bob


def test_a_new_risk_gets_its_controls_and_actions_with_every_field(organisation, people):
    ann, bob = people
    register = corporate_register_of(organisation)
    data = workbook(
        [["ref", "title"], ["R1", "Cyber attack"]],
        Controls=[
            CONTROLS,
            ["R1", "Firewall", "ann@example.org", "Partially effective", "Pen test 2026"],
            ["R1", "Backups", "Bob Ray", "effective", ""],
        ],
        ACTIONS=[
            ACTIONS,
            [
                "R1",
                "Patch servers",
                "bob@example.org",
                "31/03/2027",
                "In progress",
                "High",
                "low",
                "Half done",
            ],
            ["R1", "Train staff", "", dt.date(2027, 6, 30), "", "", "", ""],
        ],
    )
    plan = plan_for(register, data)
    assert plan.ok, [str(p) for p in plan.problems]
    assert plan.summary == "created 1, updated 0, unchanged 0"
    assert plan_lines(plan)[0].endswith(
        "; control added (controls row 2): Firewall; control added (controls row 3): Backups"
        "; action added (actions row 2): Patch servers; action added (actions row 3): Train staff"
    )
    import_apply(plan=plan)
    risk = Risk.objects.get(ref="R1")
    controls = list(risk.controls.order_by("position"))
    assert [
        (c.description, c.owner, c.effectiveness, c.assurance, c.position) for c in controls
    ] == [
        ("Firewall", ann, "partially_effective", "Pen test 2026", 0),
        ("Backups", bob, "effective", "", 1),
    ]
    actions = list(risk.actions.order_by("position"))
    assert [
        (a.description, a.owner, a.due_date, a.status, a.priority, a.difficulty, a.progress_note)
        for a in actions
    ] == [
        ("Patch servers", bob, dt.date(2027, 3, 31), "in_progress", "high", "low", "Half done"),
        ("Train staff", None, dt.date(2027, 6, 30), "not_started", "", "", ""),
    ]
    assert controls[0].history.latest().history_change_reason == "imported from f.xlsx"


def test_an_existing_control_matched_by_description_is_updated_and_nothing_is_deleted(
    organisation, people
):
    ann, _bob = people
    register = corporate_register_of(organisation)
    risk = RiskFactory(register=register, ref="R1", title="Old")
    kept = ControlFactory(risk=risk, description="Kept as it is", position=0)
    firewall = ControlFactory(risk=risk, description="Firewall  rules", position=1)
    action = ActionFactory(risk=risk, description="Patch", position=0)
    data = workbook(
        [["ref", "title"], ["R1", "Old"]],
        controls=[
            CONTROLS,
            ["R1", "FIREWALL rules", "ann@example.org", "Effective", ""],
            ["R1", "New control", "", "", ""],
        ],
        actions=[ACTIONS, ["r1", "patch", "", "2027-01-31", "Completed", "", "", "Done"]],
    )
    plan = plan_for(register, data)
    assert plan.ok, [str(p) for p in plan.problems]
    assert plan.summary == "created 0, updated 1, unchanged 0"
    (line,) = plan_lines(plan, dry_run=True)
    assert "control 'Firewall rules': owner: (empty) -> Ann Lee" in line
    assert "control 'Firewall rules': effectiveness: Not assessed -> Effective" in line
    assert "action 'Patch': status: Not started -> Completed" in line
    assert "control added (controls row 3): (none) -> New control" in line
    import_apply(plan=plan)
    firewall.refresh_from_db()
    action.refresh_from_db()
    assert (firewall.owner, firewall.effectiveness, firewall.version) == (ann, "effective", 2)
    assert firewall.history.latest().history_change_reason == "imported from f.xlsx"
    assert (action.status, action.due_date, action.progress_note) == (
        "completed",
        dt.date(2027, 1, 31),
        "Done",
    )
    assert action.completed_at is not None
    assert list(risk.controls.order_by("position").values_list("description", flat=True)) == [
        "Kept as it is",
        "Firewall  rules",
        "New control",
    ]
    kept.refresh_from_db()
    assert kept.version == 1
    # The same workbook again changes nothing.
    again = plan_for(register, data)
    assert again.summary == "created 0, updated 0, unchanged 1"
    assert again.treatments.writes() == []


def test_the_main_sheets_columns_and_the_sheets_are_not_doubled(organisation, people):
    register = corporate_register_of(organisation)
    data = workbook(
        [
            ["ref", "title", "controls", "actions"],
            ["R1", "x", "Firewall\nOnly in the column", "Patch"],
        ],
        controls=[CONTROLS, ["R1", "firewall", "ann@example.org", "Effective", ""]],
        actions=[ACTIONS, ["R1", "Patch", "bob@example.org", "", "", "", "", ""]],
    )
    import_apply(plan=plan_for(register, data))
    risk = Risk.objects.get(ref="R1")
    assert list(
        risk.controls.order_by("position").values_list("description", "owner__email", "position")
    ) == [("Only in the column", None, 0), ("firewall", "ann@example.org", 1)]
    assert list(risk.actions.values_list("description", "owner__email")) == [
        ("Patch", "bob@example.org")
    ]


def test_every_problem_on_the_sheets_is_reported_and_nothing_is_written(organisation, people):
    register = corporate_register_of(organisation)
    RiskFactory(register=register, ref="OLD", title="Not on the main sheet")
    data = workbook(
        [["ref", "title"], ["R1", "Fine"]],
        controls=[
            ["Controls of the corporate register"],  # a title above the header is skipped
            CONTROLS,
            ["R1", "Firewall", "nobody@example.org", "Great", ""],
            ["OLD", "Something", "", "", ""],
            ["R1", "", "", "", ""],
            ["R1", "firewall", "", "", ""],
        ],
        actions=[ACTIONS, ["R1", "Patch", "Zed", "soon", "Begun", "Urgent", "", ""]],
    )
    plan = plan_for(register, data)
    assert [str(p) for p in plan.problems] == [
        "actions row 2: owner: 'Zed' is not a member of the organisation (use their e-mail address)",
        "actions row 2: due: 'soon' is not a date: use yyyy-mm-dd or dd/mm/yyyy (31/03/2027)",
        "actions row 2: status: 'Begun' is not a valid status; use one of: Not started, In progress, "
        "Completed, Cancelled",
        "actions row 2: priority: 'Urgent' is not a valid priority; use one of: Low, Medium, High",
        "controls row 3: owner: " + NOT_A_MEMBER_EMAIL.format(text="nobody@example.org"),
        "controls row 3: effectiveness: 'Great' is not a valid effectiveness; use one of: Effective, "
        "Partially effective, Ineffective, Not assessed",
        "controls row 4: ref: " + NOT_ON_MAIN_SHEET.format(ref="OLD"),
        "controls row 5: description: required: the control's text",
        "controls row 6: description: "
        + ALSO_ON_ROW.format(
            kind="Control", description="firewall", ref="R1", sheet="controls", row=3
        ),
    ]
    with pytest.raises(ImportRefused):
        import_apply(plan=plan)
    assert not Risk.objects.filter(ref="R1").exists()
    assert [key for key, _problems in plan.problems_by_row()] == [
        "actions 2",
        "controls 3",
        "controls 4",
        "controls 5",
        "controls 6",
    ]


def test_a_main_sheet_problem_keeps_its_contract_and_comes_first(organisation, people):
    register = corporate_register_of(organisation)
    data = workbook(
        [["ref", "title"], ["R1", ""]],
        controls=[CONTROLS, ["R1", "Firewall", "", "Sometimes", ""]],
    )
    found = [str(p) for p in plan_for(register, data).problems]
    assert found[0] == "row 2: title: required for a new risk"
    assert found[1].startswith("controls row 2: effectiveness: 'Sometimes'")


def test_a_sheet_without_a_header_and_formulas_are_problems(organisation):
    register = corporate_register_of(organisation)
    book = Workbook()
    book.active.append(["ref", "title"])
    book.active.append(["R1", "x"])
    book.create_sheet("controls").append(["risk", "what"])
    actions = book.create_sheet("actions")
    actions.append(ACTIONS)
    actions.append(["R1", "Patch", "", "=TODAY()+30"])
    buffer = io.BytesIO()
    book.save(buffer)
    found = [str(p) for p in plan_for(register, buffer.getvalue()).problems]
    assert found == [
        "actions row 2: due: formulas are not accepted, paste values",
        "controls row 1: ref: the controls sheet has no header row: no row names both a 'ref' "
        "and a 'description' column; its columns: ref, description, owner, effectiveness, "
        "source_of_assurance",
    ]


def test_other_sheets_and_csv_files_are_as_before(organisation):
    register = corporate_register_of(organisation)
    data = workbook([["ref", "title"], ["R1", "x"]], Notes=[["ref", "description"], ["R9", "x"]])
    plan = plan_for(register, data)
    assert plan.ok and plan.treatments is None
    csv_plan = plan_for(register, csv_bytes([["ref", "title"], ["R1", "x"]]), filename="f.csv")
    assert csv_plan.ok and csv_plan.treatments is None


def test_a_control_changed_after_the_check_refuses_the_whole_import(organisation, people):
    register = corporate_register_of(organisation)
    risk = RiskFactory(register=register, ref="R1", title="Old")
    control = ControlFactory(risk=risk, description="Firewall")
    data = workbook(
        [["ref", "title"], ["R1", "New title"]],
        controls=[CONTROLS, ["R1", "Firewall", "", "Effective", ""]],
    )
    plan = plan_for(register, data)
    control_update(control=control, assurance="Audit", reason="someone else")
    with pytest.raises(ImportRefused) as refused:
        import_apply(plan=plan)
    assert refused.value.stale
    risk.refresh_from_db()
    assert risk.title == "Old"  # the risk's own change was rolled back with it
    control.refresh_from_db()
    assert control.effectiveness == "not_assessed"


def test_the_command_prints_sheet_problems_and_exits_1(organisation, people, tmp_path):
    register = corporate_register_of(organisation)
    path = tmp_path / "register.xlsx"
    path.write_bytes(
        workbook(
            [["ref", "title"], ["R1", "x"]],
            controls=[CONTROLS, ["R1", "Firewall", "Zed", "", ""]],
        )
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 problem in 1 row; nothing was imported"):
        call_command(
            "import_register",
            str(path),
            "--org",
            organisation.slug,
            "--register",
            register.slug,
            stdout=out,
            stderr=err,
        )
    assert err.getvalue().strip() == (
        "controls row 2: owner: 'Zed' is not a member of the organisation (use their e-mail "
        "address)"
    )
    assert not Risk.objects.exists() and not Control.objects.exists()
    path.write_bytes(
        workbook(
            [["ref", "title"], ["R1", "x"]],
            actions=[ACTIONS, ["R1", "Patch", "Ann Lee", "2027-01-01", "", "", "", ""]],
        )
    )
    call_command(
        "import_register",
        str(path),
        "--org",
        organisation.slug,
        "--register",
        register.slug,
        stdout=out,
        stderr=err,
    )
    assert "action added (actions row 2): Patch" in out.getvalue()
    assert Action.objects.get().owner.email == "ann@example.org"


def test_the_preview_lists_sheet_problems_with_their_sheet_and_refuses_the_confirm(
    client, organisation
):
    membership = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    membership_sync(membership)
    client.force_login(membership.user)
    register = corporate_register_of(organisation)
    data = workbook(
        [["ref", "title"], ["R1", ""]],
        controls=[CONTROLS, ["R1", "Firewall", "", "Sometimes", ""]],
    )
    url = reverse("register_import", args=[organisation.slug, register.slug])
    response = client.post(url, {"file": SimpleUploadedFile("r.xlsx", data)})
    preview = client.get(response.url)
    text = preview.content.decode()
    assert "2 problems in r.xlsx: nothing will be imported" in text
    assert 'href="#row-2"' in text and 'id="row-2"' in text
    assert 'href="#row-controls-2"' in text and 'id="row-controls-2"' in text
    assert (
        "Controls row 2: effectiveness: &#x27;Sometimes&#x27; is not a valid effectiveness" in text
    )
    confirmed = client.post(response.url, {"fingerprint": preview.context["plan"].fingerprint})
    assert confirmed.status_code == 400
    assert not Risk.objects.exists() and not Control.objects.exists()


def test_a_sheet_may_have_more_rows_than_the_risks_limit_but_its_cells_count(
    organisation, settings
):
    register = corporate_register_of(organisation)
    settings.RISKREG_WEB_IMPORT_MAX_ROWS = 2
    data = workbook(
        [["ref", "title"], ["R1", "x"], ["R2", "y"]],
        controls=[CONTROLS] + [[f"R{1 + n % 2}", f"Control {n}"] for n in range(6)],
    )
    plan = plan_for(register, data, for_browser=True)
    assert plan.ok and len(plan.treatments.rows) == 6
    settings.RISKREG_IMPORT_MAX_CELLS = 12  # 5 header cells and 12 more on the controls sheet
    with pytest.raises(TooManyCells):
        read_spreadsheet(data=data, filename="f.xlsx")


def test_the_preview_counts_what_the_sheets_add_to_a_new_risk(client, organisation, people):
    membership = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    membership_sync(membership)
    client.force_login(membership.user)
    register = corporate_register_of(organisation)
    data = workbook(
        [["ref", "title", "controls"], ["R1", "x", "Firewall\nBackups"]],
        controls=[CONTROLS, ["R1", "firewall", "", "Effective", ""], ["R1", "Guard", "", "", ""]],
        actions=[ACTIONS, ["R1", "Patch", "", "", "", "", "", ""]],
    )
    url = reverse("register_import", args=[organisation.slug, register.slug])
    preview = client.get(client.post(url, {"file": SimpleUploadedFile("r.xlsx", data)}).url)
    (row,) = preview.context["plan"].created
    assert (row.controls_added, row.actions_added) == (3, 1)  # Firewall once, Backups, Guard
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">3</td>' in (
        preview.content.decode()
    )
