"""Read an uploaded .xlsx or .csv into rows keyed by column, refusing anything unsafe or unclear.

A file is refused whole (``SpreadsheetError``) when it is not a spreadsheet, is empty, too big, not
UTF-8, has no header row or too many rows, or would cost more to read than any register needs: a
workbook part that expands too far (checked on the zip's declared sizes, before anything is
expanded), more cells or shared texts than ``max_cells()``. Reading stops after
``BLANK_ROWS_READ_PAST`` blank rows in a row, so a sheet padded with a million empty rows (or whose
stored dimension claims them) costs no more than a short one. Cell-level trouble (a formula, an error value, a column
named twice) becomes a ``Problem`` on its row, reported with every other problem of the file.

Nothing is ever evaluated: workbooks are opened with openpyxl in read-only mode without computed
values, so a formula arrives as a formula and is refused ("paste values"), never run.
"""

from __future__ import annotations

import codecs
import csv
import io
import shlex
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse  # defusedxml's, which refuses entity tricks

from .columns import (
    CHECKED_COLUMNS,
    COMPUTED_COLUMNS,
    IMPORT_COLUMNS,
    REQUIRED_COLUMNS,
    normalise_header,
)

DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ROWS = 20_000
# Every cell costs the same to read whether it holds text or is an empty styled cell, so the cost of
# a file is bounded by its cells, not its rows: 20,000 rows of 30 columns, and a workbook at this
# limit reads in about 5 s. Shared texts beyond it could never all be used by a cell.
DEFAULT_MAX_CELLS = 600_000
# The most rows an import in the browser takes. A file of more than RISKREG_IMPORT_BACKGROUND_ROWS
# is checked and written by the worker (reporting/spreadsheets/jobs.py), never in a request, and
# writing is in bulk: 10,000 rows of two controls and an action import in about 16 s (bench/
# imports.py). Bigger files go through the import_register command (its limit: DEFAULT_MAX_ROWS).
DEFAULT_WEB_MAX_ROWS = 10_000
# A register row has about 35 columns; a hundred leaves room for notes and helper columns. The
# upload page reads the file (to refuse an unreadable one at once and count its rows), so this
# bounds that request too: never more than DEFAULT_MAX_CELLS, about 5 s of reading.
WEB_CELLS_PER_ROW = 100
MAX_COLUMNS = 200
# A workbook is a zip: refuse one that would expand far beyond any real register (a zip bomb), on
# the sizes the zip declares (Python's zipfile never expands a part past its declared size).
# Worksheets and the shared texts are read as a stream, a cell at a time; every other XML part is
# parsed whole by openpyxl (styles at about 1 s a MB), so it gets a much smaller allowance.
MAX_EXPANSION = 20  # all parts together, times the upload limit
MAX_STREAMED_PART_EXPANSION = 8  # one worksheet or the shared texts, times the upload limit
MAX_OTHER_XML_PART_BYTES = 2 * 1024 * 1024
MAX_OTHER_PART_EXPANSION = 2  # an image or other binary part, times the upload limit
MAX_PARTS = 1_000
# Blank rows in a row after which reading stops: trailing formatted rows, however many, cost no
# more than this.
BLANK_ROWS_READ_PAST = 1_000
# Excel's own limit; a sheet claiming rows beyond it is malformed or hostile.
MAX_SHEET_ROWS = 1_048_576
EXTENSIONS = (".xlsx", ".csv")
# Further worksheets an import reads, by name (any case): controls and actions as structured rows
# keyed by the risk's ref (reporting.spreadsheets.treatment_sheets), key risk indicators and their
# readings (reporting.spreadsheets.indicator_sheets).
SECOND_SHEETS = ("controls", "actions", "indicators", "readings")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other old Office files
_ZIP_MAGIC = b"PK\x03\x04"


