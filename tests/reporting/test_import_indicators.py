"""Key risk indicators and their readings in the spreadsheet import and export (issue 18): the
``indicators`` and ``readings`` sheets, their problems, all or nothing with the other sheets, no
duplicate readings, a round trip, the template and the browser's preview."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from registers.models import (
    Indicator,
    IndicatorDirection,
    IndicatorReading,
    Marking,
    Risk,
    Role,
)
from registers.permissions import OrganisationAccess, membership_sync
from registers.services.indicators import (
    INDICATOR_RETIRED,
    READING_IN_FUTURE,
    READING_VALUE_REQUIRED,
    THRESHOLDS_ORDER_BETTER,
    THRESHOLDS_ORDER_WORSE,
    indicator_add,
    indicator_retire,
    indicator_update,
    reading_record,
)
from registers.withholding import WITHHELD_SHORT
from reporting.models import ImportJob, ImportJobStatus
from reporting.spreadsheets.exporting import register_export, to_xlsx
from reporting.spreadsheets.importing import ImportRefused, import_apply, import_plan, plan_lines
from reporting.spreadsheets.indicator_sheets import (
    INDICATOR_COLUMNS,
    INDICATOR_TWICE,
    NO_SUCH_CHOICE,
    NOT_A_NUMBER,
    NOT_ON_MAIN_SHEET,
    READING_COLUMNS,
    READING_TWICE,
    THRESHOLD_REQUIRED,
    TOO_PRECISE,
    UNKNOWN_INDICATOR,
    preview_rows,
)
from reporting.spreadsheets.reading import INDICATORS_NEED_WORKBOOK, SpreadsheetError
from reporting.spreadsheets.tasks import import_check_task, import_write_task
from reporting.spreadsheets.template import import_template
from tests.factories import MembershipFactory, RiskFactory
from tests.queries import assert_same_queries
from tests.reporting.test_import_template import listed, validations

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY1 = TODAY - dt.timedelta(days=60)
DAY2 = TODAY - dt.timedelta(days=30)


def workbook(main, *, indicators=None, readings=None, controls=None) -> bytes:
    """A workbook: the main sheet's rows, then the second sheets given (header row first)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Register"
    for row in main:
        sheet.append(row)
    for name, rows in (("controls", controls), ("indicators", indicators), ("readings", readings)):
        if rows is None:
            continue
        second = book.create_sheet(name)
        for row in rows:
            second.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def problems(plan) -> list[str]:
    return [str(problem) for problem in plan.problems]


@pytest.fixture
def owner(organisation):
    return MembershipFactory(organisation=organisation, user__email="kim@example.org").user


@pytest.fixture
def risk(corporate_register, owner):
    return RiskFactory(register=corporate_register, ref="R1", title="Cyber", owner=owner)


@pytest.fixture
def indicator(risk, owner):
    found = indicator_add(
        user=None,
        risk=risk,
        name="Phishing clicks",
        unit="%",
        amber_from=D("5"),
        red_from=D("10"),
        frequency="monthly",
        owner=owner,
    )
    reading_record(user=owner, indicator=found, taken_on=DAY1, value=D("4.5"), note="first")
    return found


def history_counts() -> dict[str, int]:
    return {model.__name__: model.history.count() for model in (Indicator, IndicatorReading)}


# --- adding and changing -----------------------------------------------------------------------


