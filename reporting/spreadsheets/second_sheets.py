"""What the import's second sheets share (controls and actions: ``treatment_sheets``; indicators
and readings: ``indicator_sheets``): reading them into tables with the problems and notes of
reading them, the main sheet's refs a row may name, and the risks their rows are written to."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models.functions import Upper

from registers.models import Risk
from registers.refs import ref_clean

from .reading import Problem, Sheet, Table, table_from_rows
from .values import cell_text

NOT_ON_MAIN_SHEET = (
    "{ref} is not a row of the main sheet: add a row with its ref there (for an existing risk "
    "the ref alone is enough)"
)
REF_REQUIRED = "required: every row needs the ref of its risk"


def read_tables(
    sheet: Sheet, *, columns: dict, required: tuple[str, ...], aliases: dict, no_header: str
) -> tuple[dict[str, Table], list[Problem], list[str]]:
    """The workbook's second sheets named in ``columns`` (in its order) as tables, with the
    problems and notes of reading them; ``no_header`` (with ``{sheet}`` and ``{columns}``) is
    the problem of a sheet without a header row."""
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    notes: list[str] = []
    for name in columns:
        raw = sheet.second_sheets.get(name)
        if not raw:
            continue
        table = table_from_rows(
            raw, name=name, columns=columns[name], required=required, aliases=aliases[name]
        )
        if table is None:
            problems.append(
                Problem(
                    raw[0][0],
                    "ref",
                    no_header.format(sheet=name, columns=", ".join(columns[name])),
                    name,
                )
            )
            continue
        problems.extend(table.problems)
        if table.unknown_columns:
            notes.append(
                f"These columns of the {name} sheet are not ones we import and were left out: "
                + ", ".join(repr(each) for each in table.unknown_columns)
            )
        tables[name] = table
    return tables, problems, notes


def saved_ref(ref: str) -> str:
    """The ref as it would be saved (as typed when it is not a valid ref)."""
    try:
        return ref_clean(ref)
    except ValidationError:
        return ref


def main_sheet_refs(sheet: Sheet) -> set[str]:
    """The refs of the main sheet, as typed and as they would be saved (its row plans may hold
    either), upper-cased; a row with problems there has no plan but is still on the main
    sheet."""
    on_main: set[str] = set()
    for main_row in sheet.rows:
        typed = cell_text(main_row.values.get("ref"))
        if typed:
            on_main |= {typed.upper(), saved_ref(typed).upper()}
    return on_main


def row_plan_of(values, on_main, row_plans, problem):
    """The row plan of the row's ref, or None after reporting why (a ref on the main sheet
    whose row has problems of its own has no plan, and no second problem)."""
    ref = cell_text(values.get("ref"))
    if not ref:
        problem("ref", REF_REQUIRED)
        return None
    if ref.upper() not in on_main and saved_ref(ref).upper() not in on_main:
        problem("ref", NOT_ON_MAIN_SHEET.format(ref=ref))
        return None
    return row_plans.get(ref.upper()) or row_plans.get(saved_ref(ref).upper())


def risks_by_ref(organisation, refs) -> dict[str, Risk]:
    """The organisation's risks of those (upper-cased) refs, by upper-cased ref: one query."""
    return {
        risk.ref.upper(): risk
        for risk in Risk.objects.filter(organisation=organisation)
        .annotate(ref_upper=Upper("ref"))
        .filter(ref_upper__in=refs)
        .select_related("register", "organisation")
    }
