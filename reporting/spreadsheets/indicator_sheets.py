"""Key risk indicators and their readings as rows (issue 18): a workbook's sheets ``indicators``
and ``readings`` (any case), keyed by the risk's ``ref`` and the indicator's name.

- Reading: ``indicators`` columns ``ref``, ``indicator`` (the name; both required),
  ``description``, ``unit``, ``direction``, ``amber_from``, ``red_from``, ``frequency``, ``owner``;
  ``readings`` columns ``ref``, ``indicator``, ``date``, ``value`` (all required), ``note``. A
  blank cell leaves what is stored as it is, as on the other sheets.
- Planning: the row's ref must be a row of the main sheet (an existing risk needs only its ref
  there), where its register and the person's right to edit it are checked. An indicator is the
  risk's indicator in use of that name (any case and spacing): updated where a column differs,
  otherwise added (its thresholds then required). A reading names an indicator of its risk in
  use or one the indicators sheet adds; a reading on a day that has one already is unchanged
  when its value (and note, if given) are the same, and otherwise replaces it, the old value
  kept in the reading's history (one reading a day, docs/decisions.md 55). Nothing is deleted.
  Problems read ``readings row N: column: problem``; any problem refuses the whole file.
- Writing goes through ``registers.services.indicators_bulk`` (the rules of ``indicator_add``,
  ``indicator_update`` and ``reading_record`` in bulk: the queries do not grow with the rows)
  inside the import's transaction, after the risks are written.
- Export: the same sheets and columns (indicators in use and their readings, oldest first), so an
  export imported again changes nothing; a risk whose detail is withheld from the person has no
  rows, as on the controls and actions sheets.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Q

from registers.calendar import organisation_today
from registers.models import (
    Indicator,
    IndicatorDirection,
    IndicatorFrequency,
    IndicatorReading,
    Risk,
    User,
)
from registers.services.indicators import (
    INDICATOR_RETIRED,
    READING_DATE_REQUIRED,
    READING_IN_FUTURE,
    READING_VALUE_REQUIRED,
    _check_thresholds,
)
from registers.services.indicators_bulk import (
    IndicatorChange,
    ReadingEntry,
    indicator_add_many,
    indicator_update_many,
    reading_record_many,
)
from registers.withholding import WITHHELD_SHORT

from .reading import Problem, Sheet, SheetRow, Table
from .second_sheets import NOT_ON_MAIN_SHEET as NOT_ON_MAIN_SHEET  # re-exported
from .second_sheets import (
    main_sheet_refs,
    read_tables,
    risks_by_ref,
    row_plan_of,
)
from .values import blank, cell_text, fold, parse_date

INDICATOR_COLUMNS = (
    "ref",
    "indicator",
    "description",
    "unit",
    "direction",
    "amber_from",
    "red_from",
    "frequency",
    "owner",
)
READING_COLUMNS = ("ref", "indicator", "date", "value", "note")
COLUMNS = {"indicators": INDICATOR_COLUMNS, "readings": READING_COLUMNS}
SHEETS = tuple(COLUMNS)
REQUIRED = ("ref", "indicator")
ALIASES = {
    "indicators": {
        "name": "indicator",
        "indicator_name": "indicator",
        "amber": "amber_from",
        "amber_threshold": "amber_from",
        "red": "red_from",
        "red_threshold": "red_from",
    },
    "readings": {
        "name": "indicator",
        "indicator_name": "indicator",
        "taken_on": "date",
        "reading_date": "date",
        "reading": "value",
    },
}
CHOICES = {"direction": IndicatorDirection, "frequency": IndicatorFrequency}
SHEET_HELP = {
    "indicators": {
        "ref": "the risk's reference: a row of the main sheet (an existing risk needs only its ref)",
        "indicator": "the indicator's name; the risk's indicator of that name is updated",
        "description": "what is measured, and how",
        "unit": "%, days, cases, £k ...",
        "direction": "Higher is worse or Higher is better",
        "amber_from": "a number: amber from this value (required for a new indicator)",
        "red_from": "a number: red from this value, beyond amber (required for a new indicator)",
        "frequency": "Weekly, Monthly, Quarterly, Every six months or Yearly",
        "owner": "e-mail address or full name of a member (who enters the readings)",
    },
    "readings": {
        "ref": "the risk's reference: a row of the main sheet (an existing risk needs only its ref)",
        "indicator": "the indicator's name: one of the risk's, or a row of the indicators sheet",
        "date": "the day it was read: 2027-03-31, 31/03/2027 or a spreadsheet date cell",
        "value": "a number; a second reading on the same day replaces the first (history keeps it)",
        "note": "optional",
    },
}
NAME_MAX = Indicator._meta.get_field("name").max_length
UNIT_MAX = Indicator._meta.get_field("unit").max_length
_PLACES = Indicator._meta.get_field("amber_from").decimal_places
_DIGITS = Indicator._meta.get_field("amber_from").max_digits

NO_HEADER = (
    "the {sheet} sheet has no header row: no row names both a 'ref' and an 'indicator' column; "
    "its columns: {columns}"
)
NO_SUCH_CHOICE = "{text!r} is not a valid {what}; use one of: {known}"
NOT_A_NUMBER = "{text!r} is not a number: give digits only, like 12 or 12.5"
TOO_PRECISE = "{text!r} has more than {places} decimal places: round it to {places}"
TOO_LARGE = "{text!r} is too large: at most {digits} digits before the decimal point"
THRESHOLD_REQUIRED = "required for a new indicator"
TOO_LONG = "at most {limit} characters ({length} given)"
INDICATOR_TWICE = "indicator {name!r} of {ref} is also on indicators row {row}; give it one row"
READING_TWICE = (
    "a reading of {name!r} of {ref} on {day} is also on readings row {row}: one reading a day"
)
UNKNOWN_INDICATOR = (
    "{ref} has no indicator {name!r}: add it on the indicators sheet (its indicators: {known})"
)
AMBIGUOUS_INDICATOR = (
    "{ref} has {count} indicators named {name!r}: rename one on the risk's page first"
)


@dataclass(frozen=True)
class Change:
    """A field that changes, as ``importing.Change``."""

    column: str
    old: str
    new: str


@dataclass
class IndicatorRow:
    row: int
    ref: str  # the risk's ref as the main sheet's plan has it
    name: str
    fields: dict = field(default_factory=dict)  # model field -> value: given, or changed
    existing: Indicator | None = None
    expected_version: int | None = None
    position: int = 0
    changes: list[Change] = field(default_factory=list)

    @property
    def action(self) -> str:
        if self.existing is None:
            return "create"
        return "update" if self.fields else "unchanged"


@dataclass
class ReadingRow:
    row: int
    ref: str
    name: str
    taken_on: dt.date
    value: Decimal
    note: str
    indicator: Indicator | None = None  # an indicator in use
    new_indicator: IndicatorRow | None = None  # or one the indicators sheet adds
    existing: IndicatorReading | None = None
    action: str = "create"  # create | update | unchanged

    @property
    def key(self) -> tuple[str, str]:
        return (self.ref.upper(), fold(self.name))


@dataclass
class IndicatorPlan:
    indicators: list[IndicatorRow] = field(default_factory=list)
    readings: list[ReadingRow] = field(default_factory=list)

    def _count(self, rows, action: str) -> int:
        return sum(1 for row in rows if row.action == action)

    @property
    def indicators_added(self) -> int:
        return self._count(self.indicators, "create")

    @property
    def indicators_changed(self) -> int:
        return self._count(self.indicators, "update")

    @property
    def indicators_unchanged(self) -> int:
        return self._count(self.indicators, "unchanged")

    @property
    def readings_added(self) -> int:
        return self._count(self.readings, "create")

    @property
    def readings_changed(self) -> int:
        return self._count(self.readings, "update")

    @property
    def readings_unchanged(self) -> int:
        return self._count(self.readings, "unchanged")

    @property
    def writes(self) -> int:
        return (
            self.indicators_added
            + self.indicators_changed
            + self.readings_added
            + self.readings_changed
        )

    @property
    def summary(self) -> str:
        return (
            f"indicators added {self.indicators_added}, changed {self.indicators_changed}; "
            f"readings added {self.readings_added}, changed {self.readings_changed}"
        )

    def fingerprint(self) -> list:
        return [
            *(
                ["i", row.row, row.ref, row.action, row.expected_version]
                + [[c.column, c.old, c.new] for c in row.changes]
                for row in self.indicators
                if row.action != "unchanged"
            ),
            *(
                ["r", row.row, row.ref, row.action, str(row.value)]
                + [str(row.existing.value) if row.existing else "", row.note]
                for row in self.readings
                if row.action != "unchanged"
            ),
        ]


# --- reading values ----------------------------------------------------------------------------


def parse_number(value: object) -> Decimal:
    """A cell as a Decimal the indicator fields hold, or ValueError saying why not."""
    if isinstance(value, (bool, dt.date, dt.datetime)):
        raise ValueError(NOT_A_NUMBER.format(text=cell_text(value)))
    text = repr(value) if isinstance(value, float) else cell_text(value)
    try:
        number = Decimal(text.replace(" ", ""))
    except InvalidOperation:
        raise ValueError(NOT_A_NUMBER.format(text=cell_text(value))) from None
    if not number.is_finite():
        raise ValueError(NOT_A_NUMBER.format(text=cell_text(value)))
    shown = cell_text(value)
    if number != number.quantize(Decimal(1).scaleb(-_PLACES)):
        raise ValueError(TOO_PRECISE.format(text=shown, places=_PLACES))
    if abs(number) >= Decimal(10) ** (_DIGITS - _PLACES):
        raise ValueError(TOO_LARGE.format(text=shown, digits=_DIGITS - _PLACES))
    return number


def _choice(text: str, choices) -> str | None:
    key = fold(text).replace("_", " ")
    for value, label in choices.choices:
        if key in (fold(value).replace("_", " "), fold(str(label))):
            return value
    return None


def _number_text(value: Decimal | None) -> str:
    if value is None:
        return "(empty)"
    return (
        format(value.normalize(), "f") if value == value.to_integral() else str(value.normalize())
    )


def _display(name: str, value) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, User):
        return value.display_name
    if isinstance(value, Decimal):
        return _number_text(value)
    if name in CHOICES:
        return str(CHOICES[name](value).label)
    return str(value)


# --- planning ----------------------------------------------------------------------------------


class _Known:
    """The indicators of the main sheet's existing risks, and the readings the file's days may
    meet, fetched once for the whole file."""

    def __init__(self, risks: list[Risk], readings_table: Table | None):
        self.of_risk: dict[int, list[Indicator]] = defaultdict(list)
        self.next_position: dict[int, int] = {}
        ids = [risk.pk for risk in risks]
        found = (
            Indicator.objects.filter(risk_id__in=ids)
            .select_related("owner")
            .order_by("risk_id", "position", "id")
            if ids
            else []
        )
        for indicator in found:
            self.of_risk[indicator.risk_id].append(indicator)
        for risk_id, indicators in self.of_risk.items():
            self.next_position[risk_id] = max(each.position for each in indicators) + 1
        self.readings: dict[tuple[int, dt.date], IndicatorReading] = {}
        days = []
        if readings_table is not None:
            for row in readings_table.rows:
                try:
                    days.append(parse_date(row.values.get("date")))
                except ValueError:
                    continue
        in_use = [each.pk for each in found if each.retired_at is None]
        if days and in_use:
            for reading in IndicatorReading.objects.filter(
                indicator_id__in=in_use, taken_on__gte=min(days), taken_on__lte=max(days)
            ):
                self.readings[(reading.indicator_id, reading.taken_on)] = reading

    def named(self, risk: Risk | None, name: str) -> tuple[list[Indicator], list[Indicator]]:
        """The risk's indicators in use of that name, and its retired ones."""
        if risk is None:
            return [], []
        same = [each for each in self.of_risk.get(risk.pk, []) if fold(each.name) == fold(name)]
        return (
            [each for each in same if each.retired_at is None],
            [each for each in same if each.retired_at is not None],
        )

    def names(self, risk: Risk | None) -> list[str]:
        if risk is None:
            return []
        return [each.name for each in self.of_risk.get(risk.pk, []) if each.retired_at is None]


