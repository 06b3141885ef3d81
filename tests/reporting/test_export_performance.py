"""The export reads controls' and actions' descriptions as values (issue 6: building 60,000 model
objects for a 10,000-risk register took seconds): the same text, in the same order, per risk; and
the workbook's cell styles are set once and copied, with the same result in every cell."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from registers.models import Risk
from registers.services.risks import action_add, control_add
from reporting.spreadsheets.exporting import WIDE_COLUMNS, register_export, to_xlsx
from tests.factories import RegisterFactory, RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db


def test_each_risk_lists_its_own_controls_and_actions_in_position_order(organisation):
    register = corporate_register_of(organisation)
    other = RegisterFactory(organisation=organisation, parent=register)
    first = RiskFactory(register=register, ref="R1")
    second = RiskFactory(register=register, ref="R2")
    bare = RiskFactory(register=register, ref="R3")
    elsewhere = RiskFactory(register=other, ref="X1")
    control_add(risk=first, description="Second by position", position=2)
    control_add(risk=first, description="First by position", position=1)
    control_add(risk=second, description="Only control")
    action_add(risk=second, description="Later action", position=5)
    action_add(risk=second, description="Earlier action", position=0)
    control_add(risk=elsewhere, description="Not on this register")
    export = register_export(register=register)
    header = list(export.header)
    cells = {
        row[header.index("ref")]: (row[header.index("controls")], row[header.index("actions")])
        for row in export.rows
    }
    assert cells == {
        "R1": ("First by position\nSecond by position", ""),
        "R2": ("Only control", "Earlier action\nLater action"),
        "R3": ("", ""),
    }
    assert bare.pk and elsewhere.pk


def test_xlsx_cells_keep_their_styles_when_copied(organisation):
    register = corporate_register_of(organisation)
    for n in range(3):
        risk = RiskFactory(register=register, ref=f"R{n}", description=f"Cause {n}")
        Risk.objects.filter(pk=risk.pk).update(next_review_due=dt.date(2026, 6, n + 1))
        control_add(risk=risk, description=f"Control of {n}")
    sheet = load_workbook(io.BytesIO(to_xlsx(register_export(register=register))))["Register"]
    header = [cell.value for cell in sheet[1]]
    assert all(cell.font.bold for cell in sheet[1])
    for row in sheet.iter_rows(min_row=2):
        for name, cell in zip(header, row, strict=True):
            assert cell.alignment.vertical == "top", (name, cell.coordinate)
            assert bool(cell.alignment.wrap_text) == (name in WIDE_COLUMNS), name
            if name == "next_review":
                assert cell.number_format == "dd/mm/yyyy" and cell.value.day in (1, 2, 3)
            elif isinstance(cell.value, str):
                assert cell.number_format == "General"
    assert sheet.max_row == 4 and sheet.freeze_panes == "B2"
