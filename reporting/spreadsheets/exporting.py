"""Export a register as rows in the import columns plus what the product works out (score, band,
tolerance, breach, trend), now or as it stood at a past moment (from django-simple-history).

Query count does not grow with the register: risks come with owner, manager and category joined,
controls' and actions' descriptions read in one query each (as values: 60,000 model objects
for a 10,000-risk register took seconds to build), appetite and trend in one query each.

Each row carries the risk's handling marking. Given the member's ``access``, an OFFICIAL-SENSITIVE
risk whose detail they may not see (``access.can_see_sensitive(risk)`` false) keeps its ref, title,
register, people and ratings, but its description, consequence, controls and actions are withheld.
An export as it stood is judged by today's marking: a row written while the risk was OFFICIAL is
withheld (and marked) once the risk is OFFICIAL-SENSITIVE. Without ``access`` (the command line,
run by an operator) the export is full.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from simple_history.models import HistoricalRecords

from appetite.models import AppetiteStatement
from appetite.rules import AppetiteState
from appetite.selectors import AppetiteLookup, appetite_lookup
from registers.calendar import as_of_day_check, local_date, organisation_zone
from registers.models import (
    Horizon,
    Marking,
    Objective,
    Progress,
    Register,
    Risk,
    RiskStatus,
    User,
)
from registers.models.risks import review_due
from registers.selectors.acceptance import acceptances_as_of
from registers.selectors.rescoring import rating_versions

from ..trends import trends_for
from . import indicator_sheets
from .columns import EXPORT_COLUMNS
from .rag import rag_for
from .treatment_sheets import descriptions_by_risk, export_sheets, treatment_records
from .values import FORMULA_STARTS
from .xlsx_rows import RowsSheet

FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
EXPORT_HEADER = EXPORT_COLUMNS
WITHHELD = "[OFFICIAL-SENSITIVE: withheld]"
WITHHELD_COLUMNS = ("description", "consequence", "controls", "actions")
WIDE_COLUMNS = {
    "title": 40,
    "description": 60,
    "consequence": 50,
    "controls": 60,
    "actions": 60,
    "objectives": 20,
    "working_leads": 30,
}
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class RegisterExport:
    register: Register
    as_of: dt.datetime | None
    generated_at: dt.datetime
    header: tuple[str, ...] = EXPORT_HEADER
    rows: list[list[object]] = field(default_factory=list)
    withheld: int = 0  # rows whose OFFICIAL-SENSITIVE detail was left out
    sensitive: int = 0  # rows marked OFFICIAL-SENSITIVE
    # The xlsx's controls and actions sheets (treatment_sheets.export_sheets) and indicators and
    # readings sheets (indicator_sheets.export_sheets), header row first.
    second_sheets: dict[str, list] = field(default_factory=dict)

    @property
    def organisation(self):
        return self.register.organisation

    def filename(self, fmt: str) -> str:
        tz = organisation_zone(self.organisation)
        if self.as_of is not None:
            stamp = "as-at-" + self.as_of.astimezone(tz).strftime("%Y-%m-%d-%H%M")
        else:
            stamp = self.generated_at.astimezone(tz).strftime("%Y-%m-%d")
        # Slugs are [-a-zA-Z0-9_]: the name is safe in a header and on any file system.
        return f"{self.organisation.slug}-{self.register.slug}-{stamp}.{fmt}"


def parse_as_of(text: str, *, organisation) -> dt.datetime:
    """An ISO date or date-time, or a UK date; a date means the end of that day in the
    organisation's timezone (Europe/London unless set). Raises ValueError with a clear message."""
    tz = organisation_zone(organisation)
    value = text.strip()
    uk = _UK_DATE.match(value)
    try:
        if uk:
            day = dt.date(int(uk[3]), int(uk[2]), int(uk[1]))
            moment = dt.datetime.combine(day, dt.time.max, tzinfo=tz)
        elif _ISO_DATE.match(value):
            moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time.max, tzinfo=tz)
        else:
            moment = dt.datetime.fromisoformat(value)
            if timezone.is_naive(moment):
                moment = moment.replace(tzinfo=tz)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date or a date and time: use 2026-03-31, 31/03/2026 or "
            "2026-03-31T17:00"
        ) from None
    try:
        as_of_day_check(moment.date())
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None
    if moment > timezone.now() + dt.timedelta(days=1):
        raise ValueError(f"{text!r} is in the future: the register can only be shown as it was")
    return moment