def plan_indicator_sheets(*, plan, sheet: Sheet, context) -> None:
    """Judge the indicators and readings sheets' rows against the main sheet's plan
    (``importing.ImportPlan``) and the organisation; put them on ``plan.indicators`` and every
    problem on ``plan.problems``. Writes nothing."""
    tables, problems, notes = read_tables(
        sheet, columns=COLUMNS, required=REQUIRED, aliases=ALIASES, no_header=NO_HEADER
    )
    plan.problems.extend(problems)
    plan.notes.extend(notes)
    if not tables:
        return
    on_main = main_sheet_refs(sheet)
    row_plans = {row_plan.ref.upper(): row_plan for row_plan in plan.rows}
    known = _Known([row.risk for row in plan.rows if row.risk is not None], tables.get("readings"))
    result = IndicatorPlan()
    added: dict[tuple[str, str], IndicatorRow] = {}  # (ref, folded name): a new indicator
    if "indicators" in tables:
        seen: dict[tuple[str, str], int] = {}
        positions: dict[str, int] = {}
        for sheet_row in tables["indicators"].rows:
            row = _plan_indicator(
                sheet_row, context, on_main, row_plans, known, seen, positions, plan.problems
            )
            if row is not None:
                result.indicators.append(row)
                if row.existing is None:
                    added[(row.ref.upper(), fold(row.name))] = row
    if "readings" in tables:
        seen_days: dict[tuple[str, str, dt.date], int] = {}
        today = organisation_today(plan.organisation)
        for sheet_row in tables["readings"].rows:
            row = _plan_reading(
                sheet_row, on_main, row_plans, known, added, seen_days, today, plan.problems
            )
            if row is not None:
                result.readings.append(row)
    plan.indicators = result


