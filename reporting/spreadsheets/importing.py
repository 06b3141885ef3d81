"""Import a register from a spreadsheet: every row validated into a plan, then applied whole.

``import_plan`` reads the file and judges every row against the organisation (its categories,
members, responses) and the register's scoring scheme, without writing anything. Each row becomes
a create, an update (with the fields that change, old and new) or unchanged; every problem is
collected as ``row N: column: problem``. ``import_apply`` writes a plan with no problems in one
transaction through ``registers.services.risks``: all rows or none. Nothing is ever deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.db.models.functions import Upper

from registers.models import (
    Action,
    Control,
    Horizon,
    Marking,
    Objective,
    Organisation,
    Progress,
    Register,
    Risk,
    User,
)
from registers.models.risks import TITLE_ONE_LINE
from registers.refs import ref_clean, ref_saved_as
from registers.services.register_archive import archived_message
from registers.services.risks import (
    RETIRED_NOT_GIVEN,
    RiskConflict,
    scheme_version_for_register,
)
from registers.services.risks_bulk import (
    NewRisk,
    RiskChange,
    action_add_many,
    control_add_many,
    risk_create_many,
    risk_update_many,
)
from riskreg.one_line import is_one_line
from scoring.definition import SchemeDefinition
from scoring.engine import RatingError, level_for, rate

from .columns import POSITIONS
from .indicator_sheets import apply_indicator_sheets, indicator_lines, plan_indicator_sheets
from .invites import Invites, invites_send
from .preview import shown_changes
from .rag import rag_problem
from .reading import Problem, Sheet, SheetRow, read_spreadsheet
from .treatment_sheets import apply_treatment_sheets, plan_treatment_sheets, treatment_lines
from .values import (
    Members,
    NotAMember,
    blank,
    cell_items,
    cell_lines,
    cell_text,
    fold,
    level_token,
    parse_date,
    text_as_read,
)

REF_MAX = Risk._meta.get_field("ref").max_length
TITLE_MAX = Risk._meta.get_field("title").max_length
TEXT_FIELDS = ("title", "description", "consequence")
PROGRESS_EVERY = 250  # rows, between two reports of a background check's progress


# The register column (DESIGN.md, "Spreadsheet columns"): a row goes to the register it names,
# or to the one imported into; an existing risk stays on its own register.
NO_SUCH_REGISTER = 'no register "{name}" in {organisation}; registers: {known}'
REGISTER_ELSEWHERE = "{ref} is on the {register} register; move it on its page"
REGISTER_NOT_EDITED = (
    "you do not edit the {register} register, so its risks cannot be imported here "
    "(registers you edit: {editable})"
)
NO_SUCH_OBJECTIVE = "{text!r} is not an objective here (objectives: {known})"
# The risk services' rule and words: a retired category or objective stays on the risks that have
# it and is given to no other.
RETIRED = RETIRED_NOT_GIVEN
NO_SUCH_CHOICE = "{text!r} is not a {what} here; use one of: {known}"
EMERGING_YES_NO = "give yes or no ({text!r} given)"
YES_NO = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False}
YES_NO |= {"false": False, "0": False}
REVIEW_MONTHS_RANGE = "give a whole number of months from 1 to 60, like 6 ({text!r} given)"

REF_CREATED_MEANWHILE = (
    "row {row}: ref: {ref} was created by someone else while this import ran; nothing was "
    "imported, run it again"
)
CHANGED_MEANWHILE = (
    "the register was changed by someone else while this import ran; nothing was imported, "
    "run it again"
)


class ImportRefused(Exception):
    """The plan has problems, or the register changed while it was applied; nothing was written."""

    def __init__(self, problems: list[str], *, stale: bool = False):
        self.problems = problems
        self.stale = stale
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Change:
    column: str
    old: str
    new: str


@dataclass
class RowPlan:
    row: int
    ref: str
    title: str
    action: str  # "create" | "update" | "unchanged"
    register: Register | None = None  # where the row's risk is (or will be)
    risk: Risk | None = None
    expected_version: int | None = None
    fields: dict = field(default_factory=dict)
    positions: dict = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    controls: list[str] = field(default_factory=list)  # to add
    actions: list[str] = field(default_factory=list)  # to add
    objectives: list[Objective] | None = None  # the risk's objectives as they will be; None: as is
    leads: list[User] | None = None  # the working leads as they will be; None: as they are
    control_position: int = 0
    action_position: int = 0
    current: str = ""  # the current rating as it will be, for the preview
    # Controls and actions a workbook's controls and actions sheets add (treatment_sheets).
    sheet_controls: int = 0
    sheet_actions: int = 0

    @property
    def adds(self) -> bool:
        return bool(self.controls or self.actions)

    @property
    def controls_added(self) -> int:
        """Every control the row adds: its column's lines and its controls sheet's rows."""
        return len(self.controls) + self.sheet_controls

    @property
    def actions_added(self) -> int:
        return len(self.actions) + self.sheet_actions


@dataclass
class ImportPlan:
    organisation: Organisation
    register: Register
    filename: str
    file_sha256: str
    rows: list[RowPlan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The workbook's controls and actions sheets (treatment_sheets.TreatmentPlan), if any.
    treatments: object | None = None
    # The workbook's indicators and readings sheets (indicator_sheets.IndicatorPlan), if any.
    indicators: object | None = None
    # With the invite option: who to invite (invites.Invites), and who invites them.
    invites: object | None = None
    invited_by: User | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def of(self, action: str) -> list[RowPlan]:
        return [row for row in self.rows if row.action == action]

    @property
    def created(self) -> list[RowPlan]:
        return self.of("create")

    @property
    def updated(self) -> list[RowPlan]:
        return self.of("update")

    @property
    def unchanged(self) -> list[RowPlan]:
        return self.of("unchanged")

    @property
    def summary(self) -> str:
        text = (
            f"created {len(self.created)}, updated {len(self.updated)}, "
            f"unchanged {len(self.unchanged)}"
        )
        if self.indicators is not None and self.indicators.writes:
            text += f"; {self.indicators.summary}"
        return text

    @property
    def writes(self) -> int:
        """Risks created or updated, and indicators and readings added or changed."""
        indicators = self.indicators.writes if self.indicators is not None else 0
        return len(self.created) + len(self.updated) + indicators

    def problems_by_row(self) -> list[tuple[int | str, list[Problem]]]:
        """Problems grouped by row: the main sheet's keyed by row number, a second sheet's by
        "controls 4" (its name and row number)."""
        grouped: dict[tuple[str, int], list[Problem]] = defaultdict(list)
        for problem in self.problems:
            grouped[(problem.sheet, problem.row)].append(problem)
        return [
            (f"{sheet} {row}" if sheet else row, problems)
            for (sheet, row), problems in sorted(grouped.items())
        ]

    @property
    def fingerprint(self) -> str:
        """Changes whenever what the preview shows, or any risk it touches, has changed since."""
        content = {
            "file": self.file_sha256,
            "rows": [
                [
                    row.row,
                    row.ref,
                    row.register.slug if row.register else "",
                    row.action,
                    row.expected_version,
                    [[c.column, c.old, c.new] for c in row.changes],
                    row.controls,
                    row.actions,
                ]
                for row in self.rows
            ],
            "problems": [str(problem) for problem in self.problems],
            "treatments": self.treatments.fingerprint() if self.treatments else [],
            "indicators": self.indicators.fingerprint() if self.indicators else [],
            "invites": self.invites.fingerprint() if self.invites else [],
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


# --- planning ----------------------------------------------------------------------------------


def import_plan(
    *,
    register: Register,
    data: bytes,
    filename: str,
    for_browser: bool = False,
    can_edit: Callable[[Register], bool] | None = None,
    invite: bool = False,
    invited_by: User | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Read and validate the whole file; write nothing. Raises SpreadsheetError for a file that
    cannot be read at all (TooBigForBrowser past the browser's limits, ``for_browser``); every
    row-level problem is in ``plan.problems``.

    ``register`` is where rows that name no register go; ``can_edit`` (the browser's
    ``access.can_edit_register``) makes a row for a register the person does not edit a problem.
    """
    sheet = read_spreadsheet(data=data, filename=filename, for_browser=for_browser)
    return plan_from_sheet(
        register=register,
        sheet=sheet,
        file_sha256=hashlib.sha256(data).hexdigest(),
        can_edit=can_edit,
        invite=invite,
        invited_by=invited_by,
        progress=progress,
    )


