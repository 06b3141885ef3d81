"""Read an uploaded .xlsx or .csv into rows keyed by column, refusing anything unsafe or unclear.

A file is refused whole (``SpreadsheetError``) when it is not a spreadsheet, is empty, too big, not
UTF-8, has no header row or too many rows. Cell-level trouble (a formula, an error value, a column
named twice) becomes a ``Problem`` on its row, reported with every other problem of the file.

Nothing is ever evaluated: workbooks are opened with openpyxl in read-only mode without computed
values, so a formula arrives as a formula and is refused ("paste values"), never run.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .columns import COMPUTED_COLUMNS, IMPORT_COLUMNS, REQUIRED_COLUMNS, normalise_header

DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ROWS = 20_000
MAX_COLUMNS = 200
# A workbook is a zip: refuse one that would expand far beyond any real register (a zip bomb).
MAX_EXPANSION = 25
# Excel's own limit; a sheet claiming rows beyond it is malformed or hostile.
MAX_SHEET_ROWS = 1_048_576
EXTENSIONS = (".xlsx", ".csv")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other old Office files
_ZIP_MAGIC = b"PK\x03\x04"


def max_upload_bytes() -> int:
    return getattr(settings, "RISKREG_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)


def max_rows() -> int:
    return getattr(settings, "RISKREG_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)


def describe_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 ", " ")
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


class SpreadsheetError(ValueError):
    """The file as a whole cannot be imported; the message says why, in the user's terms."""