def _problem_for(sheet_name: str, sheet_row: SheetRow, errors: list[Problem]):
    def problem(column: str, message: str) -> None:
        if column not in sheet_row.refused:
            errors.append(Problem(sheet_row.number, column, message, sheet_name))

    return problem


def _plan_indicator(sheet_row, context, on_main, row_plans, known, seen, positions, problems):
    number, values = sheet_row.number, sheet_row.values
    errors: list[Problem] = []
    problem = _problem_for("indicators", sheet_row, errors)
    row_plan = row_plan_of(values, on_main, row_plans, problem)
    name = " ".join(cell_text(values.get("indicator")).split())
    risk = row_plan.risk if row_plan is not None else None
    existing = None
    unknown = False  # a name that neither matches nor can be added: no more problems about it
    if not name:
        problem("indicator", "required: the indicator's name")
    elif len(name) > NAME_MAX:
        problem("indicator", TOO_LONG.format(limit=NAME_MAX, length=len(name)))
    elif row_plan is not None:
        key = (row_plan.ref.upper(), fold(name))
        if key in seen:
            problem(
                "indicator",
                INDICATOR_TWICE.format(name=name, ref=row_plan.ref, row=seen[key]),
            )
        else:
            seen[key] = number
        in_use, retired = known.named(risk, name)
        if len(in_use) > 1:
            problem(
                "indicator",
                AMBIGUOUS_INDICATOR.format(ref=risk.ref, count=len(in_use), name=name),
            )
        elif in_use:
            existing = in_use[0]
        elif retired:
            problem("indicator", INDICATOR_RETIRED)
            unknown = True
    given: dict[str, object] = {}
    for column in ("description", "unit"):
        if not blank(values.get(column)):
            given[column] = cell_text(values[column])
    if len(given.get("unit", "")) > UNIT_MAX:
        problem("unit", TOO_LONG.format(limit=UNIT_MAX, length=len(given["unit"])))
    for column, choices in CHOICES.items():
        text = cell_text(values.get(column))
        if not text:
            continue
        value = _choice(text, choices)
        if value is None:
            known_labels = ", ".join(str(label) for _value, label in choices.choices)
            problem(column, NO_SUCH_CHOICE.format(text=text, what=column, known=known_labels))
        else:
            given[column] = value
    for column in ("amber_from", "red_from"):
        if blank(values.get(column)):
            if existing is None and row_plan is not None and name and not unknown:
                problem(column, THRESHOLD_REQUIRED)
            continue
        try:
            given[column] = parse_number(values[column])
        except ValueError as exc:
            problem(column, str(exc))
    owner_text = cell_text(values.get("owner"))
    if owner_text:
        held = existing.owner if existing is not None and existing.owner_id else None
        if held is not None and fold(owner_text) == held.email.casefold():
            given["owner"] = held  # as stored, even if no longer a member: unchanged
        else:
            owner = context.person(
                owner_text, problem=problem, column="owner", row=number, sheet="indicators"
            )
            if owner is not None:
                given["owner"] = owner
    # The thresholds' order for the direction, as the row leaves them: the service's own rule.
    amber = given.get("amber_from", existing.amber_from if existing is not None else None)
    red = given.get("red_from", existing.red_from if existing is not None else None)
    direction = given.get(
        "direction",
        existing.direction if existing is not None else IndicatorDirection.HIGHER_IS_WORSE,
    )
    if amber is not None and red is not None:
        try:
            _check_thresholds(direction, amber, red)
        except ValidationError as exc:
            problem("red_from", exc.messages[0])
    problems.extend(errors)
    if errors or sheet_row.refused or row_plan is None:
        return None
    row = IndicatorRow(row=number, ref=row_plan.ref, name=name, fields=given)
    if existing is None:
        row.position = positions.get(
            row_plan.ref.upper(), known.next_position.get(risk.pk, 0) if risk else 0
        )
        positions[row_plan.ref.upper()] = row.position + 1
        return row
    row.existing, row.expected_version = existing, existing.version
    changed = {}
    for field_name, value in given.items():
        stored = getattr(existing, field_name)
        if field_name == "owner":
            same = existing.owner_id is not None and existing.owner_id == value.pk
        elif isinstance(stored, str):
            same = stored.replace("\r\n", "\n").strip() == value
        else:
            same = stored == value
        if not same:
            changed[field_name] = value
            label = Indicator._meta.get_field(field_name).verbose_name
            row.changes.append(
                Change(
                    f"indicator {existing.name!r}: {label}",
                    _display(field_name, stored),
                    _display(field_name, value),
                )
            )
    row.fields = changed
    return row


