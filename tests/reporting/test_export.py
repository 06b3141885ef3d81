"""Export: the import columns plus the product's own, formula injection neutralised, the register
as it stood at a past moment from history, and a query count that does not grow with the register."""

import csv
import datetime as dt
import io
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from appetite.models import AppetiteStatement
from appetite.services import appetite_statement_set
from registers.models import Control, Risk
from registers.services.risks import control_add, risk_close, risk_update
from reporting.spreadsheets.columns import EXPORT_COLUMNS
from reporting.spreadsheets.exporting import parse_as_of, register_export, to_csv, to_xlsx
from reporting.spreadsheets.importing import import_apply, import_plan
from tests.factories import (
    ActionFactory,
    CategoryFactory,
    ControlFactory,
    MembershipFactory,
    RiskFactory,
    corporate_register_of,
)

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def rows_of(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_export_columns_and_values(organisation):
    register = corporate_register_of(organisation)
    finance = CategoryFactory(organisation=organisation, name="Finance")
    appetite_statement_set(organisation=organisation, category=finance, tolerance=10)
    owner = MembershipFactory(organisation=organisation).user
    risk = RiskFactory(
        register=register,
        ref="CRR1",
        title="Funding gap",
        category=finance,
        owner=owner,
        positions={"inherent": (5, 5), "current": (4, 4), "target": (2, 2)},
        next_review_due=dt.date(2027, 3, 31),
        response="Treat",
    )
    ControlFactory(risk=risk, description="Budget monitoring", position=0)
    ControlFactory(risk=risk, description="Reserves policy", position=1)
    ActionFactory(risk=risk, description="Lobby for funding")
    (row,) = rows_of(to_csv(register_export(register=register)))
    assert list(row) == list(EXPORT_COLUMNS)
    for column in ("current_score", "current_band", "tolerance", "breach", "next_review", "trend"):
        assert column in row
    assert row["ref"] == "CRR1" and row["category"] == "Finance" and row["owner"] == owner.email
    assert (row["inherent_likelihood"], row["current_likelihood"], row["current_impact"]) == (
        "5",
        "4",
        "4",
    )
    assert (row["current_score"], row["current_band"], row["tolerance"], row["breach"]) == (
        "16",
        "High",
        "10",
        "yes",
    )
    assert row["next_review"] == "2027-03-31" and row["trend"] == "new"
    assert row["controls"] == "Budget monitoring\nReserves policy"
    assert row["actions"] == "Lobby for funding"
    assert row["status"] == "Open"


def test_closed_risks_are_not_in_breach_and_trend_closed(organisation):
    appetite_statement_set(organisation=organisation, tolerance=5)
    risk = RiskFactory(
        register=corporate_register_of(organisation), ref="R1", positions={"current": (5, 5)}
    )
    risk_close(risk=risk, expected_version=1, reason="mitigated")
    (row,) = rows_of(to_csv(register_export(register=corporate_register_of(organisation))))
    assert (row["breach"], row["trend"], row["tolerance"]) == ("no", "closed", "5")


def test_formula_injection_is_neutralised_in_csv_and_xlsx(organisation):
    risk = RiskFactory(
        register=corporate_register_of(organisation),
        ref="R1",
        title='=HYPERLINK("http://evil.example","click")',
        description="+44 20 7946 0000",
    )
    ControlFactory(risk=risk, description="@SUM(A1)")
    ActionFactory(risk=risk, description="-2 staff")
    export = register_export(register=corporate_register_of(organisation))
    (row,) = rows_of(to_csv(export))
    assert row["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["description"] == "'+44 20 7946 0000"
    assert row["controls"] == "'@SUM(A1)" and row["actions"] == "'-2 staff"
    sheet = load_workbook(io.BytesIO(to_xlsx(export))).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    title = sheet.cell(row=2, column=header.index("title") + 1)
    assert title.data_type == "s" and title.value.startswith("'=HYPERLINK")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_xlsx_export_round_trips_through_import_unchanged(organisation):
    register = corporate_register_of(organisation)
    risk = RiskFactory(
        register=register, ref="R1", title="=odd title", next_review_due=dt.date(2027, 1, 2)
    )
    ControlFactory(risk=risk, description="A control")
    data = to_xlsx(register_export(register=register))
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=header.index("next_review") + 1).is_date
    plan = import_plan(register=register, data=data, filename="export.xlsx")
    assert plan.ok and plan.summary == "created 0, updated 0, unchanged 1", plan.problems
    csv_plan = import_plan(
        register=register, data=to_csv(register_export(register=register)), filename="e.csv"
    )
    assert csv_plan.ok and csv_plan.summary == "created 0, updated 0, unchanged 1"
    import_apply(plan=plan)
    assert Risk.objects.get(pk=risk.pk).version == 1


def test_as_of_exports_the_register_as_it_stood_then(organisation):
    register = corporate_register_of(organisation)
    january = dt.datetime(2026, 1, 10, 12, tzinfo=LONDON)
    february = dt.datetime(2026, 2, 10, 12, tzinfo=LONDON)
    statement = appetite_statement_set(organisation=organisation, tolerance=10)
    AppetiteStatement.history.update(history_date=january)
    risk = RiskFactory(register=register, ref="R1", title="Old", positions={"current": (2, 2)})
    control_add(risk=risk, description="First control")
    Risk.history.update(history_date=january)
    Control.history.update(history_date=january)
    risk = risk_update(
        risk=risk, expected_version=1, fields={"title": "New"}, positions={"current": (5, 5)}
    )
    control_add(risk=risk, description="Second control")
    RiskFactory(register=register, ref="R2", title="Added later")
    Risk.history.filter(history_date__gt=january).update(history_date=february)
    Control.history.filter(history_date__gt=january).update(history_date=february)
    appetite_statement_set(organisation=organisation, tolerance=20)
    assert statement.pk

    then = rows_of(
        to_csv(
            register_export(
                register=register, as_of=parse_as_of("2026-01-31", organisation=organisation)
            )
        )
    )
    assert [(r["ref"], r["title"], r["current_score"], r["controls"]) for r in then] == [
        ("R1", "Old", "4", "First control")
    ]
    assert then[0]["tolerance"] == "10" and then[0]["breach"] == "no"
    assert then[0]["trend"] == "new"  # it did not exist at the end of December

    later = rows_of(
        to_csv(
            register_export(
                register=register, as_of=parse_as_of("30/04/2026", organisation=organisation)
            )
        )
    )
    assert [(r["ref"], r["title"], r["current_score"]) for r in later] == [
        ("R1", "New", "25"),
        ("R2", "Added later", "12"),
    ]
    assert later[0]["controls"] == "First control\nSecond control"
    assert later[0]["trend"] == "level"  # 25 at the end of March and at the end of April
    assert later[0]["breach"] == "yes"  # above the tolerance of 10 it had in April

    before_anything = register_export(
        register=register, as_of=dt.datetime(2025, 6, 1, tzinfo=LONDON)
    )
    assert before_anything.rows == []


def test_parse_as_of():
    organisation = type("Org", (), {"timezone": "Europe/London"})
    end_of_march = dt.datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=LONDON)
    assert parse_as_of("2026-03-31", organisation=organisation) == end_of_march
    assert parse_as_of("31/03/2026", organisation=organisation) == end_of_march
    assert parse_as_of("2026-01-15T12:00", organisation=organisation) == dt.datetime(
        2026, 1, 15, 12, tzinfo=LONDON
    )
    assert parse_as_of("2026-01-15T12:00+00:00", organisation=organisation) == dt.datetime(
        2026, 1, 15, 12, tzinfo=dt.UTC
    )
    for bad in ("2026-13-01", "yesterday", "31/02/2026"):
        with pytest.raises(ValueError, match="not a date"):
            parse_as_of(bad, organisation=organisation)
    future = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    with pytest.raises(ValueError, match="in the future"):
        parse_as_of(future, organisation=organisation)