def plan_from_sheet(
    *,
    register: Register,
    sheet: Sheet,
    file_sha256: str = "",
    can_edit: Callable[[Register], bool] | None = None,
    invite: bool = False,
    invited_by: User | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """``invite``: addresses that are no member's are invited (``invites``), not problems.
    ``progress`` is told how many rows are checked, every PROGRESS_EVERY rows."""
    organisation = register.organisation
    plan = ImportPlan(
        organisation=organisation,
        register=register,
        filename=sheet.filename,
        file_sha256=file_sha256,
        problems=list(sheet.problems),
        notes=list(sheet.notes),
    )
    if sheet.unknown_columns:
        plan.notes.append(
            "These columns are not ones we import and were left out: "
            + ", ".join(repr(name) for name in sheet.unknown_columns)
        )
    if not sheet.rows:
        plan.notes.append("The file has a header row but no risks below it.")
    try:
        scheme = scheme_version_for_register(register).parsed
    except ValidationError as exc:
        plan.problems.append(Problem(sheet.header_row, "register", "; ".join(exc.messages)))
        return plan
    context = _Context(
        organisation=organisation, register=register, scheme=scheme, sheet=sheet, can_edit=can_edit
    )
    if invite:
        context.invites = plan.invites = Invites(organisation)
        plan.invited_by = invited_by
    seen: dict[str, int] = {}
    for number, sheet_row in enumerate(sheet.rows, 1):
        row_plan = _plan_row(sheet_row, context, seen, plan.problems)
        if row_plan is not None:
            plan.rows.append(row_plan)
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number)
    plan.notes.extend(context.notes)
    # The controls and actions sheets (their own module), judged against the rows above.
    plan_treatment_sheets(plan=plan, sheet=sheet, context=context)
    plan_indicator_sheets(plan=plan, sheet=sheet, context=context)  # and key risk indicators
    if plan.problems:
        # The main sheet's problems first, then each second sheet's, each by row.
        plan.problems.sort(key=lambda problem: (problem.sheet, problem.row))
    return plan