def _plan_reading(sheet_row, on_main, row_plans, known, added, seen, today, problems):
    number, values = sheet_row.number, sheet_row.values
    errors: list[Problem] = []
    problem = _problem_for("readings", sheet_row, errors)
    row_plan = row_plan_of(values, on_main, row_plans, problem)
    risk = row_plan.risk if row_plan is not None else None
    name = " ".join(cell_text(values.get("indicator")).split())
    indicator = new_indicator = None
    if not name:
        problem("indicator", "required: the name of one of the risk's indicators")
    elif row_plan is not None:
        in_use, retired = known.named(risk, name)
        new_indicator = added.get((row_plan.ref.upper(), fold(name)))
        if len(in_use) > 1:
            problem(
                "indicator",
                AMBIGUOUS_INDICATOR.format(ref=risk.ref, count=len(in_use), name=name),
            )
        elif in_use:
            indicator = in_use[0]
        elif new_indicator is None:
            if retired:
                problem("indicator", INDICATOR_RETIRED)
            else:
                names = known.names(risk) + [
                    row.name for (ref, _key), row in added.items() if ref == row_plan.ref.upper()
                ]
                problem(
                    "indicator",
                    UNKNOWN_INDICATOR.format(
                        ref=row_plan.ref, name=name, known=", ".join(names) or "none yet"
                    ),
                )
    taken_on = None
    if blank(values.get("date")):
        problem("date", READING_DATE_REQUIRED)
    else:
        try:
            taken_on = parse_date(values["date"])
        except ValueError as exc:
            problem("date", str(exc))
        else:
            if taken_on > today:
                problem("date", READING_IN_FUTURE)
    value = None
    if blank(values.get("value")):
        problem("value", READING_VALUE_REQUIRED)
    else:
        try:
            value = parse_number(values["value"])
        except ValueError as exc:
            problem("value", str(exc))
    if row_plan is not None and name and taken_on is not None:
        key = (row_plan.ref.upper(), fold(name), taken_on)
        if key in seen:
            problem(
                "date",
                READING_TWICE.format(
                    name=name, ref=row_plan.ref, day=taken_on.strftime("%d/%m/%Y"), row=seen[key]
                ),
            )
        else:
            seen[key] = number
    note = cell_text(values.get("note"))
    problems.extend(errors)
    if errors or sheet_row.refused or row_plan is None:
        return None
    row = ReadingRow(
        row=number,
        ref=row_plan.ref,
        name=indicator.name if indicator is not None else name,
        taken_on=taken_on,
        value=value,
        note=note,
        indicator=indicator,
        new_indicator=new_indicator,
    )
    if indicator is not None:
        row.existing = known.readings.get((indicator.pk, taken_on))
    if row.existing is not None:
        stored_note = row.existing.note.replace("\r\n", "\n").strip()
        same_note = not note or note == stored_note
        row.note = note or stored_note  # a blank note leaves the stored one as it is
        row.action = "unchanged" if row.existing.value == value and same_note else "update"
    return row