@dataclass(frozen=True)
class Problem:
    """One problem with one row: printed as ``row N: column: problem``."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.column}: {self.message}"


@dataclass
class SheetRow:
    number: int  # the spreadsheet's own row number (header row 1 => first data row 2)
    values: dict[str, object]
    refused: set[str] = field(default_factory=set)  # columns whose cell is a formula or error


@dataclass
class Sheet:
    filename: str
    header_row: int
    columns: list[str]
    unknown_columns: list[str] = field(default_factory=list)
    rows: list[SheetRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class _Cell:
    value: object
    kind: str = "value"  # value | formula | error


def extension_of(filename: str) -> str:
    return PurePath(filename).suffix.lower()


def check_filename(filename: str) -> str:
    extension = extension_of(filename)
    if extension not in EXTENSIONS:
        shown = extension or "no extension"
        raise SpreadsheetError(
            f"{PurePath(filename).name} is not a spreadsheet we can import ({shown}): "
            "use an Excel workbook (.xlsx) or a CSV file (.csv)"
        )
    return extension


def read_spreadsheet(*, data: bytes, filename: str) -> Sheet:
    """Parse ``data`` (the bytes of ``filename``) into a Sheet, or raise SpreadsheetError."""
    extension = check_filename(filename)
    limit = max_upload_bytes()
    if len(data) > limit:
        raise SpreadsheetError(
            f"the file is {describe_size(len(data))}; the largest file accepted is "
            f"{describe_size(limit)}"
        )
    if not data.strip():
        raise SpreadsheetError("the file is empty")
    raw = _xlsx_rows(data) if extension == ".xlsx" else _csv_rows(data)
    return _sheet_from_rows(raw, filename=PurePath(filename).name)


# --- CSV ---------------------------------------------------------------------------------------


def _csv_text(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SpreadsheetError(
            "the file is UTF-16 text; save it as 'CSV UTF-8 (comma delimited)' and try again"
        )
    if data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC):
        raise SpreadsheetError(
            "the file is an Excel workbook, not CSV text: save it as .xlsx or as CSV UTF-8"
        )
    if b"\x00" in data:
        raise SpreadsheetError("the file is not CSV text (it holds binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SpreadsheetError(
            f"the file is not UTF-8 text (line {line} holds a character in another encoding); "
            "in Excel use Save As, 'CSV UTF-8 (comma delimited)'"
        ) from None


def _csv_delimiter(text: str) -> str:
    """Comma, unless the first line naming ref and title is plainly split by ';' or a tab
    (Excel in some locales saves CSV with semicolons)."""
    for line in text.splitlines()[:50]:
        for delimiter in (",", ";", "\t"):
            names = {normalise_header(part.strip('"')) for part in line.split(delimiter)}
            if set(REQUIRED_COLUMNS) <= names:
                return delimiter
    return ","


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[_Cell]]]:
    text = _csv_text(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_csv_delimiter(text))
    number = 0
    try:
        # A record (a quoted cell may hold several lines) is one spreadsheet row, as Excel shows it.
        for number, record in enumerate(reader, start=1):
            yield number, [_Cell(value) for value in record[:MAX_COLUMNS]]
    except csv.Error as exc:
        raise SpreadsheetError(f"row {number + 1}: the CSV cannot be read: {exc}") from None


# --- XLSX --------------------------------------------------------------------------------------


def _open_workbook(data: bytes):
    if not data.startswith(_ZIP_MAGIC):
        if data.startswith(_OLE_MAGIC):
            raise SpreadsheetError(
                "the file is an old-style Excel workbook (.xls) or is password-protected: "
                "save it as an Excel Workbook (.xlsx) without a password"
            )
        raise SpreadsheetError("the file is not an Excel workbook (.xlsx)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SpreadsheetError("the file is not an Excel workbook (.xlsx): it is damaged") from None
    if "xl/workbook.xml" not in names:
        raise SpreadsheetError("the file is not an Excel workbook (.xlsx)")
    if expanded > MAX_EXPANSION * max_upload_bytes():
        raise SpreadsheetError(
            f"the workbook expands to {describe_size(expanded)}, more than any register needs"
        )
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many kinds on damaged or hostile files
        raise SpreadsheetError(
            "the file could not be read as an Excel workbook (.xlsx): it may be damaged"
        ) from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[_Cell]]]:
    workbook = _open_workbook(data)
    try:
        sheets = [sheet for sheet in workbook.worksheets if hasattr(sheet, "iter_rows")]
        if not sheets:
            raise SpreadsheetError("the workbook has no worksheet")
        sheet = sheets[0]
        # The stored dimensions may be wrong or hostile; read the rows actually present.
        sheet.reset_dimensions()
        try:
            for number, row in enumerate(sheet.iter_rows(), start=1):
                if number > MAX_SHEET_ROWS:
                    raise SpreadsheetError(f"the sheet has more than {MAX_SHEET_ROWS:,} rows")
                yield number, [_xlsx_cell(cell) for cell in row[:MAX_COLUMNS]]
        except SpreadsheetError:
            raise
        except Exception:  # a damaged sheet part: refuse the file, do not half-read it
            raise SpreadsheetError(
                "the worksheet could not be read: the file may be damaged"
            ) from None
    finally:
        workbook.close()


def _xlsx_cell(cell) -> _Cell:
    data_type = getattr(cell, "data_type", None)
    if data_type == "f":
        return _Cell(None, "formula")
    if data_type == "e":
        return _Cell(cell.value, "error")
    return _Cell(cell.value)


# --- rows to a sheet ---------------------------------------------------------------------------


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _sheet_from_rows(raw: Iterator[tuple[int, list[_Cell]]], *, filename: str) -> Sheet:
    sheet: Sheet | None = None
    names: list[str | None] = []  # per column position: a known column's name, or None
    headings: list[str] = []  # per column position: what the header row says, for messages
    limit = max_rows()
    for number, cells in raw:
        if sheet is None:
            header = [normalise_header(cell.value) for cell in cells]
            if set(REQUIRED_COLUMNS) <= set(header):
                sheet, names, headings = _header(number, cells, header, filename)
            continue
        if all(cell.kind == "value" and _blank(cell.value) for cell in cells):
            continue
        if len(sheet.rows) >= limit:
            raise SpreadsheetError(
                f"the file has more than {limit:,} rows of risks; split it into smaller files"
            )
        values: dict[str, object] = {}
        refused: set[str] = set()
        for position, cell in enumerate(cells):
            name = names[position] if position < len(names) else None
            heading = (
                headings[position]
                if position < len(headings) and headings[position]
                else f"column {get_column_letter(position + 1)}"
            )
            if cell.kind != "value" and name is not None:
                refused.add(name)
            if cell.kind == "formula":
                sheet.problems.append(
                    Problem(number, heading, "formulas are not accepted, paste values")
                )
            elif cell.kind == "error":
                sheet.problems.append(
                    Problem(number, heading, f"the cell holds an error ({cell.value}), not a value")
                )
            elif name is not None:
                values[name] = cell.value
        sheet.rows.append(SheetRow(number=number, values=values, refused=refused))
    if sheet is None:
        raise SpreadsheetError(
            "no header row: no row names both a 'ref' and a 'title' column "
            f"(columns we read: {', '.join(IMPORT_COLUMNS)})"
        )
    return sheet


def _header(number: int, cells: list[_Cell], header: list[str], filename: str):
    sheet = Sheet(filename=filename, header_row=number, columns=[])
    names: list[str | None] = []
    headings: list[str] = []
    for position, name in enumerate(header):
        headings.append(name)
        if name in IMPORT_COLUMNS:
            if name in sheet.columns:
                sheet.problems.append(
                    Problem(number, name, "the column appears more than once; keep one")
                )
                names.append(None)
                continue
            sheet.columns.append(name)
            names.append(name)
        else:
            names.append(None)
            if name and name not in COMPUTED_COLUMNS:
                shown = str(cells[position].value).strip()
                sheet.unknown_columns.append(shown)
    return sheet, names, headings
