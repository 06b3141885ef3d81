"""Controls and actions as structured rows (issue 15): a workbook's second sheets ``controls`` and
``actions`` (any case), one row per control or action, keyed by the risk's ``ref``.

- Reading: ``controls`` columns ``ref``, ``description`` (required), ``owner``, ``effectiveness``,
  ``source_of_assurance``; ``actions`` columns ``ref``, ``description`` (required), ``owner``,
  ``due``, ``status``, ``priority``, ``difficulty``, ``progress`` (the progress note). A blank cell
  leaves what is stored as it is, as on the main sheet.
- Planning: the row's ref must be a row of the main sheet (an existing risk needs only its ref
  there); a control or action of that risk with the same description (any case and spacing) is
  updated where a column differs, otherwise a new one is added after the risk's others. Nothing is
  deleted. Problems read ``controls row N: column: problem``; any problem refuses the whole file.
- The main sheet's one-per-line ``controls`` and ``actions`` columns feed the same matching: a line
  whose description is also a row of the second sheet is that row (added once, with its detail);
  other lines are added with their description only, as before (docs/decisions.md).
- Writing goes through ``registers.services.risks_bulk`` (``control_add_many``,
  ``control_update_many``, ``action_add_many``, ``action_update_many``: the rules of
  ``control_add`` and ``control_update``, in bulk) inside the import's transaction, after the
  risks are written.
- Export: the same sheets, in the same columns, so an export imported again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery

from registers.models import (
    Action,
    ActionStatus,
    Control,
    Effectiveness,
    Scale3,
    User,
)
from registers.services.risks_bulk import (
    TreatmentChange,
    action_add_many,
    action_update_many,
    control_add_many,
    control_update_many,
)

from .reading import Problem, Sheet, SheetRow
from .second_sheets import NOT_ON_MAIN_SHEET as NOT_ON_MAIN_SHEET  # re-exported
from .second_sheets import (
    main_sheet_refs,
    read_tables,
    risks_by_ref,
    row_plan_of,
)
from .values import blank, cell_text, fold, parse_date

CONTROL_COLUMNS = ("ref", "description", "owner", "effectiveness", "source_of_assurance")
ACTION_COLUMNS = (
    "ref",
    "description",
    "owner",
    "due",
    "status",
    "priority",
    "difficulty",
    "progress",
)
COLUMNS = {"controls": CONTROL_COLUMNS, "actions": ACTION_COLUMNS}
REQUIRED = ("ref", "description")
ALIASES = {
    "controls": {"assurance": "source_of_assurance", "control": "description"},
    "actions": {"due_date": "due", "progress_note": "progress", "action": "description"},
}
# The model field each column writes.
FIELD_OF = {
    "owner": "owner",
    "effectiveness": "effectiveness",
    "source_of_assurance": "assurance",
    "due": "due_date",
    "status": "status",
    "priority": "priority",
    "difficulty": "difficulty",
    "progress": "progress_note",
}
CHOICES = {
    "effectiveness": (Effectiveness, "effectiveness"),
    "status": (ActionStatus, "status"),
    "priority": (Scale3, "priority"),
    "difficulty": (Scale3, "difficulty"),
}
SHEET_HELP = {
    "controls": {
        "ref": "the risk's reference: a row of the main sheet (an existing risk needs only its ref)",
        "description": "the control; a control of the risk with the same text is updated",
        "owner": "e-mail address or full name of a member",
        "effectiveness": "Effective, Partially effective, Ineffective or Not assessed",
        "source_of_assurance": "where assurance that the control works comes from",
    },
    "actions": {
        "ref": "the risk's reference: a row of the main sheet (an existing risk needs only its ref)",
        "description": "the action; an action of the risk with the same text is updated",
        "owner": "e-mail address or full name of a member",
        "due": "a date: 2027-03-31, 31/03/2027 or a spreadsheet date cell",
        "status": "Not started, In progress, Completed or Cancelled",
        "priority": "Low, Medium or High",
        "difficulty": "Low, Medium or High",
        "progress": "a note of progress so far",
    },
}

ALSO_ON_ROW = "{kind} {description!r} of {ref} is also on {sheet} row {row}; give it one row"
NO_HEADER = (
    "the {sheet} sheet has no header row: no row names both a 'ref' and a 'description' column; "
    "its columns: {columns}"
)
NO_SUCH_CHOICE = "{text!r} is not a valid {what}; use one of: {known}"


@dataclass(frozen=True)
class Change:
    """A field that changes, as ``importing.Change`` (the preview shows both alike)."""

    column: str
    old: str
    new: str
    # The column named without the stored description, for a member who may not read the risk
    # (preview.shown_changes); not part of the plan's fingerprint.
    plain: str = ""


@dataclass
class TreatmentRow:
    """One row of a second sheet: a control or action to add or update."""

    sheet: str  # "controls" | "actions"
    row: int
    ref: str  # the risk's ref as the main sheet's plan has it
    description: str
    fields: dict = field(default_factory=dict)  # model field -> value, the given columns only
    existing: Control | Action | None = None
    expected_version: int | None = None
    position: int = 0
    changes: list = field(default_factory=list)  # importing.Change, for the preview

    @property
    def kind(self) -> str:
        return "control" if self.sheet == "controls" else "action"

    @property
    def action(self) -> str:
        if self.existing is None:
            return "create"
        return "update" if self.fields else "unchanged"


@dataclass
class TreatmentPlan:
    rows: list[TreatmentRow] = field(default_factory=list)

    def of(self, ref: str) -> list[TreatmentRow]:
        return [row for row in self.rows if row.ref.upper() == ref.upper()]

    def writes(self) -> list[TreatmentRow]:
        return [row for row in self.rows if row.action != "unchanged"]

    def fingerprint(self) -> list:
        return [
            [
                row.sheet,
                row.row,
                row.ref,
                row.action,
                row.expected_version,
                [[c.column, c.old, c.new] for c in row.changes],
            ]
            for row in self.writes()
        ]


# --- planning ----------------------------------------------------------------------------------


def _choice(text: str, choices) -> str | None:
    key = fold(text).replace("_", " ")
    for value, label in choices:
        if value and key in (fold(value).replace("_", " "), fold(label)):
            return value
    return None


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def plan_treatment_sheets(*, plan, sheet: Sheet, context) -> None:
    """Judge the second sheets' rows against the main sheet's plan (``importing.ImportPlan``)
    and the organisation; put the rows on ``plan.treatments`` and every problem on
    ``plan.problems``. Writes nothing."""
    tables, problems, notes = read_tables(
        sheet, columns=COLUMNS, required=REQUIRED, aliases=ALIASES, no_header=NO_HEADER
    )
    plan.problems.extend(problems)
    plan.notes.extend(notes)
    if not tables:
        return
    on_main = main_sheet_refs(sheet)
    row_plans = {}
    for row_plan in plan.rows:
        row_plans[row_plan.ref.upper()] = row_plan
    treatments = TreatmentPlan()
    for name in COLUMNS:  # this module's sheets of SECOND_SHEETS
        table = tables.get(name)
        if table is None:
            continue
        seen: dict[tuple[str, str], int] = {}
        planned: dict[str, list[TreatmentRow]] = defaultdict(list)
        for sheet_row in table.rows:
            row = _plan_row(name, sheet_row, context, on_main, row_plans, seen, plan.problems)
            if row is not None:
                planned[row.ref.upper()].append(row)
        for key, rows in planned.items():
            row_plan = row_plans[key]
            _match(name, row_plan, rows)
            treatments.rows.extend(rows)
    plan.treatments = treatments


def _plan_row(name, sheet_row: SheetRow, context, on_main, row_plans, seen, problems):
    number, values = sheet_row.number, sheet_row.values
    errors: list[Problem] = []

    def problem(column: str, message: str) -> None:
        if column not in sheet_row.refused:
            errors.append(Problem(number, column, message, name))

    row_plan = row_plan_of(values, on_main, row_plans, problem)
    description = cell_text(values.get("description"))
    kind = "control" if name == "controls" else "action"
    if not description:
        problem("description", f"required: the {kind}'s text")
    elif row_plan is not None:
        key = (row_plan.ref.upper(), fold(description))
        if key in seen:
            problem(
                "description",
                ALSO_ON_ROW.format(
                    kind=kind.capitalize(),
                    description=_short(description),
                    ref=row_plan.ref,
                    sheet=name,
                    row=seen[key],
                ),
            )
        else:
            seen[key] = number
    given: dict[str, object] = {}
    owner_text = cell_text(values.get("owner"))
    held = _held_owner(row_plan, name, description)
    if owner_text and held is not None and fold(owner_text) == held.email.casefold():
        # As stored, even if they are no longer a member: an export of it imports unchanged.
        given["owner"] = held
    elif owner_text:
        owner = context.person(owner_text, problem=problem, column="owner", row=number, sheet=name)
        if owner is not None:
            given["owner"] = owner
    for column in COLUMNS[name]:
        if column in ("ref", "description", "owner") or blank(values.get(column)):
            continue
        if column == "due":
            try:
                given["due_date"] = parse_date(values[column])
            except ValueError as exc:
                problem(column, str(exc))
        elif column in CHOICES:
            text = cell_text(values[column])
            choices, what = CHOICES[column]
            value = _choice(text, choices.choices)
            if value is None:
                known = ", ".join(label for value, label in choices.choices if value)
                problem(column, NO_SUCH_CHOICE.format(text=text, what=what, known=known))
            else:
                given[FIELD_OF[column]] = value
        else:
            given[FIELD_OF[column]] = cell_text(values[column])
    problems.extend(errors)
    if errors or sheet_row.refused or row_plan is None:
        return None
    return TreatmentRow(
        sheet=name, row=number, ref=row_plan.ref, description=description, fields=given
    )


def _held_owner(row_plan, name: str, description: str) -> User | None:
    """The owner of the risk's control (action) of that description, if it has one."""
    if row_plan is None or row_plan.risk is None or not description:
        return None
    for each in getattr(row_plan.risk, name).all():  # prefetched with the risk
        if fold(each.description) == fold(description):
            return each.owner if each.owner_id else None
    return None