def _saved_ref(ref: str) -> str:
    try:
        return ref_clean(ref)
    except ValidationError:
        return ref


class _Context:
    """What every row is judged against, fetched once for the whole file."""

    def __init__(
        self,
        *,
        organisation: Organisation,
        register: Register,
        scheme: SchemeDefinition,
        sheet: Sheet,
        can_edit: Callable[[Register], bool] | None = None,
    ):
        self.organisation = organisation
        self.register = register
        self.scheme = scheme
        self.can_edit = can_edit
        self.categories = {
            fold(category.name): category for category in organisation.categories.all()
        }
        self.registers = list(organisation.registers.order_by("slug"))
        # A slug wins over another register's name that happens to read the same.
        self.registers_by_key: dict[str, Register] = {}
        for each in self.registers:
            self.registers_by_key.setdefault(fold(each.name), each)
        for each in self.registers:
            self.registers_by_key[each.slug.casefold()] = each
        self._schemes: dict[int, SchemeDefinition | str] = {register.id: scheme}
        self.objectives = list(organisation.objectives.order_by("position", "code"))
        self.objectives_by_key: dict[str, Objective] = {}
        for objective in self.objectives:
            self.objectives_by_key.setdefault(fold(objective.name), objective)
        for objective in self.objectives:
            self.objectives_by_key[fold(objective.code)] = objective
        self.responses = {option.casefold(): option for option in organisation.response_options}
        self.risks = self._existing_risks(sheet)
        self._members: Members | None = None
        self.notes: list[str] = []
        self.invites: Invites | None = None  # with the invite option

    def _existing_risks(self, sheet: Sheet) -> dict[str, Risk]:
        typed = {cell_text(row.values.get("ref")) for row in sheet.rows} - {""}
        # A ref as typed (older data may hold "OLD 1") and as it would be saved ("OLD-1").
        refs = {ref.upper() for ref in typed} | {_saved_ref(ref).upper() for ref in typed}
        found: dict[str, Risk] = {}
        ordered = sorted(refs)
        for start in range(0, len(ordered), 1000):
            chunk = ordered[start : start + 1000]
            risks = (
                Risk.objects.filter(organisation=self.organisation)
                .annotate(ref_upper=Upper("ref"))
                .filter(ref_upper__in=chunk)
                .select_related("register", "category", "owner", "manager", "scheme_version")
                .prefetch_related(
                    # Owners with them: the second sheets compare and show them (no query each).
                    Prefetch(
                        "controls",
                        queryset=Control.objects.select_related("owner").order_by("position", "id"),
                    ),
                    Prefetch(
                        "actions",
                        queryset=Action.objects.select_related("owner").order_by("position", "id"),
                    ),
                    "objectives",
                    "leads",
                )
            )
            found.update({risk.ref.upper(): risk for risk in risks})
        return found

    @property
    def members(self) -> Members:
        if self._members is None:
            self._members = Members(self.organisation)
        return self._members

    def person(self, text: str, *, problem, column: str, row: int, sheet: str = "") -> User | None:
        """The member ``text`` names, or None after reporting the problem through ``problem``.
        With the invite option, an address that is no member's is planned as an invitation
        instead (``invites``), and None returned: nobody is assigned until they accept, whether
        or not the address has an account (decision 113)."""
        try:
            return self.members.find(text)
        except NotAMember as exc:
            if self.invites is not None and exc.email:
                self.invites.add(exc.email, row=row, column=column, sheet=sheet)
                return None
            problem(column, str(exc))
        except ValueError as exc:
            problem(column, str(exc))
        return None

    def scheme_for(self, register: Register) -> SchemeDefinition | str:
        """The register's scheme, or why it has none (a message), fetched once per register."""
        if register.id not in self._schemes:
            try:
                self._schemes[register.id] = scheme_version_for_register(register).parsed
            except ValidationError as exc:
                self._schemes[register.id] = "; ".join(exc.messages)
        return self._schemes[register.id]

    def no_such_register(self, text: str) -> str:
        known = ", ".join(each.slug for each in self.registers)
        return NO_SUCH_REGISTER.format(name=text, organisation=self.organisation.slug, known=known)

    def not_edited(self, register: Register) -> str:
        editable = [each.slug for each in self.registers if self.can_edit(each)] or ["none"]
        return REGISTER_NOT_EDITED.format(register=register.slug, editable=", ".join(editable))


