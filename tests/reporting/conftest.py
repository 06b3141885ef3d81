"""Helpers for the spreadsheet tests: example files, workbooks built in memory, ESPO organisation."""

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from registers.services.organisations import organisation_create
from scoring.definition import parse_scheme

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "examples"


def csv_bytes(rows, *, encoding="utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, *, formulas=()) -> bytes:
    """A workbook holding ``rows``; ``formulas`` are (cell, formula) written as real formulas."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for ref, formula in formulas:
        sheet[ref] = formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def espo(db):
    """An organisation created with the example ESPO scheme file, as the contracts script does."""
    scheme = parse_scheme(json.loads((EXAMPLES / "scheme-espo-5x5.json").read_text()))
    return organisation_create(slug="example", name="Example Org", scheme=scheme)


@pytest.fixture
def example_csv() -> Path:
    return EXAMPLES / "register-example.csv"


@pytest.fixture
def bad_example_csv() -> Path:
    return EXAMPLES / "register-bad-example.csv"