def _stored_owner_matches(existing, value) -> bool:
    return existing.owner_id is not None and value is not None and existing.owner_id == value.pk


def _display(name: str, value) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, User):
        return value.display_name
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    for column, (choices, _what) in CHOICES.items():
        if FIELD_OF[column] == name:
            return str(choices(value).label)
    return str(value)


def _match(name: str, row_plan, rows: list[TreatmentRow]) -> None:
    """Match each row with the risk's control or action of the same description; take the main
    sheet's one-per-line descriptions that a row names off the row plan (the row adds it)."""
    model = Control if name == "controls" else Action
    risk = row_plan.risk
    existing = list(getattr(risk, name).all()) if risk is not None else []
    by_description = {}
    for each in existing:
        by_description.setdefault(fold(each.description), each)
    named = {fold(row.description) for row in rows}
    lines = row_plan.controls if name == "controls" else row_plan.actions
    lines[:] = [line for line in lines if fold(line) not in named]
    if name == "controls":
        position = (row_plan.control_position if risk is not None else 0) + len(lines)
    else:
        position = (row_plan.action_position if risk is not None else 0) + len(lines)
    for row in rows:
        found = by_description.get(fold(row.description))
        if found is None:
            row.position = position
            position += 1
            if name == "controls":
                row_plan.sheet_controls += 1
            else:
                row_plan.sheet_actions += 1
            if risk is not None:  # shown with the risk's other changes (preview and command)
                row_plan.changes.append(
                    Change(f"{row.kind} added ({name} row {row.row})", "(none)", row.description)
                )
            if row_plan.action == "unchanged":
                row_plan.action = "update"
            continue
        row.existing, row.expected_version = found, found.version
        changed = {}
        for field_name, value in row.fields.items():
            stored = getattr(found, field_name)
            if field_name == "owner":
                same = _stored_owner_matches(found, value)
            elif isinstance(stored, str):
                same = stored.replace("\r\n", "\n").strip() == value
            else:
                same = stored == value
            if not same:
                changed[field_name] = value
                label = model._meta.get_field(field_name).verbose_name
                row.changes.append(
                    Change(
                        f"{row.kind} {_short(found.description)!r}: {label}",
                        _display(field_name, stored),
                        _display(field_name, value),
                        plain=f"{row.kind} ({name} row {row.row}): {label}",
                    )
                )
        row.fields = changed
        if changed:
            row_plan.changes.extend(row.changes)
            if row_plan.action == "unchanged":
                row_plan.action = "update"