def _choice(text: str, choices) -> str | None:
    """A choice's stored value from its value or its label, any case; None if neither."""
    key = fold(text).replace("_", " ")
    for value, label in choices:
        if value and key in (fold(value).replace("_", " "), fold(label)):
            return value
    return None


def _plan_row(
    sheet_row: SheetRow, context: _Context, seen: dict[str, int], problems: list[Problem]
) -> RowPlan | None:
    number, values = sheet_row.number, sheet_row.values
    errors: list[Problem] = []

    def problem(column: str, message: str) -> None:
        # A cell already refused (a formula, an error value) is reported once, by the reader.
        if column not in sheet_row.refused:
            errors.append(Problem(number, column, message))

    ref = cell_text(values.get("ref"))
    # A risk already saved under the ref as typed keeps it (older data may hold "OLD 1"); a new
    # one is saved under the ref the rule makes of it ("C D" becomes "C-D"), and a ref typed
    # either way names the same risk.
    risk = context.risks.get(ref.upper()) if ref else None
    if not ref:
        problem("ref", "required: every row needs the risk's reference")
    elif len(ref) > REF_MAX:
        problem("ref", f"at most {REF_MAX} characters ({len(ref)} given)")
    elif risk is None:
        try:
            saved = ref_clean(ref)
        except ValidationError as exc:
            problem("ref", exc.messages[0])
        else:
            risk = context.risks.get(saved.upper())
            if risk is None and saved != ref:
                context.notes.append(f"row {number}: ref: {ref_saved_as(ref, saved)}")
            ref = saved
    if ref and not errors:
        if ref.upper() in seen:
            problem("ref", f"{ref!r} is also on row {seen[ref.upper()]}; give each risk one row")
        else:
            seen[ref.upper()] = number
    # An existing risk stays on its register: the import never moves one (its page does).
    register_text = cell_text(values.get("register"))
    named = context.registers_by_key.get(fold(register_text)) if register_text else None
    if register_text and named is None:
        problem("register", context.no_such_register(register_text))
    if risk is not None:
        target: Register | None = risk.register
        if named is not None and named.id != risk.register_id:
            problem(
                "register", REGISTER_ELSEWHERE.format(ref=risk.ref, register=risk.register.slug)
            )
    else:
        target = named if register_text else context.register
    scheme = context.scheme
    if target is not None:
        if target.archived_at is not None:  # read-only, for the command line too
            problem("register", archived_message(target))
        elif context.can_edit is not None and not context.can_edit(target):
            problem("register", context.not_edited(target))
        found = context.scheme_for(target)
        if isinstance(found, str):
            problem("register", found)
        else:
            scheme = found

    wanted: dict[str, object] = {}
    for name in TEXT_FIELDS:
        if name in values and cell_text(values[name]):
            wanted[name] = cell_text(values[name])
    title = wanted.get("title", "")
    if not title and risk is None:
        problem("title", "required for a new risk")
    elif len(title) > TITLE_MAX:
        problem("title", f"at most {TITLE_MAX} characters ({len(title)} given)")
    elif not is_one_line(title) and (risk is None or title != text_as_read(risk.title)):
        # Risk.clean's rule, said against the row (a title stored so before is left as it is)
        problem("title", TITLE_ONE_LINE)

    category_text = cell_text(values.get("category"))
    if category_text:
        category = context.categories.get(fold(category_text))
        if category is None:
            in_use = (c.name for c in context.categories.values() if not c.retired)
            known = ", ".join(sorted(in_use)) or "none yet"
            problem("category", f"{category_text!r} is not a category here (categories: {known})")
        elif category.retired and (risk is None or risk.category_id != category.id):
            problem("category", RETIRED.format(text=category_text))
        else:
            wanted["category"] = category

    for name in ("owner", "manager"):
        person = cell_text(values.get(name))
        if person:
            found = context.person(person, problem=problem, column=name, row=number)
            if found is not None:
                wanted[name] = found

    objectives: list[Objective] | None = None
    if not blank(values.get("objectives")):
        objectives = []
        for text in cell_items(values["objectives"]):
            objective = context.objectives_by_key.get(fold(text))
            if objective is None:
                in_use = [each.code for each in context.objectives if not each.retired]
                known = ", ".join(in_use) or "none yet"
                problem("objectives", NO_SUCH_OBJECTIVE.format(text=text, known=known))
            elif objective.retired and (risk is None or objective not in risk.objectives.all()):
                problem("objectives", RETIRED.format(text=text))
            elif objective not in objectives:
                objectives.append(objective)

    leads: list[User] | None = None
    if not blank(values.get("working_leads")):
        leads = []
        for text in cell_items(values["working_leads"]):
            lead = context.person(text, problem=problem, column="working_leads", row=number)
            if lead is not None and lead not in leads:
                leads.append(lead)

    for name, choices, what in (
        ("horizon", Horizon.choices, "horizon"),
        ("progress", Progress.choices, "progress to target"),
        ("marking", Marking.choices, "handling marking"),
    ):
        text = cell_text(values.get(name))
        if text:
            value = _choice(text, choices)
            if value is None:
                known = ", ".join(label for value, label in choices if value)
                problem(name, NO_SUCH_CHOICE.format(text=text, what=what, known=known))
            else:
                wanted[name] = value

    rag_text = cell_text(values.get("rag"))  # worked out from progress: only checked (rag.py)
    if rag_text:
        message = rag_problem(rag_text, wanted.get("progress", risk.progress if risk else ""))
        if message:
            problem("rag", message)

    emerging = cell_text(values.get("emerging"))
    if emerging:
        flag = YES_NO.get(emerging.casefold())
        if flag is None:
            problem("emerging", EMERGING_YES_NO.format(text=emerging))
        else:
            wanted["emerging"] = flag

    months = cell_text(values.get("review_months"))
    if months:
        if months.isdigit() and 1 <= int(months) <= 60:
            wanted["review_months"] = int(months)
        else:
            problem("review_months", REVIEW_MONTHS_RANGE.format(text=months))

    response = cell_text(values.get("response"))
    if response:
        option = context.responses.get(response.casefold())
        if option is None:
            problem(
                "response",
                f"{response!r} is not a response here; use one of: "
                + ", ".join(context.organisation.response_options),
            )
        else:
            wanted["response"] = option

    if not blank(values.get("next_review")):
        try:
            wanted["next_review_due"] = parse_date(values["next_review"])
        except ValueError as exc:
            problem("next_review", str(exc))

    positions: dict[str, tuple[int, int]] = {}
    for name in POSITIONS:
        position = _position(name, values, scheme, problem, sheet_row.refused)
        if position is not None:
            positions[name] = position

    controls, actions = cell_lines(values.get("controls")), cell_lines(values.get("actions"))
    problems.extend(errors)
    if errors or sheet_row.refused:  # a refused cell is already a problem of this row
        return None
    if risk is None:
        row_plan = _create_plan(number, ref, wanted, positions, controls, actions, scheme)
        row_plan.objectives, row_plan.leads = objectives, leads
    else:
        row_plan = _update_plan(number, risk, wanted, positions, controls, actions, scheme)
        _plan_people_and_objectives(row_plan, risk, objectives, leads)
    row_plan.register = target
    return row_plan