def register_export(
    *, register: Register, as_of: dt.datetime | None = None, access=None
) -> RegisterExport:
    """The register's rows now, or as it stood at ``as_of`` (an aware datetime).

    ``access`` (an ``OrganisationAccess``) withholds the OFFICIAL-SENSITIVE detail the member may
    not see; None exports everything."""
    organisation = register.organisation
    export = RegisterExport(register=register, as_of=as_of, generated_at=timezone.now())
    if as_of is None:
        risks = list(_current_risks(register))
        # Every control and action with its detail: the descriptions of the main sheet's columns
        # and the rows of the controls and actions sheets (treatment_sheets).
        treatments = treatment_records(register=register, risks=risks, as_of=None)
        objectives, leads = _objectives_and_leads(register)
        lookup = appetite_lookup(organisation=organisation)
    else:
        risks = list(_risks_as_of(register, as_of))
        treatments = treatment_records(register=register, risks=risks, as_of=as_of)
        objectives, leads = _objectives_and_leads_as_of(risks)
        lookup = AppetiteLookup(
            AppetiteStatement.history.as_of(as_of).filter(organisation_id=organisation.id)
        )
    controls = descriptions_by_risk(treatments["controls"])
    actions = descriptions_by_risk(treatments["actions"])
    trends = trends_for(risks, organisation=organisation, moment=as_of or export.generated_at)
    versions = rating_versions(risk.scheme_version_id for risk in risks)  # {} when all one
    marked_now = _marked_now(risks) if as_of is not None else set()
    accepted = _accepted_until(
        risks, organisation=organisation, moment=as_of or export.generated_at
    )
    shown_ids: set[int] = set()
    for risk in risks:
        # Clearance and the file's handling follow today's marking: a row as it stood before
        # the risk was marked holds text that is OFFICIAL-SENSITIVE now.
        shown = access is None or access.can_see_sensitive(risk)
        marking = Marking.OFFICIAL_SENSITIVE if risk.id in marked_now else risk.marking
        export.sensitive += marking == Marking.OFFICIAL_SENSITIVE
        export.withheld += not shown
        if shown:
            shown_ids.add(risk.id)
        export.rows.append(
            _row(
                risk,
                controls=controls.get(risk.id, []),
                actions=actions.get(risk.id, []),
                objectives=objectives.get(risk.id, []),
                leads=leads.get(risk.id, []),
                register=register,
                lookup=lookup,
                trend=trends[risk.id],
                shown=shown,
                marking=marking,
                version=versions.get(risk.scheme_version_id, ""),
                accepted_until=accepted.get(risk.id),
            )
        )
    export.second_sheets = export_sheets(risks=risks, records=treatments, shown=shown_ids)
    # Key risk indicators and their readings (issue 18), withheld alike.
    export.second_sheets |= indicator_sheets.export_sheets(
        risks=risks,
        records=indicator_sheets.indicator_records(register=register, risks=risks, as_of=as_of),
        shown=shown_ids,
    )
    return export


def _accepted_until(risks, *, organisation, moment: dt.datetime) -> dict[int, dt.date]:
    """Per risk, the last day of the acceptance in force at ``moment`` that covers its score
    then (issue 17): one query."""
    day = local_date(organisation=organisation, moment=moment)
    scores = {risk.id: risk.current_score for risk in risks}
    found = acceptances_as_of(organisation=organisation, risk_ids=scores, moment=moment, day=day)
    return {
        risk_id: acceptance.expires_on
        for risk_id, acceptance in found.items()
        if scores[risk_id] is not None and scores[risk_id] <= (acceptance.accepted_score or 0)
    }


def _marked_now(records) -> set[int]:
    """Ids of the risks (of these historical records) marked OFFICIAL-SENSITIVE today."""
    ids = [record.id for record in records]
    if not ids:
        return set()
    marked = Risk.objects.filter(id__in=ids, marking=Marking.OFFICIAL_SENSITIVE)
    return set(marked.values_list("id", flat=True))