# --- writing -----------------------------------------------------------------------------------


def apply_treatment_sheets(*, plan, reason: str, by=None) -> None:
    """Write the second sheets' rows, inside the import's transaction, after the risks (new ones
    included) are written, in bulk (``registers.services.risks_bulk``: the queries do not grow
    with the rows; one history record each, naming the file and ``by``). Raises RiskConflict
    when a control or action to update was changed after the file was checked."""
    treatments = getattr(plan, "treatments", None)
    if treatments is None:
        return
    rows = treatments.writes()
    if not rows:
        return
    refs = sorted({row.ref.upper() for row in rows})
    risks = risks_by_ref(plan.organisation, refs)
    added: dict[str, list] = {"controls": [], "actions": []}
    changed: dict[str, list[TreatmentChange]] = {"controls": [], "actions": []}
    for row in rows:
        if row.existing is None:
            model = Control if row.sheet == "controls" else Action
            risk = risks[row.ref.upper()]
            added[row.sheet].append(
                model(risk=risk, description=row.description, position=row.position, **row.fields)
            )
        else:
            changed[row.sheet].append(
                TreatmentChange(
                    pk=row.existing.pk, expected_version=row.expected_version, fields=row.fields
                )
            )
    control_add_many(controls=added["controls"], reason=reason, by=by)
    action_add_many(actions=added["actions"], reason=reason, by=by)
    control_update_many(changes=changed["controls"], reason=reason, by=by)
    action_update_many(changes=changed["actions"], reason=reason, by=by)