def max_upload_bytes() -> int:
    return getattr(settings, "RISKREG_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)


def max_rows() -> int:
    return getattr(settings, "RISKREG_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)


def max_cells() -> int:
    return getattr(settings, "RISKREG_IMPORT_MAX_CELLS", DEFAULT_MAX_CELLS)


def web_max_rows() -> int:
    """The most rows an import in the browser may have; bigger files go through the command."""
    return min(getattr(settings, "RISKREG_WEB_IMPORT_MAX_ROWS", DEFAULT_WEB_MAX_ROWS), max_rows())


def web_max_cells() -> int:
    """Cells (and shared texts) read for an import in the browser: enough for its rows at
    WEB_CELLS_PER_ROW, so no upload costs a request more than a few seconds of reading."""
    return min(web_max_rows() * WEB_CELLS_PER_ROW, max_cells())


WEB_TOO_BIG = (
    "{reason}, more than the browser can import in one go. Nothing was imported. Split it into "
    "files of at most {rows:,} rows, or ask an administrator to import it with the command: "
    "python manage.py import_register {filename} --org {org} --register {register}"
)


def web_too_big_message(*, reason: str, filename: str, organisation: str, register: str) -> str:
    return WEB_TOO_BIG.format(
        reason=reason,
        rows=web_max_rows(),
        filename=shlex.quote(filename),
        org=organisation,
        register=register,
    )


# Each limit's message is its reason (used alone by the browser's message) and its advice.
TOO_MANY_ROWS_REASON = "the file has more than {limit:,} rows of risks"
TOO_MANY_ROWS = TOO_MANY_ROWS_REASON + "; split it into smaller files"
TOO_MANY_CELLS_REASON = "the file has more than {limit:,} cells (counting empty formatted ones)"
TOO_MANY_CELLS = (
    TOO_MANY_CELLS_REASON + ", more than any register needs; delete unused rows and columns or "
    "split it into smaller files"
)
TOO_MANY_TEXTS_REASON = "the workbook holds more than {limit:,} different texts"
TOO_MANY_TEXTS = (
    TOO_MANY_TEXTS_REASON + ", more than its cells could use; copy the rows into a new workbook "
    "and save that"
)
PART_TOO_BIG = (
    "the workbook's part {part} expands to {size}; the most accepted for that part is {limit}"
)
WORKBOOK_TOO_BIG = "the workbook expands to {size}, more than any register needs (at most {limit})"
TOO_MANY_PARTS = "the workbook has more than {limit:,} parts, more than any register needs"
BLANK_ROWS_NOTE = (
    "Nothing below row {row:,} was read: it is followed by {blank:,} blank rows. If there are "
    "risks further down, delete the blank rows and upload the file again."
)


# A file (a CSV, or a workbook's first sheet) holding only indicators or readings (issue 18).
INDICATORS_NEED_WORKBOOK = (
    "no header row: no row names both a 'ref' and a 'title' column. Indicators and readings go "
    "on sheets named 'indicators' and 'readings' of an Excel workbook (.xlsx), after a first "
    "sheet listing the risks they belong to (a 'ref' and 'title' header; for an existing risk "
    "the ref alone is enough); a CSV file holds that first sheet only"
)


def describe_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 ", " ")
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


class SpreadsheetError(ValueError):
    """The file as a whole cannot be imported; the message says why, in the user's terms."""


class OverLimit(SpreadsheetError):
    """More rows, or more cells or shared texts, than ``limit``."""

    def __init__(self, reason: str, message: str, *, limit: int, kind: str):
        self.limit, self.kind = limit, kind  # kind: rows | cells
        self.reason = reason.format(limit=limit)
        super().__init__(message.format(limit=limit))


class TooManyRows(OverLimit):
    def __init__(self, limit: int):
        super().__init__(TOO_MANY_ROWS_REASON, TOO_MANY_ROWS, limit=limit, kind="rows")


class TooManyCells(OverLimit):
    def __init__(self, limit: int):
        super().__init__(TOO_MANY_CELLS_REASON, TOO_MANY_CELLS, limit=limit, kind="cells")


class TooManyTexts(OverLimit):
    def __init__(self, limit: int):
        super().__init__(TOO_MANY_TEXTS_REASON, TOO_MANY_TEXTS, limit=limit, kind="cells")


class TooBigForBrowser(SpreadsheetError):
    """Over the browser's limits (lower than the command's): ``reason`` says which."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Problem:
    """One problem with one row: printed as ``row N: column: problem`` on the main sheet, and as
    ``controls row N: column: problem`` on a second sheet (``sheet`` names it)."""

    row: int
    column: str
    message: str
    sheet: str = ""  # "" for the main sheet; "controls" or "actions" for a second sheet

    def __str__(self) -> str:
        where = f"{self.sheet} row" if self.sheet else "row"
        return f"{where} {self.row}: {self.column}: {self.message}"


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
    notes: list[str] = field(default_factory=list)
    rows_read: int = 0  # every row the reader looked at, blank or not (the cost of the file)
    # A workbook's second sheets named in SECOND_SHEETS ("controls", "actions", "indicators",
    # "readings"), as raw rows (``treatment_sheets``, ``indicator_sheets`` read them); a CSV file
    # has none.
    second_sheets: dict[str, list] = field(default_factory=dict)


@dataclass(frozen=True)
class _Cell:
    value: object
    kind: str = "value"  # value | formula | error


_EMPTY_CELL = _Cell(None)


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


def read_spreadsheet(*, data: bytes, filename: str, for_browser: bool = False) -> Sheet:
    """Parse ``data`` (the bytes of ``filename``) into a Sheet, or raise SpreadsheetError.

    ``for_browser`` reads under the browser's lower limits (``web_max_rows()``,
    ``web_max_cells()``), raising TooBigForBrowser past them: the import must finish inside one
    request, and the command can take the file instead."""
    extension = check_filename(filename)
    limit = max_upload_bytes()
    if len(data) > limit:
        raise SpreadsheetError(
            f"the file is {describe_size(len(data))}; the largest file accepted is "
            f"{describe_size(limit)}"
        )
    if not data.strip():
        raise SpreadsheetError("the file is empty")
    row_limit = web_max_rows() if for_browser else max_rows()
    cell_limit = web_max_cells() if for_browser else max_cells()
    lowered = {"rows": row_limit < max_rows(), "cells": cell_limit < max_cells()}
    second: dict[str, list] = {}
    try:
        if extension == ".xlsx":
            raw = _xlsx_rows(data, cell_limit, second=second)
        else:
            raw = _csv_rows(data, cell_limit)
        try:
            sheet = _sheet_from_rows(raw, filename=PurePath(filename).name, row_limit=row_limit)
        finally:
            raw.close()  # reading may stop early: close the workbook now, not when collected
        sheet.second_sheets = second
        return sheet
    except OverLimit as exc:
        if lowered[exc.kind]:
            raise TooBigForBrowser(exc.reason) from None
        raise


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
    # Only the start of the text: splitting all of it would cost a string for every line.
    for line in text[:65_536].splitlines()[:50]:
        for delimiter in (",", ";", "\t"):
            names = {normalise_header(part.strip('"')) for part in line.split(delimiter)}
            if set(REQUIRED_COLUMNS) <= names:
                return delimiter
    return ","


def _csv_rows(data: bytes, cell_limit: int) -> Iterator[tuple[int, list[_Cell]]]:
    text = _csv_text(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_csv_delimiter(text))
    number = cells = 0
    try:
        # A record (a quoted cell may hold several lines) is one spreadsheet row, as Excel shows it.
        for number, record in enumerate(reader, start=1):
            cells += len(record)
            if cells > cell_limit:
                raise TooManyCells(cell_limit)
            yield number, [_Cell(value) for value in record[:MAX_COLUMNS]]
    except csv.Error as exc:
        raise SpreadsheetError(f"row {number + 1}: the CSV cannot be read: {exc}") from None


# --- XLSX --------------------------------------------------------------------------------------


_SI = f"{{{SHEET_MAIN_NS}}}si"
_T = f"{{{SHEET_MAIN_NS}}}t"
_R = f"{{{SHEET_MAIN_NS}}}r"
_ROW = f"{{{SHEET_MAIN_NS}}}row"
_CELL = f"{{{SHEET_MAIN_NS}}}c"
_SHEET_DATA = f"{{{SHEET_MAIN_NS}}}sheetData"


def _part_limit(name: str, upload_limit: int) -> int:
    streamed = upload_limit * MAX_STREAMED_PART_EXPANSION
    lowered = name.lower()
    if lowered.startswith("xl/worksheets/") and lowered.endswith(".xml"):
        return streamed
    if lowered == "xl/sharedstrings.xml":
        return streamed
    if lowered.endswith((".xml", ".rels", ".vml")):
        return min(MAX_OTHER_XML_PART_BYTES, streamed)
    return upload_limit * MAX_OTHER_PART_EXPANSION


def _check_parts(data: bytes) -> None:
    """Refuse a workbook whose parts would expand too far, before any part is expanded."""
    upload_limit = max_upload_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SpreadsheetError("the file is not an Excel workbook (.xlsx): it is damaged") from None
    if len(infos) > MAX_PARTS:
        raise SpreadsheetError(TOO_MANY_PARTS.format(limit=MAX_PARTS))
    if "xl/workbook.xml" not in {info.filename for info in infos}:
        raise SpreadsheetError("the file is not an Excel workbook (.xlsx)")
    for info in infos:
        limit = _part_limit(info.filename, upload_limit)
        if info.file_size > limit:
            raise SpreadsheetError(
                PART_TOO_BIG.format(
                    part=info.filename[:100],
                    size=describe_size(info.file_size),
                    limit=describe_size(limit),
                )
            )
    expanded, limit = sum(info.file_size for info in infos), MAX_EXPANSION * upload_limit
    if expanded > limit:
        raise SpreadsheetError(
            WORKBOOK_TOO_BIG.format(size=describe_size(expanded), limit=describe_size(limit))
        )


def _shared_texts(source, limit: int) -> list[str]:
    """The workbook's shared texts, as openpyxl reads them (runs joined, phonetic guides left
    out), but about three times faster and stopping at ``limit``."""
    texts: list[str] = []
    events = iterparse(source, events=("start", "end"))
    _, root = next(events)
    for event, element in events:
        if event != "end" or element.tag != _SI:
            continue
        if len(texts) >= limit:
            raise TooManyTexts(limit)
        parts = []
        for child in element:
            if child.tag == _T:
                parts.append(child.text or "")
            elif child.tag == _R:
                parts.extend(run.text or "" for run in child.iter(_T))
        texts.append("".join(parts).replace("x005F_", ""))
        _drop(root, element)
    return texts


def _drop(parent, element) -> None:
    """Free a parsed element: iterparse keeps every element under its parent until the end."""
    try:
        parent.remove(element)  # the only child by now, so this is cheap
    except ValueError:
        element.clear()


class _WorkbookReader(ExcelReader):
    """openpyxl's own reader in read-only mode, reading only what an import uses: the shared texts
    (under a limit), the styles (which say which numbers are dates) and where the first worksheet
    is. openpyxl would also scan every worksheet to its end looking for a stored dimension, and
    read chart sheets' images and the document's properties."""

    def __init__(self, data: bytes, *, text_limit: int):
        super().__init__(
            io.BytesIO(data), read_only=True, keep_vba=False, data_only=False, keep_links=False
        )
        self.text_limit = text_limit
        self.worksheet_path: str | None = None
        self.second_paths: dict[str, str] = {}  # "controls" / "actions": the sheet's part

    def read_strings(self):
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = _shared_texts(source, self.text_limit)

    def read_worksheets(self):
        self.parser.assign_names = lambda: None  # defined names: never used by an import
        for sheet, relation in self.parser.find_sheets():
            if relation.target in self.valid_files and "chartsheet" not in relation.Type:
                name = (sheet.name or "").strip().casefold()
                if self.worksheet_path is None:
                    self.worksheet_path = relation.target
                elif name in SECOND_SHEETS and name not in self.second_paths:
                    self.second_paths[name] = relation.target

    def read_properties(self):
        pass

    def read_custom(self):
        pass

    def read_theme(self):
        pass


def _open_workbook(data: bytes, cell_limit: int) -> _WorkbookReader:
    if not data.startswith(_ZIP_MAGIC):
        if data.startswith(_OLE_MAGIC):
            raise SpreadsheetError(
                "the file is an old-style Excel workbook (.xls) or is password-protected: "
                "save it as an Excel Workbook (.xlsx) without a password"
            )
        raise SpreadsheetError("the file is not an Excel workbook (.xlsx)")
    _check_parts(data)
    reader = _WorkbookReader(data, text_limit=cell_limit)
    try:
        reader.read()
    except ValueError as exc:  # openpyxl wraps what went wrong, our refusals included
        reader.archive.close()
        if isinstance(exc.__cause__, SpreadsheetError):
            raise exc.__cause__ from None
        raise SpreadsheetError(
            "the file could not be read as an Excel workbook (.xlsx): it may be damaged"
        ) from None
    except Exception:  # openpyxl raises many kinds on damaged or hostile files
        reader.archive.close()
        raise SpreadsheetError(
            "the file could not be read as an Excel workbook (.xlsx): it may be damaged"
        ) from None
    return reader


def _xlsx_rows(
    data: bytes, cell_limit: int, *, second: dict | None = None
) -> Iterator[tuple[int, list[_Cell]]]:
    """The first worksheet's rows. The second sheets (``SECOND_SHEETS``) are read first, whole,
    into ``second`` (their cells count towards the same ``cell_limit``)."""
    reader = _open_workbook(data, cell_limit)
    try:
        if reader.worksheet_path is None:
            raise SpreadsheetError("the workbook has no worksheet")
        counted = [0]  # cells read so far, across the sheets
        try:
            if second is not None:
                for name, path in reader.second_paths.items():
                    second[name] = _second_sheet_rows(
                        _worksheet_rows(reader, cell_limit, path=path, counted=counted)
                    )
            yield from _worksheet_rows(reader, cell_limit, counted=counted)
        except SpreadsheetError:
            raise
        except Exception:  # a damaged sheet part: refuse the file, do not half-read it
            raise SpreadsheetError(
                "the worksheet could not be read: the file may be damaged"
            ) from None
    finally:
        reader.archive.close()


def _second_sheet_rows(raw: Iterator[tuple[int, list[_Cell]]]) -> list:
    """A second sheet's rows with content, stopping after BLANK_ROWS_READ_PAST blank rows. Its
    rows are not limited by the main sheet's row limit (a risk has several controls): its cells
    count towards the file's cell limit, which bounds what it costs."""
    rows: list[tuple[int, list[_Cell]]] = []
    last_content = 0
    try:
        for number, cells in raw:
            empty = all(cell.kind == "value" and _blank(cell.value) for cell in cells)
            if number - last_content - (0 if empty else 1) >= BLANK_ROWS_READ_PAST:
                break
            if empty:
                continue
            last_content = number
            rows.append((number, cells))
    finally:
        raw.close()
    return rows