def _plan_people_and_objectives(row_plan: RowPlan, risk: Risk, objectives, leads) -> None:
    """Objectives and working leads replace the risk's when given and different."""
    for name, given, held, shown in (
        ("objectives", objectives, list(risk.objectives.all()), lambda each: each.code),
        ("working_leads", leads, list(risk.leads.all()), lambda each: each.display_name),
    ):
        if given is None or {each.pk for each in given} == {each.pk for each in held}:
            continue
        setattr(row_plan, "leads" if name == "working_leads" else name, given)
        row_plan.changes.append(
            Change(
                name,
                ", ".join(sorted(shown(each) for each in held)) or "(empty)",
                ", ".join(sorted(shown(each) for each in given)) or "(empty)",
            )
        )
        row_plan.action = "update"


def _position(name, values, scheme, problem, refused) -> tuple[int, int] | None:
    likelihood_column, impact_column = f"{name}_likelihood", f"{name}_impact"
    if {likelihood_column, impact_column} & refused:
        return None
    likelihood, impact = values.get(likelihood_column), values.get(impact_column)
    if blank(likelihood) and blank(impact):
        return None
    if blank(impact):
        problem(impact_column, f"required when {likelihood_column} is given")
        return None
    if blank(likelihood):
        problem(likelihood_column, f"required when {impact_column} is given")
        return None
    levels = []
    for axis, column, token in (
        ("likelihood", likelihood_column, likelihood),
        ("impact", impact_column, impact),
    ):
        try:
            levels.append(level_for(scheme, axis, level_token(token)).value)
        except RatingError as exc:
            problem(column, str(exc))
    return (levels[0], levels[1]) if len(levels) == 2 else None