def test_new_indicators_and_readings_are_added_with_a_new_risk(corporate_register, owner):
    data = workbook(
        [["ref", "title"], ["N1", "New risk"]],
        indicators=[
            ["Ref", "Indicator name", "unit", "direction", "amber", "red", "frequency", "owner"],
            [
                "N1",
                "Staff turnover",
                "%",
                "Higher is worse",
                8,
                12.5,
                "Quarterly",
                "kim@example.org",
            ],
            ["N1", "Uptime", "%", "higher is better", 99.5, 99, "", ""],
        ],
        readings=[
            ["ref", "indicator", "date", "value", "note"],
            ["N1", "staff  TURNOVER", DAY1, 7, "below amber"],
            ["N1", "Staff turnover", DAY2.strftime("%d/%m/%Y"), "13.25", ""],
            ["N1", "Uptime", DAY2.isoformat(), 99.95, ""],
        ],
    )
    plan = import_plan(register=corporate_register, data=data, filename="kri.xlsx")
    assert problems(plan) == []
    assert plan.summary == (
        "created 1, updated 0, unchanged 0; indicators added 2, changed 0; "
        "readings added 3, changed 0"
    )
    assert "readings row 3: reading to add: N1 Staff turnover " in "\n".join(
        plan_lines(plan, dry_run=True)
    )
    import_apply(plan=plan)
    risk = Risk.objects.get(ref="N1")
    turnover, uptime = risk.indicators.order_by("position")
    assert (turnover.name, turnover.unit, turnover.frequency, turnover.owner) == (
        "Staff turnover",
        "%",
        "quarterly",
        owner,
    )
    assert (turnover.amber_from, turnover.red_from) == (D("8"), D("12.5"))
    assert (uptime.direction, uptime.frequency) == (IndicatorDirection.HIGHER_IS_BETTER, "monthly")
    assert list(
        turnover.readings.order_by("taken_on").values_list("taken_on", "value", "note")
    ) == [
        (DAY1, D("7"), "below amber"),
        (DAY2, D("13.25"), ""),
    ]
    assert uptime.readings.get().value == D("99.95")
    record = turnover.history.get()
    assert record.history_change_reason == "imported from kri.xlsx"


def test_an_existing_indicator_is_updated_and_readings_are_not_duplicated(
    corporate_register, risk, indicator, owner
):
    before = history_counts()
    data = workbook(
        [["ref", "title"], ["R1", ""]],
        indicators=[
            list(INDICATOR_COLUMNS),
            ["R1", "phishing clicks", "", "%", "", 6, 10, "Monthly", "kim@example.org"],
        ],
        readings=[
            list(READING_COLUMNS),
            ["R1", "Phishing clicks", DAY1, 4.5, ""],  # as stored (a blank note keeps it)
            ["R1", "Phishing clicks", DAY2, 7, "second"],
        ],
    )
    plan = import_plan(register=corporate_register, data=data, filename="kri.xlsx")
    assert problems(plan) == []
    assert plan.summary == (
        "created 0, updated 0, unchanged 1; indicators added 0, changed 1; "
        "readings added 1, changed 0"
    )
    change = plan.indicators.indicators[0].changes
    assert [(c.column, c.old, c.new) for c in change] == [
        ("indicator 'Phishing clicks': amber from", "5", "6")
    ]
    import_apply(plan=plan)
    indicator.refresh_from_db()
    assert (indicator.amber_from, indicator.version) == (D("6"), 2)
    assert list(indicator.readings.order_by("taken_on").values_list("value", "note")) == [
        (D("4.5"), "first"),
        (D("7"), "second"),
    ]
    after = history_counts()
    assert after == {
        "Indicator": before["Indicator"] + 1,
        "IndicatorReading": before["IndicatorReading"] + 1,  # none for the unchanged one
    }
    # The same file again changes nothing.
    again = import_plan(register=corporate_register, data=data, filename="kri.xlsx")
    assert again.ok and again.indicators.writes == 0
    assert again.summary == "created 0, updated 0, unchanged 1"
    import_apply(plan=again)
    assert history_counts() == after
    assert indicator.readings.count() == 2


def test_a_changed_value_on_a_day_replaces_that_days_reading_with_history(
    corporate_register, risk, indicator
):
    data = workbook(
        [["ref", "title"], ["R1", ""]],
        readings=[list(READING_COLUMNS), ["R1", "Phishing clicks", DAY1, 6, ""]],
    )
    plan = import_plan(register=corporate_register, data=data, filename="fix.xlsx")
    assert plan.ok and plan.summary.endswith("readings added 0, changed 1")
    import_apply(plan=plan)
    reading = indicator.readings.get()  # still one reading that day
    assert (reading.value, reading.note) == (D("6"), "first")
    old, new = reading.history.order_by("history_date")
    assert (old.value, new.value) == (D("4.5"), D("6"))
    assert new.history_change_reason == (
        "imported from fix.xlsx: replaced by a reading the same day"
    )


# --- problems ----------------------------------------------------------------------------------