# --- writing -----------------------------------------------------------------------------------


def apply_indicator_sheets(*, plan, reason: str, by=None) -> None:
    """Write the indicators and readings, inside the import's transaction, after the risks (new
    ones included) are written, in bulk (``registers.services.indicators_bulk``). Raises
    RiskConflict when an indicator to update was changed after the file was checked."""
    found: IndicatorPlan | None = getattr(plan, "indicators", None)
    if found is None or not found.writes:
        return
    new_rows = [row for row in found.indicators if row.action == "create"]
    changed_rows = [row for row in found.indicators if row.action == "update"]
    reading_rows = [row for row in found.readings if row.action != "unchanged"]
    refs = sorted({row.ref.upper() for row in [*new_rows, *changed_rows, *reading_rows]})
    risks = risks_by_ref(plan.organisation, refs)
    created = indicator_add_many(
        indicators=[
            Indicator(
                risk=risks[row.ref.upper()],
                name=row.name,
                position=row.position,
                **{"direction": IndicatorDirection.HIGHER_IS_WORSE, **row.fields},
            )
            for row in new_rows
        ],
        reason=reason,
        by=by,
    )
    made = {id(row): indicator for row, indicator in zip(new_rows, created, strict=True)}
    indicator_update_many(
        changes=[
            IndicatorChange(
                pk=row.existing.pk, expected_version=row.expected_version, fields=row.fields
            )
            for row in changed_rows
        ],
        reason=reason,
        by=by,
    )
    entries = []
    for row in reading_rows:
        indicator = made[id(row.new_indicator)] if row.new_indicator else row.indicator
        indicator.risk = risks[row.ref.upper()]  # with its register, for the archive rule
        entries.append(
            ReadingEntry(indicator=indicator, taken_on=row.taken_on, value=row.value, note=row.note)
        )
    reading_record_many(entries=entries, reason=reason, by=by)


