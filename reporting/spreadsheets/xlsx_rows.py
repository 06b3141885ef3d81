"""A write-only worksheet whose rows go straight to the sheet's XML, one element a row.

openpyxl's write-only sheet (3.1) makes a cell object for every value, infers its type, looks up
its style's number and writes it through three nested ``xmlfile`` elements: at 10,000 risks, the
register, controls and actions sheets hold some 800,000 cells, and that was four fifths of an
xlsx export's time (csv, the same rows, took a fifth of it). Here a row is built as one lxml
element (C calls, no cell objects) and written as the cell writer would write it: the same
``<c>`` attributes in the same order, inline strings, numbers as ``%.16g``, dates as Excel serial
numbers, error codes as errors, style numbers given out in the order the cells are written.
tests/reporting/test_export_xlsx_rows.py compares the sheets' XML with openpyxl's, byte for byte.
"""

from __future__ import annotations

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import _TYPES, ERROR_CODES, get_type
from openpyxl.compat import safe_string
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.xml.functions import Element, SubElement  # the sheet writer's own (lxml's)

_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_LONGEST_TEXT = 32767  # Excel's limit; openpyxl cuts a longer text there too
_ERRORS = frozenset(ERROR_CODES)


class RowsSheet(WriteOnlyWorksheet):
    """Rows of values, each with its style (a ``StyleArray`` or None) beside it, written as they
    come (``write``). Text is written as given: its caller has taken out the characters a
    worksheet cannot hold (``ILLEGAL_CHARACTERS_RE``) and made formulas text (``safe_text``)."""

    def __init__(self, parent, title):
        super().__init__(parent, title)
        self._letters: list[str] = []
        # By the style object's identity (each caller's few styles, given to many cells): a
        # style array's hash is a tuple's. The object is kept beside its number, so its id is
        # never another's.
        self._style_ids: dict[int, tuple[StyleArray, str]] = {}
        self._date_styles: dict[type, StyleArray] = {}

    @classmethod
    def add_to(cls, workbook, title: str) -> RowsSheet:
        sheet = cls(parent=workbook, title=title)
        workbook._add_sheet(sheet)
        return sheet

    def write(self, values, styles) -> None:
        """Write one row: ``styles[i]`` is the style of ``values[i]`` (None: no style)."""
        self._get_writer()
        if self._rows is None:
            self._rows = self._write_rows()
            next(self._rows)
        self._rows.send((values, styles))

    def append(self, row):
        raise TypeError("RowsSheet takes rows through write(values, styles)")

    def _write_rows(self):
        """openpyxl's own ``_write_rows``, with each row written as one element."""
        try:
            xf = self._writer.xf.send(True)
        except StopIteration:
            self._already_saved()
        with xf.element("sheetData"):
            row_idx = 1
            try:
                while True:
                    values, styles = yield
                    xf.write(self._row(values, styles, row_idx))
                    row_idx += 1
            except GeneratorExit:
                pass
        self._writer.xf.send(None)

    def _style_id(self, style: StyleArray) -> str:
        """The workbook's number for ``style``, given out at its first cell (as a cell's
        ``style_id`` is when openpyxl writes it)."""
        known = self._style_ids.get(id(style))
        if known is None:
            known = self._style_ids[id(style)] = (style, str(self.parent._cell_styles.add(style)))
        return known[1]

    def _date_style(self, value) -> StyleArray:
        style = self._date_styles.get(type(value))
        if style is None:
            style = self._date_styles[type(value)] = WriteOnlyCell(self, value)._style
        return style

    def _row(self, values, styles, row_idx: int):
        if len(styles) != len(values):
            raise ValueError(f"row {row_idx}: {len(values)} values but {len(styles)} styles")
        number = str(row_idx)
        row = Element("row", r=number)
        letters = self._letters
        if len(letters) < len(values):
            letters.extend(get_column_letter(n) for n in range(len(letters) + 1, len(values) + 1))
        for letter, value, style in zip(letters, values, styles, strict=False):  # letters: longer
            if type(value) is str:
                value = value[:_LONGEST_TEXT]
                kind = "e" if value in _ERRORS else "inlineStr"
            elif value is None:
                if style is not None:  # a start and an end tag, as openpyxl writes it
                    SubElement(
                        row, "c", r=letter + number, s=self._style_id(style), t="n"
                    ).text = ""
                continue
            else:
                kind = _TYPES.get(type(value)) or get_type(type(value), value)
                if kind == "d":
                    if style is None:  # openpyxl gives a date a date format of its own
                        style = self._date_style(value)
                    kind, value = "n", to_excel(value, self.parent.epoch)
                elif kind is None:
                    raise ValueError(f"Cannot convert {value!r} to Excel")
            if style is None:
                cell = SubElement(row, "c", r=letter + number, t=kind)
            else:
                cell = SubElement(row, "c", r=letter + number, s=self._style_id(style), t=kind)
            if value == "":
                cell.text = ""  # an empty cell element, as openpyxl writes an empty text
                continue
            if kind == "inlineStr":
                text = SubElement(SubElement(cell, "is"), "t")
                if value != value.strip():
                    text.set(_SPACE, "preserve")
                text.text = value
            else:
                SubElement(cell, "v").text = safe_string(value)
        if not len(row):
            row.text = ""  # a start and an end tag, as openpyxl writes a row of no cells
        return row