def _position_text(scheme: SchemeDefinition | None, likelihood, impact) -> str:
    if likelihood is None or impact is None:
        return "not rated"
    if scheme is None:
        return f"likelihood {likelihood}, impact {impact}"
    try:
        rating = rate(scheme, likelihood, impact)
    except RatingError:
        return f"likelihood {likelihood}, impact {impact}"
    return f"{rating.label}: likelihood {rating.likelihood.label}, impact {rating.impact.label}"


_CHOICE_LABELS = {"horizon": Horizon, "progress": Progress}


def _display(name: str, value: object) -> str:
    if value is None or value == "":
        return "(empty)"
    if name in _CHOICE_LABELS:
        return str(_CHOICE_LABELS[name](value).label)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, User):
        return value.display_name
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _create_plan(number, ref, wanted, positions, controls, actions, scheme) -> RowPlan:
    current = positions.get("current")
    return RowPlan(
        row=number,
        ref=ref,
        title=str(wanted.pop("title")),
        action="create",
        fields=wanted,
        positions=positions,
        controls=controls,
        actions=actions,
        current=_position_text(scheme, *current) if current else "not rated",
    )


def _update_plan(number, risk, wanted, positions, controls, actions, scheme) -> RowPlan:
    changes: list[Change] = []
    fields: dict[str, object] = {}
    column_of = {"next_review_due": "next_review"}
    for name, value in wanted.items():
        stored = getattr(risk, name)
        same = text_as_read(stored) == value if isinstance(stored, str) else stored == value
        if not same:
            fields[name] = value
            changes.append(
                Change(column_of.get(name, name), _display(name, stored), _display(name, value))
            )
    changed_positions: dict[str, tuple[int, int]] = {}
    old_scheme = risk.scheme_version.parsed if risk.scheme_version_id else scheme
    for name, (likelihood, impact) in positions.items():
        stored = (getattr(risk, f"{name}_likelihood"), getattr(risk, f"{name}_impact"))
        if stored != (likelihood, impact):
            changed_positions[name] = (likelihood, impact)
            changes.append(
                Change(
                    f"{name} position",
                    _position_text(old_scheme, *stored),
                    _position_text(scheme, likelihood, impact),
                )
            )
    have_controls = {fold(control.description) for control in risk.controls.all()}
    have_actions = {fold(action.description) for action in risk.actions.all()}
    new_controls = [line for line in controls if fold(line) not in have_controls]
    new_actions = [line for line in actions if fold(line) not in have_actions]
    current = changed_positions.get("current") or (risk.current_likelihood, risk.current_impact)
    return RowPlan(
        row=number,
        ref=risk.ref,
        title=str(fields.get("title", risk.title)),
        action="update"
        if (fields or changed_positions or new_controls or new_actions)
        else "unchanged",
        risk=risk,
        expected_version=risk.version,
        fields=fields,
        positions=changed_positions,
        changes=changes,
        controls=new_controls,
        actions=new_actions,
        control_position=max((c.position for c in risk.controls.all()), default=-1) + 1,
        action_position=max((a.position for a in risk.actions.all()), default=-1) + 1,
        current=_position_text(scheme, *current),
    )


