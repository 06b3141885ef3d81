"""A blank workbook to fill offline (issue 15): the import columns, with drop-down lists (data
validation) of the organisation's registers, categories, members, responses and the register's
scheme levels, so a coordinator cannot type a value the import would refuse.

Two more sheets, ``controls`` and ``actions``, take one control or action a row
(``treatment_sheets``), with drop-down lists of members for the owner, the effectiveness, status,
priority and difficulty choices, and a date check on ``due``. Two more, ``indicators`` and
``readings``, take key risk indicators and their readings (``indicator_sheets``), with drop-down
lists of the direction and frequency choices and members for the owner, a date check on the
reading's ``date`` and number checks on the thresholds and value.

The lists live on a hidden ``Lists`` sheet that each column's validation points at; columns that
take several values in one cell (``objectives``, ``working_leads``, ``controls``, ``actions``) have
no list, as a drop-down would refuse a second value. The values are the ones the import reads:
category names, members' e-mail addresses, register slugs, level labels, choice labels.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from registers.models import (
    ActionStatus,
    Effectiveness,
    Horizon,
    IndicatorDirection,
    IndicatorFrequency,
    Marking,
    Membership,
    Progress,
    Register,
    Scale3,
)
from registers.services.risks import scheme_version_for_register

from .columns import COLUMN_HELP, IMPORT_COLUMNS
from .exporting import CONTENT_TYPES, safe_text
from .indicator_sheets import COLUMNS as INDICATOR_SHEET_COLUMNS
from .indicator_sheets import SHEET_HELP as INDICATOR_SHEET_HELP
from .reading import max_rows
from .treatment_sheets import COLUMNS as SHEET_COLUMNS
from .treatment_sheets import SHEET_HELP

TEMPLATE_CONTENT_TYPE = CONTENT_TYPES["xlsx"]
LIST_ERROR = "Choose a value from the list: the import accepts only these."
REVIEW_MONTHS_ERROR = "A whole number of months from 1 to 60."
NEXT_REVIEW_ERROR = "A date from 01/01/1900 to 31/12/2999."
NUMBER_ERROR = "A number, like 12 or 12.5."
NUMBER_COLUMNS = ("amber_from", "red_from", "value")


def template_filename(register: Register) -> str:
    return f"{register.organisation.slug}-{register.slug}-import-template.xlsx"


def _lists(register: Register) -> dict[str, list[str]]:
    """Each column's allowed values, in the order people expect to see them."""
    organisation = register.organisation
    lists: dict[str, list[str]] = {
        "register": list(organisation.registers.order_by("slug").values_list("slug", flat=True)),
        "category": list(
            organisation.categories.filter(retired_at__isnull=True)
            .order_by("position", "name")
            .values_list("name", flat=True)
        ),
        "owner": sorted(
            Membership.objects.filter(organisation=organisation).values_list(
                "user__email", flat=True
            )
        ),
        "response": list(organisation.response_options),
        "horizon": [label for value, label in Horizon.choices if value],
        "progress": [label for value, label in Progress.choices if value],
        "marking": [label for value, label in Marking.choices if value],
        "emerging": ["yes", "no"],
    }
    lists["manager"] = lists["owner"]
    scheme = scheme_version_for_register(register).parsed
    for position in ("inherent", "current", "target"):
        lists[f"{position}_likelihood"] = [level.label for level in scheme.likelihood]
        lists[f"{position}_impact"] = [level.label for level in scheme.impact]
    return lists


def import_template(*, register: Register) -> bytes:
    """The workbook's bytes. Raises ValidationError when the register has no scoring scheme."""
    lists = _lists(register)
    rows = max_rows() + 1
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Register"
    sheet.append(list(IMPORT_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "B2"
    hidden = workbook.create_sheet("Lists")
    hidden.sheet_state = "hidden"
    list_column = 0
    for index, name in enumerate(IMPORT_COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(14, len(name) + 2)
        target = f"{letter}2:{letter}{rows}"
        validation = _validation(name, lists.get(name), hidden, list_column + 1)
        if validation is None:
            continue
        if name in lists:
            list_column += 1
        validation.add(target)
        sheet.add_data_validation(validation)
    # The controls and actions sheets: one row each, keyed by the risk's ref.
    choices = {
        "owner": lists["owner"],
        "effectiveness": [label for value, label in Effectiveness.choices if value],
        "status": [label for value, label in ActionStatus.choices if value],
        "priority": [label for value, label in Scale3.choices if value],
        "difficulty": [label for value, label in Scale3.choices if value],
        "direction": [str(label) for _value, label in IndicatorDirection.choices],
        "frequency": [str(label) for _value, label in IndicatorFrequency.choices],
    }
    help_of = {**SHEET_HELP, **INDICATOR_SHEET_HELP}
    for sheet_name, columns in {**SHEET_COLUMNS, **INDICATOR_SHEET_COLUMNS}.items():
        second = workbook.create_sheet(sheet_name, index=workbook.index(hidden))
        second.append(list(columns))
        for cell in second[1]:
            cell.font = Font(bold=True)
        second.freeze_panes = "C2"
        for index, name in enumerate(columns, start=1):
            letter = get_column_letter(index)
            wide = name in ("description", "source_of_assurance", "progress", "note")
            second.column_dimensions[letter].width = 50 if wide else max(14, len(name) + 2)
            dated = name == "due" or (sheet_name, name) == ("readings", "date")
            key = "next_review" if dated else f"{sheet_name}.{name}"
            if name in NUMBER_COLUMNS:
                key = "number"
            values = choices.get(name) if not dated else None
            validation = _validation(key, values, hidden, list_column + 1)
            if validation is None:
                continue
            if values:
                list_column += 1
            validation.add(f"{letter}2:{letter}{rows}")
            second.add_data_validation(validation)
    about = workbook.create_sheet("About")
    about.append(["Column", "What it holds"])
    for cell in about[1]:
        cell.font = Font(bold=True)
    for name in IMPORT_COLUMNS:
        about.append([name, COLUMN_HELP[name]])
    for sheet_name, columns in {**SHEET_COLUMNS, **INDICATOR_SHEET_COLUMNS}.items():
        for name in columns:
            about.append([f"{sheet_name}: {name}", help_of[sheet_name][name]])
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _validation(name: str, values, hidden, column: int) -> DataValidation | None:
    if name == "review_months":
        return DataValidation(
            type="whole",
            operator="between",
            formula1="1",
            formula2="60",
            allow_blank=True,
            showErrorMessage=True,
            error=REVIEW_MONTHS_ERROR,
        )
    if name == "next_review":
        return DataValidation(
            type="date",
            operator="between",
            formula1="DATE(1900,1,1)",
            formula2="DATE(2999,12,31)",
            allow_blank=True,
            showErrorMessage=True,
            error=NEXT_REVIEW_ERROR,
        )
    if name == "number":
        return DataValidation(
            type="decimal",
            operator="between",
            formula1="-99999999999",
            formula2="99999999999",
            allow_blank=True,
            showErrorMessage=True,
            error=NUMBER_ERROR,
        )
    if not values:  # a column that takes several values, or an empty list: no drop-down
        return None
    letter = get_column_letter(column)
    hidden.cell(row=1, column=column, value=name)
    for row, value in enumerate(values, start=2):
        hidden.cell(row=row, column=column, value=safe_text(str(value)))
    reference = f"{quote_sheetname('Lists')}!${letter}$2:${letter}${len(values) + 1}"
    return DataValidation(
        type="list",
        formula1=reference,
        allow_blank=True,
        showErrorMessage=True,
        error=LIST_ERROR,
    )