def indicator_counts(plan) -> dict[str, int]:
    """The preview's counts of indicators and readings to add and change (zeros without the
    sheets)."""
    found: IndicatorPlan | None = getattr(plan, "indicators", None)
    return {
        "indicators_added": found.indicators_added if found else 0,
        "indicators_changed": found.indicators_changed if found else 0,
        "readings_added": found.readings_added if found else 0,
        "readings_changed": found.readings_changed if found else 0,
    }


PREVIEW_ROWS = 200


def preview_rows(plan, *, can_see) -> list[dict]:
    """The indicators and readings the import adds or changes, for the import page: the first
    PREVIEW_ROWS, each a sheet row, its ref and what it does. ``can_see(risk)`` is the member's
    OFFICIAL-SENSITIVE clearance for an existing risk: for one they may not read, what an
    indicator is called and holds is withheld (``WITHHELD_SHORT``), as it is in the export."""
    found: IndicatorPlan | None = getattr(plan, "indicators", None)
    if found is None:
        return []
    risks = {row.ref.upper(): row.risk for row in plan.rows}
    shown: list[dict] = []
    for sheet, rows in (("indicators", found.indicators), ("readings", found.readings)):
        for row in rows:
            if row.action == "unchanged":
                continue
            if len(shown) >= PREVIEW_ROWS:
                return shown
            risk = risks.get(row.ref.upper())
            withheld = risk is not None and not can_see(risk)
            if withheld:
                what, old, new = WITHHELD_SHORT, "", ""
            elif sheet == "indicators" and row.action == "create":
                what, old, new = f"new indicator {row.name}", "(none)", _new_indicator_text(row)
            elif sheet == "indicators":
                what = "; ".join(change.column for change in row.changes)
                old = "; ".join(change.old for change in row.changes)
                new = "; ".join(change.new for change in row.changes)
            else:
                what = f"reading of {row.name} on {row.taken_on.strftime('%d/%m/%Y')}"
                old = _number_text(row.existing.value) if row.existing else "(none)"
                new = _number_text(row.value)
            shown.append(
                {
                    "where": f"{sheet} row {row.row}",
                    "ref": row.ref,
                    "action": "add" if row.action == "create" else "change",
                    "what": what,
                    "old": old,
                    "new": new,
                }
            )
    return shown