def test_export_query_count_does_not_grow_with_the_register(organisation, other_organisation):
    def fill(org, count):
        register = corporate_register_of(org)
        owner = MembershipFactory(organisation=org).user
        category = CategoryFactory(organisation=org)
        for n in range(count):
            risk = RiskFactory(
                register=register, ref=f"R{n}", owner=owner, manager=owner, category=category
            )
            ControlFactory(risk=risk)
            ActionFactory(risk=risk)
        return register

    small, large = fill(organisation, 3), fill(other_organisation, 30)
    with CaptureQueriesContext(connection) as small_queries:
        to_xlsx(register_export(register=small))
    with CaptureQueriesContext(connection) as large_queries:
        assert len(to_csv(register_export(register=large)).splitlines()) >= 31
    # 8, and one for the indicators and their readings (issue 18), whatever their number
    assert len(large_queries) == len(small_queries) <= 9


# --- the command -------------------------------------------------------------------------------


class Terminal(StringIO):
    def isatty(self):
        return True


def export(*args, stdout=None):
    out = stdout or StringIO()
    call_command("export_register", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_command_writes_csv_to_stdout_and_xlsx_to_a_file(organisation, tmp_path):
    RiskFactory(register=corporate_register_of(organisation), ref="R1", title="Fire")
    args = ["--org", organisation.slug, "--register", "corporate"]
    text = export(*args, "--format", "csv")
    assert text.startswith("ref,title,") and "R1,Fire" in text
    out = tmp_path / "register.xlsx"
    assert "wrote 1 risks" in export(*args, "--format", "xlsx", "--out", str(out))
    sheet = load_workbook(out, read_only=True).worksheets[0]
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:2] == ["ref", "title"]
    csv_out = tmp_path / "register.csv"
    export(
        *args, "--format", "csv", "--out", str(csv_out), "--as-of", timezone.localdate().isoformat()
    )
    assert "R1" in csv_out.read_text(encoding="utf-8-sig")