# --- applying ----------------------------------------------------------------------------------


def import_apply(
    *,
    plan: ImportPlan,
    by: User | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Write the whole plan in one transaction, or nothing.

    Raises ImportRefused when the plan has problems, or (``stale=True``) when a risk it updates was
    changed after the plan was made: then nothing is written and a fresh plan is needed.

    Written in bulk (``registers.services.risks_bulk``): the queries do not grow with the rows,
    and each risk written gets one history record naming the file and ``by`` (None: the person
    of the request, if any). ``progress`` is told how many rows are written as they are.
    """
    if plan.problems:
        raise ImportRefused([str(problem) for problem in plan.problems])
    reason = f"imported from {plan.filename}"
    try:
        with transaction.atomic():
            invites_send(plan=plan)  # first: a person with an account is a member, then assigned
            _apply_rows(plan, reason=reason, by=by, progress=progress)
            apply_treatment_sheets(plan=plan, reason=reason, by=by)  # the second sheets
            apply_indicator_sheets(plan=plan, reason=reason, by=by)
    except RiskConflict as exc:
        raise ImportRefused(
            [f"{exc.risk.ref} was changed by someone else after the file was checked"],
            stale=True,
        ) from None
    except (ValidationError, IntegrityError) as exc:
        # Something changed between planning and writing: nothing was written; say what, and ask
        # for a fresh check. Two imports creating the same new ref at once both pass the service's
        # check; the second then meets the database's unique constraint (IntegrityError).
        created = _created_meanwhile(plan)
        if created is not None:
            raise ImportRefused([created], stale=True) from None
        if isinstance(exc, IntegrityError):
            raise ImportRefused([CHANGED_MEANWHILE], stale=True) from None
        raise ImportRefused(exc.messages, stale=True) from None
    if progress is not None:
        progress(len(plan.rows))
    return plan


def _created_meanwhile(plan: ImportPlan) -> str | None:
    """REF_CREATED_MEANWHILE for the first row creating a risk whose ref now exists (the write
    that failed has been rolled back, so what is found was written by someone else)."""
    wanted: dict[str, RowPlan] = {}
    for row in plan.created:
        wanted.setdefault(_saved_ref(row.ref).upper(), row)
    if not wanted:
        return None
    taken = set(
        Risk.objects.filter(organisation=plan.organisation)
        .annotate(ref_upper=Upper("ref"))
        .filter(ref_upper__in=list(wanted))
        .values_list("ref_upper", flat=True)
    )
    for key, row in wanted.items():
        if key in taken:
            return REF_CREATED_MEANWHILE.format(row=row.row, ref=_saved_ref(row.ref))
    return None


def _apply_rows(
    plan: ImportPlan, *, reason: str, by: User | None, progress: Callable[[int], None] | None
) -> None:
    """Every row's risk, then every control and action added, each kind in one bulk write."""
    creating, updating = plan.created, plan.updated
    created = risk_create_many(
        organisation=plan.organisation,
        new=[
            NewRisk(
                register=row.register or plan.register,
                ref=row.ref,
                title=row.title,
                positions=dict(row.positions),
                fields=dict(row.fields),
                objectives=row.objectives or (),
                leads=row.leads or (),
            )
            for row in creating
        ],
        reason=reason,
        by=by,
    )
    if progress is not None:
        progress(len(created))
    # A row that only adds controls or actions writes no risk, but is still refused if the
    # risk moved on since the check (RiskChange with nothing in it).
    updated = risk_update_many(
        changes=[
            RiskChange(
                risk_id=row.risk.pk,
                expected_version=row.expected_version,
                fields=dict(row.fields),
                positions=dict(row.positions) if row.positions else None,
                objectives=row.objectives,
                leads=row.leads,
                rescore_scheme=bool(row.positions),
            )
            for row in updating
        ],
        reason=reason,
        by=by,
    )
    if progress is not None:
        progress(len(created) + len(updated))
    controls, actions = [], []
    for row, risk in [*zip(creating, created, strict=True), *zip(updating, updated, strict=True)]:
        controls += [
            Control(risk=risk, description=text, position=row.control_position + offset)
            for offset, text in enumerate(row.controls)
        ]
        actions += [
            Action(risk=risk, description=text, position=row.action_position + offset)
            for offset, text in enumerate(row.actions)
        ]
    control_add_many(controls=controls, reason=reason, by=by)
    action_add_many(actions=actions, reason=reason, by=by)


def plan_lines(
    plan: ImportPlan, *, dry_run: bool = False, can_see: Callable[[Risk], bool] | None = None
) -> list[str]:
    """What the plan does, one line per risk, for the command's output; ``can_see`` (a member's
    OFFICIAL-SENSITIVE clearance, on a page) withholds what is stored (``preview.shown_changes``).
    """
    created, updated = ("would create", "would update") if dry_run else ("created", "updated")
    lines = []
    for row in plan.rows:
        if row.action == "unchanged":
            continue
        on_register = (
            f" on {row.register.slug}"
            if row.register is not None and row.register.id != plan.register.id
            else ""
        )
        if row.action == "create":
            added = "".join(f"; {line}" for line in treatment_lines(plan, row, dry_run=dry_run))
            lines.append(
                f"row {row.row}: {created} {row.ref} {row.title}{on_register} ({row.current})"
                + added
            )
        else:
            parts = [
                f"{column}: {old} -> {new}"
                for column, old, new in shown_changes(row, can_see=can_see)
            ]
            parts += [f"control added: {text}" for text in row.controls]
            parts += [f"action added: {text}" for text in row.actions]
            parts += treatment_lines(plan, row, dry_run=dry_run)
            lines.append(f"row {row.row}: {updated} {row.ref}{on_register}: " + "; ".join(parts))
    lines += indicator_lines(plan, dry_run=dry_run)
    if plan.invites is not None:
        lines += plan.invites.lines(dry_run=dry_run)
    return lines
