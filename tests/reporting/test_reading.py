"""Reading spreadsheets: header detection, and every malformed or hostile file refused clearly."""

import codecs
import datetime as dt
import io
import zipfile

import pytest

from reporting.spreadsheets.reading import SpreadsheetError, read_spreadsheet
from tests.reporting.conftest import csv_bytes, xlsx_bytes


def read(data, filename="register.csv"):
    return read_spreadsheet(data=data, filename=filename)


def test_header_row_found_below_a_title_in_any_order_and_case():
    data = xlsx_bytes(
        [
            ["Corporate risk register, March 2026"],
            [],
            ["  Title ", "REF", "Current Likelihood", "current_impact", "Comments"],
            ["Cyber attack", "CRR1", 4, 5, "check"],
            [],
            ["Fire", "CRR2", 1, 5, None],
        ]
    )
    sheet = read(data, "register.xlsx")
    assert sheet.header_row == 3
    assert sheet.columns == ["title", "ref", "current_likelihood", "current_impact"]
    assert sheet.unknown_columns == ["Comments"]
    assert [row.number for row in sheet.rows] == [4, 6]  # the spreadsheet's own row numbers
    assert sheet.rows[0].values == {
        "title": "Cyber attack",
        "ref": "CRR1",
        "current_likelihood": 4,
        "current_impact": 5,
    }


def test_csv_with_byte_order_mark_semicolons_and_multi_line_cells():
    text = 'ref;title;controls\nR1;Fire;"Alarms\nSprinklers"\nR2;Flood;\n'
    sheet = read(codecs.BOM_UTF8 + text.encode())
    assert sheet.columns == ["ref", "title", "controls"]
    assert sheet.rows[0].values["controls"] == "Alarms\nSprinklers"
    assert sheet.rows[1].number == 3  # a quoted cell over two lines is still one row


def test_computed_export_columns_are_read_past_without_a_note():
    sheet = read(csv_bytes([["ref", "title", "current_score", "trend"], ["R1", "x", "12", "up"]]))
    assert sheet.unknown_columns == []
    assert sheet.rows[0].values == {"ref": "R1", "title": "x"}


def test_xlsx_date_cells_arrive_as_dates():
    sheet = read(
        xlsx_bytes([["ref", "title", "next_review"], ["R1", "x", dt.date(2027, 3, 31)]]), "a.xlsx"
    )
    assert sheet.rows[0].values["next_review"].date() == dt.date(2027, 3, 31)


def test_formulas_are_refused_by_row_and_column_never_evaluated():
    data = xlsx_bytes(
        [["ref", "title", "current_likelihood"], ["R1", "Fire", 2], ["R2", "Flood", 3]],
        formulas=[("C2", "=1+1"), ("B3", '=HYPERLINK("http://evil.example","x")')],
    )
    sheet = read(data, "a.xlsx")
    assert [str(problem) for problem in sheet.problems] == [
        "row 2: current_likelihood: formulas are not accepted, paste values",
        "row 3: title: formulas are not accepted, paste values",
    ]
    assert "current_likelihood" not in sheet.rows[0].values


def test_a_column_named_twice_is_a_problem():
    sheet = read(csv_bytes([["ref", "title", "Title"], ["R1", "a", "b"]]))
    assert [str(p) for p in sheet.problems] == [
        "row 1: title: the column appears more than once; keep one"
    ]


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "register.csv", "the file is empty"),
        (b"  \n\n", "register.csv", "the file is empty"),
        (b"ref,title\nR1,x", "register.txt", "not a spreadsheet we can import (.txt)"),
        (b"ref,title\nR1,x", "register", "not a spreadsheet we can import (no extension)"),
        (b"just some text", "register.xlsx", "not an Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "register.xlsx", "old-style Excel"),
        (b"PK\x03\x04 broken zip", "register.xlsx", "damaged"),
        (b"\x89PNG\r\n\x1a\n\0\0\0", "register.csv", "not CSV text"),
        ("ref,title\nR1,Café".encode("latin-1"), "register.csv", "not UTF-8 text (line 2"),
        ("ref,title\nR1,x".encode("utf-16"), "register.csv", "UTF-16"),
        (b"name,score\nR1,3\n", "register.csv", "no header row"),
    ],
)
def test_malformed_files_are_refused_with_a_clear_message(data, filename, message):
    with pytest.raises(SpreadsheetError, match=None) as refused:
        read(data, filename)
    assert message in str(refused.value)


def test_workbook_disguised_as_csv_is_refused():
    with pytest.raises(SpreadsheetError, match="Excel workbook, not CSV"):
        read(xlsx_bytes([["ref", "title"]]), "register.csv")


def test_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(SpreadsheetError, match=r"not an Excel workbook \(.xlsx\)"):
        read(buffer.getvalue(), "register.xlsx")


def test_zip_bomb_is_refused_before_it_is_expanded(settings):
    settings.RISKREG_MAX_UPLOAD_BYTES = 10_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * 2_000_000)
    assert len(buffer.getvalue()) < 10_000
    with pytest.raises(SpreadsheetError, match="expands to"):
        read(buffer.getvalue(), "register.xlsx")


def test_file_over_the_size_limit_is_refused(settings):
    settings.RISKREG_MAX_UPLOAD_BYTES = 100
    data = csv_bytes([["ref", "title"]] + [[f"R{n}", "a risk"] for n in range(20)])
    with pytest.raises(SpreadsheetError, match="the largest file accepted is 100 bytes"):
        read(data)


def test_too_many_rows_are_refused(settings):
    settings.RISKREG_IMPORT_MAX_ROWS = 5
    data = csv_bytes([["ref", "title"]] + [[f"R{n}", "a risk"] for n in range(6)])
    with pytest.raises(SpreadsheetError, match="more than 5 rows of risks"):
        read(data)
    assert len(read(csv_bytes([["ref", "title"]] + [[f"R{n}", "x"] for n in range(5)])).rows) == 5


def test_default_limits():
    from reporting.spreadsheets.reading import max_rows, max_upload_bytes

    assert max_upload_bytes() == 5 * 1024 * 1024
    assert max_rows() == 20_000
