"""An export imported again unchanged changes nothing (issue 15; DESIGN.md, "Spreadsheet
columns"): every register of every seeded organisation, as .csv and as .xlsx (with its controls,
actions, indicators and readings sheets)."""

import pytest

from demo.seeding import SEED_ORGANISATIONS, seed_demo
from registers.models import Action, Control, Indicator, IndicatorReading, Organisation, Risk
from reporting.spreadsheets.exporting import register_export, to_csv, to_xlsx
from reporting.spreadsheets.importing import import_apply, import_plan

pytestmark = pytest.mark.django_db


def history_counts() -> dict[str, int]:
    return {
        model.__name__: model.history.count()
        for model in (Risk, Control, Action, Indicator, IndicatorReading)
    }


def test_every_seeded_register_exported_and_imported_again_changes_nothing():
    seed_demo()
    organisations = Organisation.objects.filter(slug__in=SEED_ORGANISATIONS).order_by("slug")
    assert organisations.count() == len(SEED_ORGANISATIONS)
    before = history_counts()
    versions = dict(Risk.objects.values_list("id", "version"))
    checked = indicator_rows = reading_rows = 0
    carried: set[str] = set()  # the columns issue 15 added that the seeded risks fill
    sheet_columns: set[str] = set()  # the controls and actions sheets' columns filled
    for organisation in organisations:
        for register in organisation.registers.order_by("slug"):
            export = register_export(register=register)
            for row in export.rows:
                carried |= {name for name, value in zip(export.header, row, strict=True) if value}
            for name, rows in export.second_sheets.items():
                for row in rows[1:]:
                    sheet_columns |= {
                        f"{name}.{column}"
                        for column, value in zip(rows[0], row, strict=True)
                        if value
                    }
            for data, filename in (
                (to_csv(export), f"{register.slug}.csv"),
                (to_xlsx(export), f"{register.slug}.xlsx"),
            ):
                plan = import_plan(register=register, data=data, filename=filename)
                where = f"{organisation.slug}/{filename}"
                assert plan.ok, (where, [str(problem) for problem in plan.problems])
                assert plan.notes == [], (where, plan.notes)
                assert plan.summary == f"created 0, updated 0, unchanged {len(export.rows)}", (
                    where,
                    [(row.ref, row.changes, row.controls, row.actions) for row in plan.updated],
                )
                if filename.endswith(".xlsx"):
                    assert plan.treatments is not None, where  # the sheets were read
                    assert plan.treatments.writes() == [], (where, plan.treatments.writes())
                    assert plan.indicators is not None, where  # issue 18's sheets were read
                    assert plan.indicators.writes == 0, (where, plan.indicators.summary)
                    indicator_rows += len(plan.indicators.indicators)
                    reading_rows += len(plan.indicators.readings)
                import_apply(plan=plan)
            checked += len(export.rows)
    assert checked == Risk.objects.filter(organisation__in=organisations).count() > 0
    assert history_counts() == before
    assert {"register", "objectives", "working_leads", "horizon", "progress"} <= carried
    assert {
        "controls.owner",
        "controls.effectiveness",
        "controls.source_of_assurance",
        "actions.owner",
        "actions.due",
        "actions.status",
        "actions.progress",
        "indicators.unit",
        "indicators.direction",
        "indicators.amber_from",
        "indicators.red_from",
        "indicators.frequency",
        "readings.date",
        "readings.value",
        "readings.note",
    } <= sheet_columns, sheet_columns
    # Every seeded indicator in use and every reading of one went out and came back unchanged.
    assert indicator_rows == Indicator.objects.filter(retired_at__isnull=True).count() > 0
    assert (
        reading_rows
        == IndicatorReading.objects.filter(indicator__retired_at__isnull=True).count()
        > 0
    )
    assert dict(Risk.objects.values_list("id", "version")) == versions
