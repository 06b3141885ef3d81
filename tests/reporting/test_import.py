"""Import: the example files behave as the contracts say; update by ref keeps history; all rows or
none; every bad row named as 'row N: column: problem'."""

import datetime as dt
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from registers.calendar import AS_OF_TOO_EARLY
from registers.models import Action, Control, Risk, Role
from registers.services.risks import risk_update
from reporting.spreadsheets.importing import ImportRefused, import_apply, import_plan, plan_lines
from reporting.spreadsheets.values import DATE_TOO_LATE
from tests.factories import (
    CategoryFactory,
    ControlFactory,
    MembershipFactory,
    RegisterFactory,
    RiskFactory,
    UserFactory,
    corporate_register_of,
)
from tests.reporting.conftest import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def plan_for(register, rows, filename="register.csv"):
    data = xlsx_bytes(rows) if filename.endswith(".xlsx") else csv_bytes(rows)
    return import_plan(register=register, data=data, filename=filename)


# --- the example files -------------------------------------------------------------------------


def test_example_file_imports_with_values_labels_and_codes(espo, example_csv):
    out, _ = run("import_register", str(example_csv), "--org", "example", "--register", "corporate")
    assert out.strip().endswith("created 3, updated 0, unchanged 0")
    risks = {risk.ref: risk for risk in Risk.objects.filter(organisation=espo)}
    assert sorted(risks) == ["ESPO-01", "ESPO-02", "ESPO-03"]
    it = risks["ESPO-02"]
    # 'Low' / 'Very serious' (labels) and 'VL' / 'S' (codes) resolved on the register's scheme.
    assert (it.current_likelihood, it.current_impact) == (2, 5)
    assert (it.target_likelihood, it.target_impact) == (1, 4)
    assert it.current_score == 10 and it.current_band == "Medium"
    assert it.next_review_due == dt.date(2027, 1, 31)
    assert risks["ESPO-01"].next_review_due == dt.date(2027, 3, 31)  # UK date
    assert risks["ESPO-03"].next_review_due is None
    assert list(risks["ESPO-01"].controls.values_list("description", flat=True)) == [
        "Contract management reviews",
        "Customer satisfaction survey",
    ]
    assert list(risks["ESPO-01"].actions.values_list("description", flat=True)) == [
        "Renewal bid plan"
    ]
    assert it.history.latest().history_change_reason == "imported from register-example.csv"


def test_example_file_twice_changes_nothing_the_second_time(espo, example_csv):
    run("import_register", str(example_csv), "--org", "example", "--register", "corporate")
    out, _ = run("import_register", str(example_csv), "--org", "example", "--register", "corporate")
    assert out.strip().endswith("created 0, updated 0, unchanged 3")
    assert Control.objects.filter(organisation=espo).count() == 4


def test_bad_example_names_rows_3_and_4_and_changes_nothing(espo, bad_example_csv):
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_register",
            str(bad_example_csv),
            "--org",
            "example",
            "--register",
            "corporate",
            stdout=StringIO(),
            stderr=err,
        )
    lines = err.getvalue().splitlines()
    assert lines[0] == "row 3: title: required for a new risk"
    assert lines[1].startswith("row 4: current_likelihood: likelihood 9 is not on the scheme")
    assert not Risk.objects.filter(organisation=espo).exists()  # not even the valid row 2