def _with_people(risks):
    """The owner's and manager's e-mail addresses, each looked up by the risk's own row (the
    users' primary key, per risk): joined instead, PostgreSQL read the whole users table (a hash
    or merge join of every user in the installation) for a register of twenty risks."""
    return risks.annotate(
        owner_email=Subquery(User.objects.filter(pk=OuterRef("owner_id")).values("email")[:1]),
        manager_email=Subquery(User.objects.filter(pk=OuterRef("manager_id")).values("email")[:1]),
    )


def _current_risks(register: Register):
    return _with_people(
        Risk.objects.filter(register=register)
        .select_related("category")
        .order_by(Length("ref"), "ref")
    )


def _objectives_and_leads(register: Register) -> tuple[dict[int, list], dict[int, list]]:
    """Each risk's objective codes and working leads' e-mail addresses, one query each."""
    objectives: dict[int, list] = defaultdict(list)
    rows = (
        Risk.objectives.through.objects.filter(risk__register_id=register.id)
        .order_by("risk_id", "objective__position", "objective__code")
        .values_list("risk_id", "objective__code")
    )
    for risk_id, code in rows:
        objectives[risk_id].append(code)
    leads: dict[int, list] = defaultdict(list)
    rows = (
        Risk.leads.through.objects.filter(risk__register_id=register.id)
        .order_by("risk_id", "user__email")
        .values_list("risk_id", "user__email")
    )
    for risk_id, email in rows:
        leads[risk_id].append(email)
    return objectives, leads


def _objectives_and_leads_as_of(records) -> tuple[dict[int, list], dict[int, list]]:
    """The same as each historical record held them (simple-history's many-to-many tables)."""
    risk_of = {record.history_id: record.id for record in records}
    found: list[dict[int, list]] = []
    for name, column, model, key in (
        ("objectives", "objective_id", Objective, "code"),
        ("leads", "user_id", User, "email"),
    ):
        through = HistoricalRecords.m2m_models[Risk._meta.get_field(name)]
        pairs = list(
            through.objects.filter(history_id__in=list(risk_of)).values_list("history_id", column)
        )
        names = dict(model.objects.filter(id__in={pk for _, pk in pairs}).values_list("id", key))
        grouped: dict[int, list] = defaultdict(list)
        for history_id, pk in pairs:
            if pk in names:
                grouped[risk_of[history_id]].append(names[pk])
        for values in grouped.values():
            values.sort()
        found.append(grouped)
    return found[0], found[1]


def _risks_as_of(register: Register, as_of: dt.datetime):
    """Historical records: each risk's latest state at ``as_of``, if it was on this register."""
    return _with_people(
        Risk.history.filter(history_date__lte=as_of)
        .latest_of_each()
        .exclude(history_type="-")
        .filter(register_id=register.id, organisation_id=register.organisation_id)
        .select_related("category")
        .order_by(Length("ref"), "ref")
    )


def _row(
    risk,
    *,
    controls,
    actions,
    lookup: AppetiteLookup,
    objectives=(),
    leads=(),
    register: Register | None = None,
    trend: str,
    shown: bool = True,
    marking: str | None = None,
    version: str = "",
    accepted_until: dt.date | None = None,
) -> list[object]:
    closed = risk.status == RiskStatus.CLOSED
    threshold = lookup.threshold(risk.category_id)
    state = lookup.state(category_id=risk.category_id, score=risk.current_score)
    values = {
        "ref": risk.ref,
        "title": risk.title,
        "description": risk.description,
        "consequence": risk.consequence,
        "category": risk.category.name if risk.category_id else "",
        "owner": risk.owner_email or "",
        "manager": risk.manager_email or "",
        "inherent_likelihood": risk.inherent_likelihood,
        "inherent_impact": risk.inherent_impact,
        "current_likelihood": risk.current_likelihood,
        "current_impact": risk.current_impact,
        "target_likelihood": risk.target_likelihood,
        "target_impact": risk.target_impact,
        "response": risk.response,
        "next_review": review_due(risk),  # none for a closed risk (a blank imports unchanged)
        "controls": "\n".join(controls),  # descriptions, in order
        "actions": "\n".join(actions),
        # Every row is of the register exported (its slug, which the import reads back).
        "register": register.slug if register is not None else risk.register.slug,
        "objectives": "\n".join(objectives),  # codes, which the import reads back
        "working_leads": "\n".join(leads),  # e-mail addresses
        "horizon": Horizon(risk.horizon).label if risk.horizon else "",
        "progress": Progress(risk.progress).label if risk.progress else "",
        "review_months": risk.review_months,
        "emerging": "yes" if risk.emerging else "no",
        "status": RiskStatus(risk.status).label,
        "current_score": risk.current_score,
        "current_band": risk.current_band,
        "tolerance": threshold.tolerance if threshold else None,
        "breach": "yes" if state == AppetiteState.BREACH and not closed else "no",
        # within / warning / breach (amber before red); "" when no threshold applies or closed
        "appetite": "" if closed or state == AppetiteState.NOT_SET else str(state),
        # A breach accepted until a date (issue 17): it stays a breach ("breach" says yes).
        "accepted_until": accepted_until if state == AppetiteState.BREACH and not closed else None,
        "trend": trend,
        "rag": rag_for(risk.progress),  # worked out from progress, never stored
        "marking": marking or risk.marking,
        "scheme_version": version,
    }
    if not shown:
        values.update(dict.fromkeys(WITHHELD_COLUMNS, ""))
        values["description"] = WITHHELD
    return [values[name] for name in EXPORT_HEADER]