def test_each_problem_is_reported_by_sheet_row_and_column(corporate_register, risk, indicator):
    retired = indicator_add(user=None, risk=risk, name="Old", amber_from=D(1), red_from=D(2))
    indicator_retire(user=None, indicator=retired)
    future = TODAY + dt.timedelta(days=1)
    data = workbook(
        [["ref", "title"], ["R1", ""], ["N1", "New"]],
        indicators=[
            list(INDICATOR_COLUMNS),
            ["R9", "Lost", "", "", "", 1, 2, "", ""],
            ["R1", "Worse", "", "", "Higher is worse", 10, 5, "", ""],
            ["R1", "Better", "", "", "Higher is better", 5, 10, "", ""],
            ["R1", "Phishing clicks", "", "", "", "", 3, "", ""],  # amber 5 > red 3
            ["R1", "phishing clicks", "", "", "", "", "", "", ""],
            ["N1", "Fresh", "", "", "sideways", "lots", "", "daily", ""],
            ["R1", "Old", "", "", "", "", "", "", ""],
        ],
        readings=[
            list(READING_COLUMNS),
            ["R1", "Phishing clicks", "31/02/2026", 3, ""],
            ["R1", "Phishing clicks", DAY1 - dt.timedelta(days=1), "n/a", ""],
            ["R7", "Phishing clicks", DAY2, 3, ""],
            ["R1", "Unknown", DAY2, 3, ""],
            ["R1", "Phishing clicks", future, 3, ""],
            ["R1", "Phishing clicks", DAY1, "", ""],
            ["R1", "Phishing clicks", DAY1 - dt.timedelta(days=2), 1.2345, ""],
            ["R1", "Phishing clicks", DAY2, 3, ""],
            ["R1", "PHISHING CLICKS", DAY2.strftime("%d/%m/%Y"), 4, ""],
            ["R1", "Old", DAY2, 3, ""],
        ],
    )
    plan = import_plan(register=corporate_register, data=data, filename="bad.xlsx")
    assert problems(plan) == [
        "indicators row 2: ref: " + NOT_ON_MAIN_SHEET.format(ref="R9"),
        "indicators row 3: red_from: " + THRESHOLDS_ORDER_WORSE.format(amber=10, red=5),
        "indicators row 4: red_from: " + THRESHOLDS_ORDER_BETTER.format(amber=5, red=10),
        "indicators row 5: red_from: " + THRESHOLDS_ORDER_WORSE.format(amber="5.000", red=3),
        "indicators row 6: indicator: "
        + INDICATOR_TWICE.format(name="phishing clicks", ref="R1", row=5),
        "indicators row 7: direction: "
        + NO_SUCH_CHOICE.format(
            text="sideways", what="direction", known="Higher is worse, Higher is better"
        ),
        "indicators row 7: frequency: "
        + NO_SUCH_CHOICE.format(
            text="daily",
            what="frequency",
            known="Weekly, Monthly, Quarterly, Every six months, Yearly",
        ),
        "indicators row 7: amber_from: " + NOT_A_NUMBER.format(text="lots"),
        "indicators row 7: red_from: " + THRESHOLD_REQUIRED,
        "indicators row 8: indicator: " + INDICATOR_RETIRED,
        "readings row 2: date: '31/02/2026' is not a real date",
        "readings row 3: value: " + NOT_A_NUMBER.format(text="n/a"),
        "readings row 4: ref: " + NOT_ON_MAIN_SHEET.format(ref="R7"),
        "readings row 5: indicator: "
        + UNKNOWN_INDICATOR.format(ref="R1", name="Unknown", known="Phishing clicks"),
        "readings row 6: date: " + READING_IN_FUTURE,
        "readings row 7: value: " + READING_VALUE_REQUIRED,
        "readings row 8: value: " + TOO_PRECISE.format(text="1.2345", places=3),
        "readings row 10: date: "
        + READING_TWICE.format(
            name="PHISHING CLICKS", ref="R1", day=DAY2.strftime("%d/%m/%Y"), row=9
        ),
        "readings row 11: indicator: " + INDICATOR_RETIRED,
    ]
    with pytest.raises(ImportRefused):
        import_apply(plan=plan)


def test_one_bad_reading_refuses_every_sheet(corporate_register, risk, indicator):
    before = history_counts()
    data = workbook(
        [["ref", "title"], ["R1", "Changed title"], ["N1", "New risk"]],
        controls=[["ref", "description"], ["R1", "New control"]],
        indicators=[list(INDICATOR_COLUMNS), ["N1", "Fresh", "", "", "", 1, 2, "", ""]],
        readings=[
            list(READING_COLUMNS),
            ["R1", "Phishing clicks", DAY2, 3, ""],
            ["N1", "Fresh", DAY2, "three", ""],
        ],
    )
    plan = import_plan(register=corporate_register, data=data, filename="bad.xlsx")
    assert problems(plan) == ["readings row 3: value: " + NOT_A_NUMBER.format(text="three")]
    with pytest.raises(ImportRefused):
        import_apply(plan=plan)
    risk.refresh_from_db()
    assert risk.title == "Cyber" and not risk.controls.exists()
    assert not Risk.objects.filter(ref="N1").exists()
    assert history_counts() == before and indicator.readings.count() == 1