def test_command_exits_1_with_the_problems_on_stderr(espo, bad_example_csv):
    database = connection.settings_dict
    if connection.vendor == "postgresql":
        url = (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        )
    else:  # the subprocess only needs a migrated database without that organisation
        url = f"sqlite:///{database['NAME']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "riskreg.settings.test", "DATABASE_URL": url}
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "import_register", str(bad_example_csv)]
        + ["--org", "nobody", "--register", "corporate"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "unknown organisation 'nobody'" in result.stderr


# --- update by ref, history, all-or-nothing ----------------------------------------------------


def test_update_by_ref_changes_only_given_cells_and_records_history(organisation):
    register = corporate_register_of(organisation)
    risk = RiskFactory(
        register=register,
        ref="CRR7",
        title="Old title",
        description="Kept as it is",
        positions={"current": (3, 4)},
    )
    ControlFactory(risk=risk, description="Existing control")
    plan = plan_for(
        register,
        [
            ["ref", "title", "description", "current_likelihood", "current_impact", "controls"],
            ["crr7", "New title", "", "4", "Very serious", "existing CONTROL\nNew control"],
        ],
        filename="update.csv",
    )
    assert plan.ok and plan.summary == "created 0, updated 1, unchanged 0"
    (row,) = plan.updated
    assert [(c.column, c.old, c.new) for c in row.changes] == [
        ("title", "Old title", "New title"),
        (
            "current position",
            "12 (Medium): likelihood Medium, impact Serious",
            "20 (High): likelihood High, impact Very serious",
        ),
    ]
    assert row.controls == ["New control"]  # matched by description, case and spaces aside
    import_apply(plan=plan)
    risk.refresh_from_db()
    assert risk.title == "New title" and risk.description == "Kept as it is"
    assert (risk.current_likelihood, risk.current_impact, risk.current_score) == (4, 5, 20)
    assert risk.version == 2
    latest = risk.history.latest()
    assert latest.history_change_reason == "imported from update.csv"
    assert latest.prev_record.title == "Old title"
    assert list(risk.controls.values_list("description", flat=True)) == [
        "Existing control",
        "New control",
    ]


def test_import_never_deletes_controls_or_actions(organisation):
    register = corporate_register_of(organisation)
    risk = RiskFactory(register=register, ref="R1")
    ControlFactory(risk=risk, description="Keep me")
    plan = plan_for(register, [["ref", "title", "controls", "actions"], ["R1", "", "", ""]])
    assert plan.ok and plan.summary == "created 0, updated 0, unchanged 1"
    import_apply(plan=plan)
    assert list(risk.controls.values_list("description", flat=True)) == ["Keep me"]


def test_dry_run_writes_nothing(espo, example_csv):
    out, _ = run(
        "import_register",
        str(example_csv),
        "--org",
        "example",
        "--register",
        "corporate",
        "--dry-run",
    )
    assert "row 3: would create ESPO-02 IT systems fail completely" in out
    assert out.strip().endswith("would have created 3, updated 0, unchanged 0")
    assert not Risk.objects.filter(organisation=espo).exists()
    assert not Control.objects.filter(organisation=espo).exists()


def test_dry_run_of_an_update_prints_old_and_new(organisation):
    register = corporate_register_of(organisation)
    RiskFactory(register=register, ref="R1", title="Before")
    out = plan_for(register, [["ref", "title"], ["R1", "After"]])
    assert plan_lines(out, dry_run=True) == ["row 2: would update R1: title: Before -> After"]


def test_all_or_nothing_when_a_risk_changes_between_check_and_write(organisation):
    register = corporate_register_of(organisation)
    risk = RiskFactory(register=register, ref="R1", title="Before")
    plan = plan_for(register, [["ref", "title"], ["NEW1", "A new risk"], ["R1", "After"]])
    risk_update(risk=risk, expected_version=1, fields={"title": "Someone else"})
    with pytest.raises(ImportRefused) as refused:
        import_apply(plan=plan)
    assert refused.value.stale
    assert not Risk.objects.filter(ref="NEW1").exists()  # the create before it rolled back
    assert Risk.objects.get(pk=risk.pk).title == "Someone else"


def test_a_plan_with_problems_cannot_be_applied(organisation):
    plan = plan_for(corporate_register_of(organisation), [["ref", "title"], ["R1", ""]])
    with pytest.raises(ImportRefused):
        import_apply(plan=plan)
    assert not Risk.objects.filter(organisation=organisation).exists()


# --- row problems ------------------------------------------------------------------------------


def problems(register, rows, filename="register.csv"):
    return [str(problem) for problem in plan_for(register, rows, filename).problems]


def test_a_next_review_before_1900_or_after_2999_is_refused_with_a_row_message(organisation):
    register = corporate_register_of(organisation)
    found = problems(
        register,
        [
            ["ref", "title", "next_review"],
            ["R1", "Year one", "0001-01-01"],
            ["R2", "Day before", "31/12/1899"],
            ["R3", "First day", "1900-01-01"],
            ["R4", "Last day", "31/12/2999"],
            ["R5", "Too far", "3000-01-01"],
        ],
    )
    assert found == [
        f"row 2: next_review: {AS_OF_TOO_EARLY}",
        f"row 3: next_review: {AS_OF_TOO_EARLY}",
        f"row 6: next_review: {DATE_TOO_LATE}",
    ]
    # a spreadsheet's own date cell is held to the same range
    cells = [["ref", "title", "next_review"], ["R1", "Cell", dt.date(1, 1, 1)]]
    assert problems(register, cells, "register.xlsx") == [f"row 2: next_review: {AS_OF_TOO_EARLY}"]


def test_every_bad_row_is_reported_with_its_own_row_number(organisation):
    register = corporate_register_of(organisation)
    MembershipFactory(organisation=organisation, user=UserFactory(full_name="Sam Jones"))
    MembershipFactory(organisation=organisation, user=UserFactory(full_name="Sam Jones"))
    outsider = UserFactory(email="outsider@example.test")
    CategoryFactory(organisation=organisation, name="Finance")
    found = problems(
        register,
        [
            ["Register of risks"],
            ["ref", "title", "category", "owner", "current_likelihood", "current_impact"]
            + ["target_likelihood", "response", "next_review"],
            ["R1", "Fine", "finance", "", "2", "2", "", "treat", "31/03/2027"],
            ["R2", "Bad category", "Estates", "", "", "", "", "", ""],
            ["R3", "Ambiguous owner", "", "sam jones", "", "", "", "", ""],
            ["R4", "Outsider", "", outsider.email, "", "", "", "", ""],
            ["R5", "Half a position", "", "", "2", "", "3", "", ""],
            ["R6", "Bad response", "", "", "", "", "", "Ignore it", ""],
            ["R7", "Bad date", "", "", "", "", "", "", "31/02/2027"],
            ["R8", "Not a date", "", "", "", "", "", "", "next spring"],
            ["R1", "Twice", "", "", "", "", "", "", ""],
            ["", "No ref", "", "", "", "", "", "", ""],
            ["R" + "9" * 40, "Long ref", "", "", "", "", "", "", ""],
        ],
    )
    assert found[0].startswith("row 4: category: 'Estates' is not a category here")
    assert found[1].startswith("row 5: owner: 'sam jones' is ambiguous: 2 members")
    assert found[2].startswith(f"row 6: owner: '{outsider.email}' is not a member")
    assert found[3] == "row 7: current_impact: required when current_likelihood is given"
    assert found[4] == "row 7: target_impact: required when target_likelihood is given"
    assert found[5].startswith("row 8: response: 'Ignore it' is not a response here")
    assert found[6] == "row 9: next_review: '31/02/2027' is not a real date"
    assert found[7].startswith("row 10: next_review: 'next spring' is not a date")
    assert found[8] == "row 11: ref: 'R1' is also on row 3; give each risk one row"
    assert found[9].startswith("row 12: ref: required")
    assert found[10].startswith("row 13: ref: at most 30 characters")
    assert len(found) == 11


def test_owner_by_email_or_full_name_category_and_response_case_insensitive(organisation):
    register = corporate_register_of(organisation)
    owner = MembershipFactory(
        organisation=organisation, user=UserFactory(email="cfo@example.test", full_name="Ann Lee")
    ).user
    manager = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    finance = CategoryFactory(organisation=organisation, name="Finance")
    plan = plan_for(
        register,
        [
            ["ref", "title", "owner", "manager", "category", "response", "next_review"],
            [
                "R1",
                "x",
                "ANN LEE",
                manager.email.upper(),
                " FINANCE ",
                "tolerate",
                dt.date(2027, 1, 2),
            ],
        ],
        filename="a.xlsx",
    )
    assert plan.ok, plan.problems
    import_apply(plan=plan)
    risk = Risk.objects.get(organisation=organisation, ref="R1")
    assert (risk.owner, risk.manager, risk.category) == (owner, manager, finance)
    assert risk.response == "Tolerate" and risk.next_review_due == dt.date(2027, 1, 2)


def test_a_ref_on_another_register_is_updated_where_it_is_never_moved(organisation):
    # Issue 15: an existing risk stays on its register; naming another one is a row problem
    # (tests/reporting/test_import_columns.py), naming none updates it where it is.
    school = RegisterFactory(organisation=organisation, slug="school", name="School")
    RiskFactory(register=school, ref="S1")
    plan = plan_for(corporate_register_of(organisation), [["ref", "title"], ["S1", "Moved?"]])
    assert plan.ok and [row.register for row in plan.rows] == [school]
    import_apply(plan=plan)
    risk = Risk.objects.get(ref="S1")
    assert (risk.register, risk.title) == (school, "Moved?")


def test_refs_of_another_organisation_are_not_seen(organisation, other_organisation):
    RiskFactory(register=corporate_register_of(other_organisation), ref="X1", title="Theirs")
    plan = plan_for(corporate_register_of(organisation), [["ref", "title"], ["X1", "Ours"]])
    assert plan.ok and [row.action for row in plan.rows] == ["create"]
    import_apply(plan=plan)
    assert Risk.objects.get(organisation=other_organisation, ref="X1").title == "Theirs"
    assert Risk.objects.get(organisation=organisation, ref="X1").title == "Ours"


def test_xlsx_formula_cell_is_a_row_problem_and_nothing_is_written(organisation):
    data = xlsx_bytes(
        [["ref", "title", "current_likelihood", "current_impact"], ["R1", "x", 2, 2]],
        formulas=[("D2", "=2*1")],
    )
    plan = import_plan(register=corporate_register_of(organisation), data=data, filename="f.xlsx")
    assert [str(p) for p in plan.problems] == [
        "row 2: current_impact: formulas are not accepted, paste values"
    ]
    with pytest.raises(ImportRefused):
        import_apply(plan=plan)
    assert not Risk.objects.exists()


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "empty.csv", "the file is empty"),
        (b"not a workbook", "fake.xlsx", "not an Excel workbook"),
        ("ref,title\nR1,Caf\xe9".encode("latin-1"), "latin.csv", "not UTF-8 text"),
        (b"a,b\n1,2\n", "noheader.csv", "no header row"),
    ],
)
def test_hostile_files_via_the_command_are_refused_and_change_nothing(
    organisation, tmp_path, content, filename, message
):
    path = tmp_path / filename
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run("import_register", str(path), "--org", organisation.slug, "--register", "corporate")
    assert not Risk.objects.exists()