# --- writers -----------------------------------------------------------------------------------


def safe_text(text: str) -> str:
    """Neutralise spreadsheet formula injection: a cell starting = + - @ (or a tab or carriage
    return) is shown as text, prefixed with an apostrophe, and never run."""
    if text and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _cell(value: object) -> object:
    if isinstance(value, str):
        return safe_text(value)
    return value


# A cell written without quotes: letters, digits, "_", "." and "-" alone (column names, refs,
# numbers, ISO dates). Every other cell is quoted, whether or not the comma needs it (decision
# 122): Excel set to a ";" list separator split an unquoted "Flood risk;=1+1;@SUM(2+2)" at each
# ";" and ran the pieces as formulas; quoted, the text stays one. Not the csv module's QUOTE_ALL:
# the contracts read an export's lines as ``EX-90,...``, and a bare cell holds no ";" to split.
_BARE_CELL = re.compile(r"[A-Za-z0-9_.\-]*")


def csv_line(values: Iterable[object]) -> str:
    """One CSV record (RFC 4180, CRLF-ended, as the csv module writes), every cell quoted but
    the bare ones (``_BARE_CELL``). ``values`` are text or numbers; None is an empty cell."""
    cells = ("" if value is None else str(value) for value in values)
    return (
        ",".join(
            cell if _BARE_CELL.fullmatch(cell) else '"' + cell.replace('"', '""') + '"'
            for cell in cells
        )
        + "\r\n"
    )


def to_csv(export: RegisterExport, *, bom: bool = True) -> bytes:
    """UTF-8 CSV (``csv_line``); with a byte-order mark by default so Excel reads the accents
    right."""
    lines = [csv_line(export.header)]
    lines.extend(csv_line([_csv_value(value) for value in row]) for row in export.rows)
    text = "".join(lines)
    return text.encode("utf-8-sig" if bom else "utf-8")


def _csv_value(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    return _cell(value)


def to_xlsx(export: RegisterExport) -> bytes:
    """The workbook, written as it is built (openpyxl's write-only mode), each row straight to
    its sheet's XML (``xlsx_rows.RowsSheet``): at 10,000 risks, with the controls, actions,
    indicators and readings sheets, openpyxl's cell-by-cell writing was most of a ten-second
    export."""
    workbook = Workbook(write_only=True)
    sheet = RowsSheet.add_to(workbook, "Register")
    header = list(export.header)
    _sized(sheet, rows=len(export.rows) + 1, columns=len(header))
    for index, name in enumerate(header, start=1):
        width = WIDE_COLUMNS.get(name, max(12, len(name) + 2))
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(export.rows) + 1}"
    bold = _bold(sheet)
    sheet.write(header, [bold] * len(header))
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    # Each distinct style is made once through openpyxl's style API and given to every cell of
    # its kind: setting it on each cell of a 10,000-risk register took seconds (issue 6).
    styles: dict[tuple[bool, bool], StyleArray] = {}
    for wide in (False, True):
        for date in (False, True):
            cell = WriteOnlyCell(sheet)
            if date:
                cell.number_format = "dd/mm/yyyy"
            cell.alignment = wrap if wide else top
            styles[(wide, date)] = cell._style
    plain = [styles[(name in WIDE_COLUMNS, False)] for name in header]
    dated = [styles[(name in WIDE_COLUMNS, True)] for name in header]
    for row in export.rows:
        values = [_xlsx_value(value) for value in row]
        sheet.write(
            values,
            [
                date_style if isinstance(value, dt.date) else style
                for value, style, date_style in zip(values, plain, dated, strict=True)
            ],
        )
    _second_sheets(workbook, export)
    _about_sheet(workbook, export)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _bold(sheet) -> StyleArray:
    cell = WriteOnlyCell(sheet)
    cell.font = Font(bold=True)
    return cell._style