def _new_indicator_text(row: IndicatorRow) -> str:
    direction = row.fields.get("direction", IndicatorDirection.HIGHER_IS_WORSE)
    parts = [
        str(IndicatorDirection(direction).label),
        f"amber from {_number_text(row.fields.get('amber_from'))}",
        f"red from {_number_text(row.fields.get('red_from'))}",
    ]
    if row.fields.get("frequency"):
        parts.append(str(IndicatorFrequency(row.fields["frequency"]).label))
    return ", ".join(parts)


def indicator_lines(plan, *, dry_run: bool = False) -> list[str]:
    """What the sheets do, a line an indicator or reading written, for the command's output."""
    found: IndicatorPlan | None = getattr(plan, "indicators", None)
    if found is None:
        return []
    added, changed = ("to add", "to change") if dry_run else ("added", "changed")
    lines = []
    for row in found.indicators:
        if row.action == "create":
            lines.append(f"indicators row {row.row}: indicator {added}: {row.ref} {row.name}")
        elif row.action == "update":
            parts = "; ".join(f"{c.column}: {c.old} -> {c.new}" for c in row.changes)
            lines.append(f"indicators row {row.row}: {row.ref} {parts}")
    for row in found.readings:
        day = row.taken_on.strftime("%d/%m/%Y")
        if row.action == "create":
            lines.append(
                f"readings row {row.row}: reading {added}: {row.ref} {row.name} {day} "
                f"{_number_text(row.value)}"
            )
        elif row.action == "update":
            lines.append(
                f"readings row {row.row}: reading {changed}: {row.ref} {row.name} {day} "
                f"{_number_text(row.existing.value)} -> {_number_text(row.value)}"
            )
    return lines


# --- export ------------------------------------------------------------------------------------