def _worksheet_rows(
    reader: _WorkbookReader,
    cell_limit: int,
    *,
    path: str | None = None,
    counted: list[int] | None = None,
) -> Iterator[tuple[int, list[_Cell]]]:
    """The rows actually present in the first worksheet's XML, a cell at a time.

    openpyxl's own row reader trusts the stored dimension, pads every gap in row numbers with
    empty rows, widens each row to its rightmost cell (column XFD: 16,384 cells) and builds a whole
    row before anyone can count it. Here each cell is counted as it is parsed, cells right of
    MAX_COLUMNS are dropped, and parsed elements are freed as soon as they are read. openpyxl's
    cell parser still decides what a cell holds (dates, formulas, errors), as it did before.
    """
    workbook = reader.wb
    parser = WorkSheetParser(
        None,
        reader.shared_strings,
        data_only=False,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    cells_read = counted[0] if counted is not None else 0
    number = 0
    sheet_data = row = None
    cells: dict[int, _Cell] = {}
    with reader.archive.open(path or reader.worksheet_path) as source:
        for event, element in iterparse(source, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == _ROW:
                    row, cells = element, {}
                    given = element.get("r")
                    number = int(float(given)) if given else number + 1
                    if number > MAX_SHEET_ROWS:
                        raise SpreadsheetError(f"the sheet has more than {MAX_SHEET_ROWS:,} rows")
                    parser.row_counter, parser.col_counter = number, 0
                elif tag == _SHEET_DATA:
                    sheet_data = element
                continue
            if tag == _CELL and row is not None:
                cells_read += 1
                if counted is not None:
                    counted[0] = cells_read
                if cells_read > cell_limit:
                    raise TooManyCells(cell_limit)
                parsed = parser.parse_cell(element)
                if parsed["column"] <= MAX_COLUMNS:
                    cells[parsed["column"]] = _parsed_cell(parsed)
                _drop(row, element)
            elif tag == _ROW:
                width = max(cells, default=0)
                yield number, [cells.get(column, _EMPTY_CELL) for column in range(1, width + 1)]
                row = None
                if sheet_data is not None:
                    _drop(sheet_data, element)


def _parsed_cell(parsed: dict) -> _Cell:
    if parsed["data_type"] == "f":
        return _Cell(None, "formula")
    if parsed["data_type"] == "e":
        return _Cell(parsed["value"], "error")
    return _Cell(parsed["value"])


# --- rows to a sheet ---------------------------------------------------------------------------


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _sheet_from_rows(
    raw: Iterator[tuple[int, list[_Cell]]], *, filename: str, row_limit: int
) -> Sheet:
    sheet: Sheet | None = None
    names: list[str | None] = []  # per column position: a known column's name, or None
    headings: list[str] = []  # per column position: what the header row says, for messages
    rows_read = last_content = 0
    stopped_after: int | None = None
    indicator_rows = False  # a header of an indicators or readings sheet seen instead
    for number, cells in raw:
        rows_read += 1
        empty = all(cell.kind == "value" and _blank(cell.value) for cell in cells)
        # Blank rows since the last row with content, counting rows the file leaves out.
        if number - last_content - (0 if empty else 1) >= BLANK_ROWS_READ_PAST:
            stopped_after = last_content
            break
        if empty:
            continue
        last_content = number
        if sheet is None:
            header = [normalise_header(cell.value) for cell in cells]
            if set(REQUIRED_COLUMNS) <= set(header):
                sheet, names, headings = _header(number, cells, header, filename)
            indicator_rows = indicator_rows or {"ref", "indicator"} <= set(header)
            continue
        if len(sheet.rows) >= row_limit:
            raise TooManyRows(row_limit)
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
        if indicator_rows:
            raise SpreadsheetError(INDICATORS_NEED_WORKBOOK)
        if stopped_after is not None:
            raise SpreadsheetError(
                f"no header row: no row names both a 'ref' and a 'title' column (reading stopped "
                f"after {BLANK_ROWS_READ_PAST:,} blank rows)"
            )
        raise SpreadsheetError(
            "no header row: no row names both a 'ref' and a 'title' column "
            f"(columns we read: {', '.join(IMPORT_COLUMNS)})"
        )
    sheet.rows_read = rows_read
    if stopped_after is not None:
        sheet.notes.append(BLANK_ROWS_NOTE.format(row=stopped_after, blank=BLANK_ROWS_READ_PAST))
    return sheet


def _header(number: int, cells: list[_Cell], header: list[str], filename: str):
    sheet = Sheet(filename=filename, header_row=number, columns=[])
    names: list[str | None] = []
    headings: list[str] = []
    for position, name in enumerate(header):
        headings.append(name)
        if name in IMPORT_COLUMNS or name in CHECKED_COLUMNS:
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


# --- second sheets -----------------------------------------------------------------------------


@dataclass
class Table:
    """A second sheet (``controls``, ``actions``) read against its own columns."""

    name: str
    header_row: int = 0
    columns: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    rows: list[SheetRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def table_from_rows(
    raw: list, *, name: str, columns: tuple[str, ...], required: tuple[str, ...], aliases: dict
) -> Table | None:
    """The rows of a second sheet under its header row (the first row naming every ``required``
    column; ``aliases`` maps other headings to a column). None when no row is a header."""
    table = Table(name=name)
    names: list[str | None] = []
    for number, cells in raw:
        if not table.header_row:
            header = [normalise_header(cell.value) for cell in cells]
            header = [aliases.get(each, each) for each in header]
            if set(required) <= set(header):
                table.header_row = number
                for position, heading in enumerate(header):
                    if heading in columns and heading not in table.columns:
                        table.columns.append(heading)
                        names.append(heading)
                    else:
                        names.append(None)
                        if heading in columns:
                            table.problems.append(
                                Problem(
                                    number,
                                    heading,
                                    "the column appears more than once; keep one",
                                    name,
                                )
                            )
                        elif heading:
                            table.unknown_columns.append(str(cells[position].value).strip())
            continue
        values: dict[str, object] = {}
        refused: set[str] = set()
        for position, cell in enumerate(cells):
            column = names[position] if position < len(names) else None
            if column is None:
                continue
            if cell.kind == "formula":
                refused.add(column)
                table.problems.append(
                    Problem(number, column, "formulas are not accepted, paste values", name)
                )
            elif cell.kind == "error":
                refused.add(column)
                table.problems.append(
                    Problem(
                        number, column, f"the cell holds an error ({cell.value}), not a value", name
                    )
                )
            else:
                values[column] = cell.value
        if any(not _blank(value) for value in values.values()) or refused:
            table.rows.append(SheetRow(number=number, values=values, refused=refused))
    return table if table.header_row else None