def test_an_indicator_changed_after_the_check_refuses_the_whole_import(
    corporate_register, risk, indicator
):
    data = workbook(
        [["ref", "title"], ["R1", "Changed title"]],
        indicators=[list(INDICATOR_COLUMNS), ["R1", "Phishing clicks", "", "", "", 4, "", "", ""]],
        readings=[list(READING_COLUMNS), ["R1", "Phishing clicks", DAY2, 3, ""]],
    )
    plan = import_plan(register=corporate_register, data=data, filename="late.xlsx")
    assert plan.ok
    indicator_update(user=None, indicator=indicator, red_from=D("20"))
    with pytest.raises(ImportRefused) as refused:
        import_apply(plan=plan)
    assert refused.value.stale
    risk.refresh_from_db()
    assert risk.title == "Cyber" and indicator.readings.count() == 1


# --- speed -------------------------------------------------------------------------------------


def test_queries_do_not_grow_with_the_readings(corporate_register, owner):
    risks = [RiskFactory(register=corporate_register, ref=f"Q{n}", title=f"Q{n}") for n in range(2)]
    for each in risks:
        indicator_add(user=None, risk=each, name="Count", amber_from=D(1), red_from=D(2))

    def run(ref: str, count: int) -> int:
        data = workbook(
            [["ref", "title"], [ref, ""]],
            readings=[list(READING_COLUMNS)]
            + [["" + ref, "Count", TODAY - dt.timedelta(days=n), n, ""] for n in range(count)],
        )
        with CaptureQueriesContext(connection) as captured:
            plan = import_plan(register=corporate_register, data=data, filename="q.xlsx")
            import_apply(plan=plan)
        assert plan.indicators.readings_added == count
        return len(captured)

    small, large = run("Q0", 3), run("Q1", 300)
    assert small == large, (small, large)
    assert IndicatorReading.objects.count() == 303


# --- export, round trip, withholding -----------------------------------------------------------


def test_the_export_writes_both_sheets_and_imports_again_unchanged(
    corporate_register, risk, indicator
):
    reading_record(user=None, indicator=indicator, taken_on=DAY2, value=D("12.125"), note="=bad")
    retired = indicator_add(user=None, risk=risk, name="Gone", amber_from=D(1), red_from=D(2))
    indicator_retire(user=None, indicator=retired)
    data = to_xlsx(register_export(register=corporate_register))
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == [
        "Register",
        "controls",
        "actions",
        "indicators",
        "readings",
        "About",
    ]
    rows = [[cell.value for cell in row] for row in book["indicators"].iter_rows()]
    assert rows == [
        list(INDICATOR_COLUMNS),
        [
            "R1",
            "Phishing clicks",
            None,
            "%",
            "Higher is worse",
            5,
            10,
            "Monthly",
            "kim@example.org",
        ],
    ]
    rows = [[cell.value for cell in row] for row in book["readings"].iter_rows()]
    assert rows == [
        list(READING_COLUMNS),
        ["R1", "Phishing clicks", dt.datetime.combine(DAY1, dt.time()), 4.5, "first"],
        ["R1", "Phishing clicks", dt.datetime.combine(DAY2, dt.time()), 12.125, "'=bad"],
    ]
    before = history_counts()
    plan = import_plan(register=corporate_register, data=data, filename="again.xlsx")
    assert plan.ok and plan.notes == []
    assert plan.summary == "created 0, updated 0, unchanged 1"
    assert plan.indicators.readings_unchanged == 2 and plan.indicators.indicators_unchanged == 1
    import_apply(plan=plan)
    assert history_counts() == before


def test_an_export_as_it_stood_has_the_indicators_as_they_stood(
    corporate_register, risk, indicator
):
    moment = timezone.now()
    indicator_update(user=None, indicator=indicator, amber_from=D("7"))
    reading_record(user=None, indicator=indicator, taken_on=DAY2, value=D("8"))
    then = register_export(register=corporate_register, as_of=moment)
    assert then.second_sheets["indicators"][1][5] == D("5")
    assert [row[2] for row in then.second_sheets["readings"][1:]] == [DAY1]