def indicator_records(*, register, risks, as_of: dt.datetime | None) -> dict[str, list[tuple]]:
    """The exported ``risks``' (of ``register`` now, or history records as at ``as_of``)
    indicators in use (now, or as they stood at ``as_of``) as tuples
    (risk id, indicator id, name, description, unit, direction, amber, red, frequency, owner's
    e-mail) in order, and their readings (indicator id, date, value, note), oldest first: one
    query now; as it stood, a query each and one for the owners."""
    ids = [risk.id for risk in risks]
    if not ids:
        return {"indicators": [], "readings": []}
    names = ["name", "description", "unit", "direction", "amber_from", "red_from", "frequency"]
    if as_of is None:
        # One query for both: each indicator joined with its readings (none: one row of nulls).
        joined = (
            Indicator.objects.filter(risk__register_id=register.id, retired_at__isnull=True)
            .order_by("risk_id", "position", "id", "readings__taken_on")
            .values_list(
                "risk_id",
                "id",
                *names,
                "owner__email",
                "readings__taken_on",
                "readings__value",
                "readings__note",
            )
        )
        indicators, readings = [], []
        for row in joined:
            if not indicators or indicators[-1][1] != row[1]:
                indicators.append(row[:-3])
            if row[-3] is not None:
                readings.append((row[1], *row[-3:]))
        return {"indicators": indicators, "readings": readings}
    records = list(
        Indicator.history.filter(history_date__lte=as_of, risk_id__in=ids)
        .latest_of_each()
        .exclude(history_type="-")
        .filter(Q(retired_at__isnull=True) | Q(retired_at__gt=as_of))
        .order_by("risk_id", "position", "id")
        .values_list("risk_id", "id", *names, "owner_id")
    )
    owners = {row[-1] for row in records if row[-1]}
    emails = dict(User.objects.filter(id__in=owners).values_list("id", "email")) if owners else {}
    indicators = [(*row[:-1], emails.get(row[-1], "")) for row in records]
    readings_qs = (
        IndicatorReading.history.filter(
            history_date__lte=as_of, indicator_id__in=[row[1] for row in indicators]
        )
        .latest_of_each()
        .exclude(history_type="-")
    )
    readings = list(
        readings_qs.order_by("indicator_id", "taken_on").values_list(
            "indicator_id", "taken_on", "value", "note"
        )
    )
    return {"indicators": indicators, "readings": readings}


def export_sheets(*, risks, records: dict[str, list[tuple]], shown: set[int]) -> dict[str, list]:
    """The ``indicators`` and ``readings`` sheets' rows (header first), in the risks' order; a
    risk whose detail is withheld (not in ``shown``) has none."""
    refs = {risk.id: risk.ref for risk in risks}
    order = {risk.id: index for index, risk in enumerate(risks)}
    mine = [row for row in records["indicators"] if row[0] in shown and row[0] in order]
    mine.sort(key=lambda row: order[row[0]])  # stable: position order within a risk
    indicator_rows: list[list] = [list(INDICATOR_COLUMNS)]
    of_indicator: dict[int, tuple[int, str]] = {}
    for risk_id, pk, name, description, unit, direction, amber, red, frequency, email in mine:
        of_indicator[pk] = (risk_id, name)
        indicator_rows.append(
            [
                refs[risk_id],
                name,
                description,
                unit,
                str(IndicatorDirection(direction).label),
                amber,
                red,
                str(IndicatorFrequency(frequency).label),
                email or "",
            ]
        )
    position = {pk: index for index, pk in enumerate(of_indicator)}
    reading_rows: list[list] = [list(READING_COLUMNS)]
    readings = [row for row in records["readings"] if row[0] in of_indicator]
    readings.sort(key=lambda row: position[row[0]])  # stable: oldest first within one
    for pk, taken_on, value, note in readings:
        risk_id, name = of_indicator[pk]
        reading_rows.append([refs[risk_id], name, taken_on, value, note])
    return {"indicators": indicator_rows, "readings": reading_rows}