def treatment_lines(plan, row_plan, *, dry_run: bool = False) -> list[str]:
    """What the second sheets add to a new risk, for the command's output (an existing risk's
    additions are among its changes)."""
    treatments = getattr(plan, "treatments", None)
    if treatments is None or row_plan.risk is not None:
        return []
    added = "to add" if dry_run else "added"
    lines = []
    for row in treatments.of(row_plan.ref):
        if row.action == "create":
            lines.append(f"{row.kind} {added} ({row.sheet} row {row.row}): {row.description}")
    return lines


# --- export ------------------------------------------------------------------------------------


_EXPORTED = {
    "controls": ("description", "owner", "effectiveness", "assurance"),
    "actions": (
        "description",
        "owner",
        "due_date",
        "status",
        "priority",
        "difficulty",
        "progress_note",
    ),
}


def treatment_records(*, register, risks, as_of: dt.datetime | None) -> dict[str, list[tuple]]:
    """Every control and action of the exported ``risks`` (of ``register`` now, or history
    records as at ``as_of``) as tuples (risk id, description, owner's e-mail, the other columns),
    in order (position, id): one query each, and one for the owners of an export as it stood."""
    found: dict[str, list[tuple]] = {}
    ids = [risk.id for risk in risks]
    for name, model in (("controls", Control), ("actions", Action)):
        names = _EXPORTED[name]
        if as_of is None:
            # The owner's address looked up per row by the users' primary key: joined, a small
            # register's export merged or hashed every user of the installation.
            records = model.objects.filter(risk__register_id=register.id).annotate(
                owner_email=Subquery(
                    User.objects.filter(pk=OuterRef("owner_id")).values("email")[:1]
                )
            )
            columns = [each if each != "owner" else "owner_email" for each in names]
        elif ids:
            records = (
                model.history.filter(history_date__lte=as_of, risk_id__in=ids)
                .latest_of_each()
                .exclude(history_type="-")
            )
            columns = [each if each != "owner" else "owner_id" for each in names]
        else:
            found[name] = []
            continue
        found[name] = list(
            records.order_by("risk_id", "position", "id").values_list("risk_id", *columns)
        )
    if as_of is not None:
        owners = {row[2] for rows in found.values() for row in rows if row[2]}
        emails = (
            dict(User.objects.filter(id__in=owners).values_list("id", "email")) if owners else {}
        )
        for name, rows in found.items():
            found[name] = [(row[0], row[1], emails.get(row[2], ""), *row[3:]) for row in rows]
    return found


def descriptions_by_risk(records: list[tuple]) -> dict[int, list[str]]:
    """Each risk's descriptions in order: the main sheet's one-per-line column."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for risk_id, description, *_rest in records:
        grouped[risk_id].append(description)
    return grouped


def export_sheets(*, risks, records: dict[str, list[tuple]], shown: set[int]) -> dict[str, list]:
    """The ``controls`` and ``actions`` sheets' rows (header first), in the risks' order; a risk
    whose detail is withheld (not in ``shown``) has none."""
    refs = {risk.id: risk.ref for risk in risks}
    order = {risk.id: index for index, risk in enumerate(risks)}
    sheets: dict[str, list] = {}
    for name, found in records.items():
        rows: list[list] = [list(COLUMNS[name])]
        mine = [row for row in found if row[0] in shown and row[0] in order]
        mine.sort(key=lambda row: order[row[0]])  # stable: position order within a risk
        for risk_id, description, email, *rest in mine:
            values = [refs[risk_id], description, email or ""]
            for column, value in zip(COLUMNS[name][3:], rest, strict=True):
                if column in CHOICES:
                    value = str(CHOICES[column][0](value).label) if value else ""
                values.append(value)
            rows.append(values)
        sheets[name] = rows
    return sheets