def test_withheld_risks_have_no_indicator_rows_and_the_preview_withholds_them(
    corporate_register, risk, indicator
):
    other = RiskFactory(register=corporate_register, ref="R2", title="Other")
    indicator_add(user=None, risk=other, name="Seen", amber_from=D(1), red_from=D(2))

    class Access:  # a member not cleared for R1's detail
        def can_see_sensitive(self, risk):
            return risk.ref != "R1"

    export = register_export(register=corporate_register, access=Access())
    assert [row[:2] for row in export.second_sheets["indicators"][1:]] == [["R2", "Seen"]]
    assert export.second_sheets["readings"][1:] == []
    data = workbook(
        [["ref", "title"], ["R1", ""], ["R2", ""]],
        readings=[
            list(READING_COLUMNS),
            ["R1", "Phishing clicks", DAY2, 3, ""],
            ["R2", "Seen", DAY2, 3, ""],
        ],
    )
    plan = import_plan(register=corporate_register, data=data, filename="r.xlsx")
    shown = preview_rows(plan, can_see=Access().can_see_sensitive)
    assert [(row["where"], row["what"], row["new"]) for row in shown] == [
        ("readings row 2", WITHHELD_SHORT, ""),
        ("readings row 3", f"reading of Seen on {DAY2.strftime('%d/%m/%Y')}", "3"),
    ]


def test_the_template_has_both_sheets_with_drop_downs(organisation, owner):
    register = organisation.registers.get(slug="corporate")
    book = load_workbook(io.BytesIO(import_template(register=register)))
    assert [cell.value for cell in book["indicators"][1]] == list(INDICATOR_COLUMNS)
    assert [cell.value for cell in book["readings"][1]] == list(READING_COLUMNS)
    checks = validations(book["indicators"])
    assert listed(book, checks["direction"]) == ["Higher is worse", "Higher is better"]
    assert listed(book, checks["frequency"]) == [
        "Weekly",
        "Monthly",
        "Quarterly",
        "Every six months",
        "Yearly",
    ]
    assert owner.email in listed(book, checks["owner"])
    assert checks["amber_from"].type == "decimal"
    readings = validations(book["readings"])
    assert (readings["date"].type, readings["value"].type) == ("date", "decimal")
    about = [row[0].value for row in book["About"].iter_rows()]
    assert "readings: value" in about and "indicators: direction" in about


# --- in the browser ----------------------------------------------------------------------------


def test_the_preview_counts_indicators_and_readings_and_confirms(
    client, organisation, corporate_register, risk, indicator
):
    membership = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    membership_sync(membership)
    client.force_login(membership.user)
    data = workbook(
        [["ref", "title"], ["R1", ""]],
        indicators=[list(INDICATOR_COLUMNS), ["R1", "Uptime", "", "%", "Higher is better", 99, 98]],
        readings=[
            list(READING_COLUMNS),
            ["R1", "Uptime", DAY2, 99.5, ""],
            ["R1", "Phishing clicks", DAY1, 4, ""],
        ],
    )
    response = client.post(
        reverse("register_import", args=[organisation.slug, "corporate"]),
        {"file": SimpleUploadedFile("kri.xlsx", data)},
    )
    assert response.status_code == 302
    preview = client.get(response.url)
    text = preview.content.decode()
    counts = preview.context["indicator_counts"]
    assert counts == {
        "indicators_added": 1,
        "indicators_changed": 0,
        "readings_added": 1,
        "readings_changed": 1,
    }
    assert "Indicators to add" in text and "Readings that change" in text
    assert "Confirm and import" in text  # the risk itself is unchanged: readings are changes
    done = client.post(
        response.url, {"fingerprint": preview.context["plan"].fingerprint, "confirm": "1"}
    )
    assert done.status_code == 302
    assert indicator.readings.get().value == D("4")
    assert risk.indicators.get(name="Uptime").readings.get().value == D("99.5")
    followed = client.get(done.url).content.decode()
    assert "indicators added 1, changed 0; readings added 1, changed 1" in followed


def test_a_sensitive_risk_keeps_its_indicators_out_of_an_uncleared_export(
    corporate_register, owner
):
    sensitive = RiskFactory(
        register=corporate_register, ref="S1", title="Secret", marking=Marking.OFFICIAL_SENSITIVE
    )
    indicator_add(user=None, risk=sensitive, name="Hidden", amber_from=D(1), red_from=D(2))
    viewer = MembershipFactory(organisation=corporate_register.organisation, role=Role.VIEWER)
    access = OrganisationAccess(corporate_register.organisation, viewer)
    export = register_export(register=corporate_register, access=access)
    assert export.second_sheets["indicators"] == [list(INDICATOR_COLUMNS)]