def test_command_refusals(organisation, tmp_path):
    args = ["--org", organisation.slug, "--register", "corporate"]
    with pytest.raises(CommandError, match="not for a terminal"):
        export(*args, "--format", "xlsx", stdout=Terminal())
    with pytest.raises(CommandError, match="should end .xlsx"):
        export(*args, "--format", "xlsx", "--out", str(tmp_path / "a.csv"))
    with pytest.raises(CommandError, match="--as-of: 'soon' is not a date"):
        export(*args, "--format", "csv", "--as-of", "soon")
    with pytest.raises(CommandError, match="has no register 'nope'"):
        export("--org", organisation.slug, "--register", "nope", "--format", "csv")
    with pytest.raises(CommandError, match="unknown organisation"):
        export("--org", "nope", "--register", "corporate", "--format", "csv")
    with pytest.raises(CommandError, match="invalid choice"):
        export(*args, "--format", "pdf")


def test_text_excel_could_split_at_a_semicolon_is_quoted_and_reads_back(organisation):
    """Excel set to a ";" list separator split an unquoted cell at each ";" and ran the pieces as
    formulas: every cell but the bare ones (names, refs, numbers, dates) is quoted now, and the
    import reads it back unchanged (decision 122)."""
    register = corporate_register_of(organisation)
    risk = RiskFactory(
        register=register,
        ref="R1",
        title="Flood risk;=1+1;@SUM(2+2)",
        description='Rain; "heavy"\nfor days',
        positions={"current": (3, 4)},
    )
    data = to_csv(register_export(register=register))
    header, line = data.decode("utf-8-sig").split("\r\n", 2)[:2]
    assert header.startswith("ref,title,description,")  # names are bare: as before
    assert line.startswith('R1,"Flood risk;=1+1;@SUM(2+2)","Rain; ""heavy""\n')
    assert ",3,4," in line  # numbers bare
    (row,) = rows_of(data)
    assert row["title"] == "Flood risk;=1+1;@SUM(2+2)"
    plan = import_plan(register=register, data=data, filename="e.csv")
    assert plan.ok and plan.summary == "created 0, updated 0, unchanged 1", plan.problems
    import_apply(plan=plan)
    assert Risk.objects.get(pk=risk.pk).version == 1


def test_a_title_stored_with_windows_line_endings_imports_back_unchanged(organisation):
    """The API took a title over two lines with CR LF before the one-line rule (decision 122).
    A cell reads CR LF as LF, so the import compared 'A\\nB' with 'A\\r\\nB', took it for a new
    title and refused it as not one line: the register's own export failed to import, every row
    of it (all or nothing)."""
    register = corporate_register_of(organisation)
    risk = RiskFactory(register=register, ref="R1", title="Old title")
    Risk.objects.filter(pk=risk.pk).update(title="Flooding at\r\nthe depot")
    RiskFactory(register=register, ref="R2", title="Another")
    for data, filename in (
        (to_xlsx(register_export(register=register)), "export.xlsx"),
        (to_csv(register_export(register=register)), "export.csv"),
    ):
        plan = import_plan(register=register, data=data, filename=filename)
        assert plan.ok, [str(problem) for problem in plan.problems]
        assert plan.summary == "created 0, updated 0, unchanged 2", filename
        import_apply(plan=plan)
    stored = Risk.objects.get(pk=risk.pk)
    assert stored.title == "Flooding at\r\nthe depot" and stored.version == 1
