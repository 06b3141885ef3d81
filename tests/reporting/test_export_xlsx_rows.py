"""The export's sheets are written row by row straight to XML (``xlsx_rows.RowsSheet``), not
through openpyxl's cell objects: what it writes must be what openpyxl writes, byte for byte, for
every kind of value an export holds (texts with spaces at the ends, empty, markup characters,
line breaks, too long for a cell, Excel's error words; numbers, decimals, yes/no, dates and
date-times; empty cells with and without a style)."""

import datetime as dt
import io
import zipfile
from copy import copy
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from reporting.spreadsheets.xlsx_rows import RowsSheet

VALUES = [
    "Fire at the depot",
    "  leading and trailing  ",
    "",
    None,
    "Fish & chips <b>bold</b> > less",
    "first line\r\nsecond line\nthird",
    "x" * 40_000,
    "#N/A",
    "'=SUM(A1:A3)",
    "Côte d'Ivoire ✓",
    0,
    -3,
    2.5,
    Decimal("1.10"),
    True,
    False,
    dt.date(2026, 3, 31),
    dt.datetime(2026, 3, 31, 14, 5),  # noqa: DTZ001  (a worksheet holds no time zone)
]


def styles_of(sheet):
    bold = WriteOnlyCell(sheet)
    bold.font = Font(bold=True)
    top = WriteOnlyCell(sheet)
    top.alignment = Alignment(vertical="top")
    dated = WriteOnlyCell(sheet)
    dated.number_format = "dd/mm/yyyy"
    dated.alignment = Alignment(wrap_text=True, vertical="top")
    return bold._style, top._style, dated._style


def saved(workbook) -> tuple[bytes, list]:
    """The sheet's XML, and each cell's value and look as a spreadsheet reads them (the styles
    part itself differs: openpyxl also lists the date formats it gave cells before their own
    style replaced them, which no cell uses)."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = load_workbook(buffer)["Register"]
    look = [
        (
            c.coordinate,
            c.value,
            c.number_format,
            c.font.b,
            c.alignment.wrap_text,
            c.alignment.vertical,
        )
        for row in sheet.iter_rows()
        for c in row
    ]
    return zipfile.ZipFile(buffer).read("xl/worksheets/sheet1.xml"), look


def by_openpyxl(rows) -> tuple[bytes, list]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Register")
    bold, top, dated = styles_of(sheet)
    for values, kind in rows:
        if kind == "plain":
            sheet.append(values)
            continue
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value)
            if cell.data_type == "f":
                cell.data_type = "s"
            style = bold if kind == "bold" else dated if isinstance(value, dt.date) else top
            cell._style = copy(style)
            cells.append(cell)
        sheet.append(cells)
    return saved(workbook)


def by_rows_sheet(rows) -> tuple[bytes, list]:
    workbook = Workbook(write_only=True)
    sheet = RowsSheet.add_to(workbook, "Register")
    bold, top, dated = styles_of(sheet)
    for values, kind in rows:
        if kind == "plain":
            styles = [None] * len(values)
        elif kind == "bold":
            styles = [bold] * len(values)
        else:
            styles = [dated if isinstance(value, dt.date) else top for value in values]
        sheet.write(values, styles)
    return saved(workbook)


ROWS = {
    "a bold header row, then styled rows": [
        (["ref", "title", None, "next_review"], "bold"),
        (VALUES, "styled"),
        (list(reversed(VALUES)), "styled"),
    ],
    # Dates only last: openpyxl's own plain rows keep a date's format for the cells after it.
    "plain rows": [(VALUES[:-2], "plain"), ([*VALUES[:-2], dt.date(2026, 1, 2)], "plain")],
    "rows of different lengths": [(["a"], "styled"), (VALUES, "styled"), ([], "plain")],
}


@pytest.mark.parametrize("rows", ROWS.values(), ids=ROWS.keys())
def test_the_rows_are_written_as_openpyxl_writes_them(rows):
    assert by_rows_sheet(rows) == by_openpyxl(rows)


def test_a_row_is_taken_only_with_its_styles():
    sheet = RowsSheet.add_to(Workbook(write_only=True), "Register")
    with pytest.raises(TypeError):
        sheet.append(["ref"])