def test_a_readings_only_csv_is_refused_saying_readings_need_the_workbook(corporate_register):
    data = b"ref,indicator,date,value\nR1,Phishing clicks,2026-01-31,3\n"
    with pytest.raises(SpreadsheetError) as refused:
        import_plan(register=corporate_register, data=data, filename="readings.csv")
    assert str(refused.value) == INDICATORS_NEED_WORKBOOK


def test_export_queries_do_not_grow_with_indicators_and_readings(
    corporate_register, risk, indicator
):
    def grow():
        for n in range(5):
            each = RiskFactory(register=corporate_register, ref=f"G{n}", title=f"G{n}")
            found = indicator_add(user=None, risk=each, name="Count", amber_from=1, red_from=2)
            for day in range(3):
                reading_record(
                    user=None, indicator=found, taken_on=DAY1 + dt.timedelta(days=day), value=day
                )

    before, after = assert_same_queries(lambda: register_export(register=corporate_register), grow)
    assert len(before.second_sheets["readings"]) == 2 and len(after.second_sheets["readings"]) == 17


def test_a_background_import_counts_and_writes_the_readings(
    client,
    organisation,
    corporate_register,
    risk,
    indicator,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.RISKREG_IMPORT_BACKGROUND_ROWS = 1
    membership = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    membership_sync(membership)
    client.force_login(membership.user)
    data = workbook(
        [["ref", "title"], ["R1", ""], ["N1", "New"]],
        readings=[
            list(READING_COLUMNS),
            ["R1", "Phishing clicks", DAY2, 3, ""],
            ["R1", "Phishing clicks", DAY1, 4, ""],
        ],
    )
    with django_capture_on_commit_callbacks():
        client.post(
            reverse("register_import", args=[organisation.slug, "corporate"]),
            {"file": SimpleUploadedFile("big.xlsx", data)},
        )
    job = ImportJob.objects.get()
    assert import_check_task(job.pk) == ImportJobStatus.CHECKED
    job.refresh_from_db()
    assert job.preview["indicators"] == {
        "indicators_added": 0,
        "indicators_changed": 0,
        "readings_added": 1,
        "readings_changed": 1,
    }
    url = reverse("register_import_job", args=[organisation.slug, "corporate", job.pk])
    page = client.get(url).content.decode()
    assert "Readings to add" in page and "reading to change: R1 Phishing clicks" in page
    with django_capture_on_commit_callbacks():
        client.post(url, {"fingerprint": job.fingerprint, "confirm": "1"})
    assert import_write_task(job.pk) == ImportJobStatus.DONE
    assert list(indicator.readings.order_by("taken_on").values_list("value", flat=True)) == [
        D("4"),
        D("3"),
    ]


def test_the_command_prints_reading_problems_exits_1_then_imports(
    organisation, corporate_register, risk, indicator, tmp_path
):
    path = tmp_path / "kri.xlsx"
    path.write_bytes(
        workbook(
            [["ref", "title"], ["R1", ""]],
            readings=[list(READING_COLUMNS), ["R1", "Phishing clicks", "soon", 3, ""]],
        )
    )
    args = [str(path), "--org", organisation.slug, "--register", "corporate"]
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 problem in 1 row; nothing was imported"):
        call_command("import_register", *args, stdout=out, stderr=err)
    assert err.getvalue().strip() == (
        "readings row 2: date: 'soon' is not a date: use yyyy-mm-dd or dd/mm/yyyy (31/03/2027)"
    )
    path.write_bytes(
        workbook(
            [["ref", "title"], ["R1", ""]],
            readings=[list(READING_COLUMNS), ["R1", "Phishing clicks", DAY2, 3, ""]],
        )
    )
    call_command("import_register", *args, stdout=out, stderr=err)
    day = DAY2.strftime("%d/%m/%Y")
    assert f"readings row 2: reading added: R1 Phishing clicks {day} 3" in out.getvalue()
    assert (
        out.getvalue()
        .strip()
        .endswith("unchanged 1; indicators added 0, changed 0; readings added 1, changed 0")
    )
    assert indicator.readings.count() == 2
