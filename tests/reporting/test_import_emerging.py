"""The ``emerging`` column (issue 16): export writes yes or no; import reads yes/no (blank leaves
the risk as it is, a new risk not emerging), says what changes, refuses anything else as a row
problem; an export imported again unchanged changes nothing."""

import csv
import io

import pytest

from registers.models import Risk
from reporting.spreadsheets.columns import COLUMN_HELP, EXPORT_COLUMNS, IMPORT_COLUMNS
from reporting.spreadsheets.exporting import register_export, to_csv, to_xlsx
from reporting.spreadsheets.importing import EMERGING_YES_NO, import_apply, import_plan
from tests.factories import RiskFactory, corporate_register_of
from tests.reporting.conftest import csv_bytes

pytestmark = pytest.mark.django_db


def plan_for(register, rows):
    return import_plan(register=register, data=csv_bytes(rows), filename="f.csv")


def test_column_is_read_and_written():
    assert "emerging" in IMPORT_COLUMNS and "emerging" in EXPORT_COLUMNS
    assert "yes or no" in COLUMN_HELP["emerging"]


def test_export_writes_yes_or_no_and_reimports_unchanged(organisation):
    register = corporate_register_of(organisation)
    RiskFactory(register=register, ref="EM1", emerging=True, positions={})
    RiskFactory(register=register, ref="EM2")
    export = register_export(register=register)
    rows = {
        row["ref"]: row for row in csv.DictReader(io.StringIO(to_csv(export).decode("utf-8-sig")))
    }
    assert rows["EM1"]["emerging"] == "yes" and rows["EM2"]["emerging"] == "no"
    before = Risk.history.count()
    for data, filename in ((to_csv(export), "r.csv"), (to_xlsx(export), "r.xlsx")):
        plan = import_plan(register=register, data=data, filename=filename)
        assert plan.ok and plan.summary == "created 0, updated 0, unchanged 2", plan.problems
        import_apply(plan=plan)
    assert Risk.history.count() == before


def test_import_creates_sets_and_clears_the_flag(organisation):
    register = corporate_register_of(organisation)
    RiskFactory(register=register, ref="EM3")
    RiskFactory(register=register, ref="EM4", emerging=True)
    plan = plan_for(
        register,
        [
            ["ref", "title", "emerging"],
            ["EM3", "", "Yes"],
            ["EM4", "", "no"],
            ["EM5", "New and emerging", "y"],
            ["EM6", "New, not said", ""],
        ],
    )
    assert plan.ok, plan.problems
    changes = {row.ref: [(c.column, c.old, c.new) for c in row.changes] for row in plan.rows}
    assert changes["EM3"] == [("emerging", "no", "yes")]
    assert changes["EM4"] == [("emerging", "yes", "no")]
    import_apply(plan=plan)
    flags = dict(Risk.objects.filter(organisation=organisation).values_list("ref", "emerging"))
    assert flags == {"EM3": True, "EM4": False, "EM5": True, "EM6": False}


def test_blank_leaves_the_flag_and_a_bad_value_is_a_row_problem(organisation):
    register = corporate_register_of(organisation)
    RiskFactory(register=register, ref="EM7", emerging=True)
    plan = plan_for(register, [["ref", "title", "emerging"], ["EM7", "", ""]])
    assert plan.ok and plan.summary == "created 0, updated 0, unchanged 1"
    plan = plan_for(register, [["ref", "title", "emerging"], ["EM7", "", "perhaps"]])
    assert [str(problem) for problem in plan.problems] == [
        "row 2: emerging: " + EMERGING_YES_NO.format(text="perhaps")
    ]