def test_command_refuses_big_files_bad_extensions_and_unknown_names(
    organisation, tmp_path, settings
):
    settings.RISKREG_MAX_UPLOAD_BYTES = 50
    big = tmp_path / "big.csv"
    big.write_bytes(b"ref,title\n" + b"R1,a risk with a long title\n" * 10)
    args = ["--org", organisation.slug, "--register", "corporate"]
    with pytest.raises(CommandError, match="the largest file accepted is 50 bytes"):
        run("import_register", str(big), *args)
    with pytest.raises(CommandError, match="not a spreadsheet we can import"):
        run("import_register", str(tmp_path / "notes.txt"), *args)
    with pytest.raises(CommandError, match="no such file"):
        run("import_register", str(tmp_path / "missing.csv"), *args)
    with pytest.raises(CommandError, match="has no register 'nope'"):
        run("import_register", str(big), "--org", organisation.slug, "--register", "nope")
    with pytest.raises(CommandError, match="unknown organisation"):
        run("import_register", str(big), "--org", "nope", "--register", "corporate")


def test_unknown_columns_are_reported_as_a_note(organisation, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_bytes(csv_bytes([["ref", "title", "RAG status"], ["R1", "x", "red"]]))
    out, _ = run(
        "import_register", str(path), "--org", organisation.slug, "--register", "corporate"
    )
    assert "note: These columns are not ones we import and were left out: 'RAG status'" in out
    assert Risk.objects.filter(ref="R1").exists()


def test_apostrophe_guard_from_an_export_is_taken_off(organisation):
    plan = plan_for(
        corporate_register_of(organisation), [["ref", "title"], ["R1", "'=not a formula"]]
    )
    import_apply(plan=plan)
    assert Risk.objects.get(ref="R1").title == "=not a formula"


def test_actions_added_after_existing_ones(organisation):
    register = corporate_register_of(organisation)
    risk = RiskFactory(register=register, ref="R1")
    plan = plan_for(register, [["ref", "title", "actions"], ["R1", "", "One\n\n• Two\nOne"]])
    assert plan.updated[0].actions == ["One", "Two"]
    import_apply(plan=plan)
    assert list(Action.objects.filter(risk=risk).values_list("description", flat=True)) == [
        "One",
        "Two",
    ]