def _sized(sheet, *, rows: int, columns: int) -> None:
    """Give a write-only sheet the size element (``<dimension>``) a sheet built in memory
    writes: read-only readers size the sheet from it."""
    ref = f"A1:{get_column_letter(max(columns, 1))}{max(rows, 1)}"
    sheet.calculate_dimension = lambda: ref


def _write_only_cell(sheet, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    if cell.data_type == "f":  # never: safe_text guards it; belt and braces
        cell.data_type = "s"
    return cell


def _styled(sheet, value, *, font: Font) -> WriteOnlyCell:
    cell = _write_only_cell(sheet, value)
    cell.font = font
    return cell


def _second_sheets(workbook: Workbook, export: RegisterExport) -> None:
    """The controls, actions, indicators and readings sheets: one row each, keyed by ref."""
    for name, rows in export.second_sheets.items():
        sheet = RowsSheet.add_to(workbook, name)
        header = rows[0]
        width = max(len(row) for row in rows)
        _sized(sheet, rows=len(rows), columns=width)
        for index, column in enumerate(header, start=1):
            wide = column in ("description", "source_of_assurance", "progress", "note")
            sheet.column_dimensions[get_column_letter(index)].width = 60 if wide else 16
        sheet.freeze_panes = "C2"
        # The header row is bold across the sheet's width (as the first row of a sheet built in
        # memory, ``sheet[1]``, was styled).
        padded = [*header, *[None] * (width - len(header))]
        sheet.write([_xlsx_value(value) for value in padded], [_bold(sheet)] * width)
        # Only a date in the due and date columns has a style (a date format); no other cell.
        dated = [index for index, column in enumerate(header) if column in ("due", "date")]
        date_style = None
        for row in rows[1:]:
            values = [_xlsx_value(value) for value in row]
            styles = [None] * len(values)
            for index in dated:
                if index < len(values) and isinstance(values[index], dt.date):
                    if date_style is None:
                        cell = WriteOnlyCell(sheet)
                        cell.number_format = "dd/mm/yyyy"
                        date_style = cell._style
                    styles[index] = date_style
            sheet.write(values, styles)


def _xlsx_value(value: object) -> object:
    if isinstance(value, str):
        return safe_text(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def _marking_note(export: RegisterExport) -> str:
    note = "each risk's handling marking is in the marking column"
    if export.sensitive:
        note += f"; {export.sensitive} risk(s) marked OFFICIAL-SENSITIVE: handle this file as such"
    if export.withheld:
        note += (
            f"; the description, consequence, controls, actions and indicators of "
            f"{export.withheld} of them "
            f"are withheld ({WITHHELD}): your membership is not cleared for them"
        )
    return note


def _about_sheet(workbook: Workbook, export: RegisterExport) -> None:
    tz = organisation_zone(export.organisation)
    about = workbook.create_sheet("About")
    when = export.as_of or export.generated_at
    rows = [
        ("Organisation", export.organisation.name),
        ("Register", export.register.name),
        ("As at" if export.as_of else "Exported", when.astimezone(tz).strftime("%d/%m/%Y %H:%M")),
        (
            "Likelihood and impact",
            "level values of the register's scoring scheme; import accepts values, labels or codes",
        ),
        ("Trend", "current score against the end of the previous quarter: up, down, level, new"),
        (
            "Import",
            "edit the Register, controls, actions, indicators and readings sheets and import the "
            "workbook again: computed columns are ignored; a control or action is matched by its "
            "description, an indicator by its risk's ref and its name, a reading by its indicator "
            "and date (one a day: a changed value replaces the day's reading, history keeps it)",
        ),
        ("Marking", _marking_note(export)),
    ]
    _sized(about, rows=len(rows), columns=2)
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 90
    bold = Font(bold=True)
    for label, text in rows:
        about.append([_styled(about, label, font=bold), _xlsx_value(text)])
