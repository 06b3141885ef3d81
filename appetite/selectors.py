from __future__ import annotations

from dataclasses import dataclass

from .models import AppetiteLevel, AppetiteStatement
from .rules import AppetiteState, appetite_state


@dataclass(frozen=True)
class Threshold:
    tolerance: int
    warning: int | None


class AppetiteLookup:
    """An organisation's thresholds by category, fetched in one query, so a list of any length
    judges every risk without further queries."""

    def __init__(self, statements):
        self._by_category: dict[int | None, Threshold] = {
            statement.category_id: Threshold(statement.tolerance, statement.warning)
            for statement in statements
        }

    def threshold(self, category_id: int | None) -> Threshold | None:
        return self._by_category.get(category_id) or self._by_category.get(None)

    def state(self, *, category_id: int | None, score: int | None) -> AppetiteState:
        threshold = self.threshold(category_id)
        if threshold is None:
            return AppetiteState.NOT_SET
        return appetite_state(score=score, tolerance=threshold.tolerance, warning=threshold.warning)


def appetite_lookup(*, organisation) -> AppetiteLookup:
    return AppetiteLookup(AppetiteStatement.objects.filter(organisation=organisation))


def appetite_statements(*, organisation):
    return AppetiteStatement.objects.filter(organisation=organisation).select_related(
        "category", "level"
    )


def appetite_levels(*, organisation):
    return AppetiteLevel.objects.filter(organisation=organisation).order_by("position")


@dataclass(frozen=True)
class CategoryAppetite:
    """One line of the appetite page: a category (None: the organisation-wide default), its own
    statement if it has one, and the statement that applies to its risks."""

    category: object | None
    statement: AppetiteStatement | None
    default: AppetiteStatement | None

    @property
    def applies(self) -> AppetiteStatement | None:
        return self.statement or self.default

    @property
    def name(self) -> str:
        return self.category.name if self.category is not None else "All categories (default)"


def appetite_overview(*, organisation) -> list[CategoryAppetite]:
    """The default first, then every category in order, with or without a statement of its own:
    two queries however many categories there are."""
    statements = list(appetite_statements(organisation=organisation))
    default = next((s for s in statements if s.category_id is None), None)
    by_category = {s.category_id: s for s in statements if s.category_id is not None}
    Category = AppetiteStatement._meta.get_field("category").related_model
    categories = Category.objects.filter(organisation=organisation).order_by("position", "name")
    return [CategoryAppetite(None, default, default)] + [
        CategoryAppetite(category, by_category.get(category.id), default) for category in categories
    ]


# --- history -----------------------------------------------------------------------------------

STATEMENT_FIELDS = (
    ("level_id", "Appetite level"),
    ("tolerance", "Tolerance threshold"),
    ("warning", "Warning threshold"),
    ("rationale", "Rationale"),
)
LEVEL_FIELDS = (
    ("name", "Name"),
    ("position", "Order"),
    ("range", "Score range"),
    ("description", "Description"),
)
TEXT_LIMIT = 200
ACTIONS = {"+": "added", "~": "changed", "-": "removed"}
# Reasons the services write when none was given: they tell a reader nothing.
GENERIC_REASONS = frozenset({"", "appetite set", "removed", "appetite levels changed"})


@dataclass(frozen=True)
class AppetiteChange:
    when: object  # aware datetime
    who: str
    subject: str  # "Financial Sustainability statement", "Moderate level"
    action: str  # added, changed, removed
    changes: tuple[tuple[str, str, str], ...]  # (what, before, after); before "" when added
    reason: str


def _text(value) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        return "(blank)"
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1].rstrip() + "…"


def _who(record) -> str:
    user = record.history_user
    if user is None:
        return "riskreg (a command or the demo data)"
    return user.display_name


def appetite_history(*, organisation) -> list[AppetiteChange]:
    """Every change to the organisation's appetite statements and levels, newest first, each with
    who, when, what changed (before and after, in words) and why. Three queries however long the
    history is: the records of both models and the category names."""
    statement_records = list(
        AppetiteStatement.history.filter(organisation_id=organisation.id)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    level_records = list(
        AppetiteLevel.history.filter(organisation_id=organisation.id)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    level_names: dict[int, str] = {}
    for record in level_records:  # the last name each level had, removed levels included
        level_names[record.id] = record.name
    Category = AppetiteStatement._meta.get_field("category").related_model
    category_names = {
        pk: category.name
        for pk, category in Category.objects.filter(
            pk__in={r.category_id for r in statement_records if r.category_id}
        )
        .in_bulk()
        .items()
    }

    def statement_value(record, field: str) -> str:
        value = getattr(record, field)
        if field == "level_id":
            return level_names.get(value, "(removed level)") if value else "(none)"
        if field == "warning":
            return "(none)" if value is None else str(value)
        if field == "rationale":
            return _text(value)
        return str(value)

    def level_value(record, field: str) -> str:
        if field == "range":
            if record.min_score is None:
                return "(none)"
            return f"{record.min_score} to {record.max_score}"
        if field == "description":
            return _text(record.description)
        return str(getattr(record, field))

    def statement_subject(record) -> str:
        if record.category_id is None:
            return "Organisation-wide default statement"
        name = category_names.get(record.category_id, "(removed category)")
        return f"{name} statement"

    def entries(records, fields, value, subject):
        previous = None
        for record in records:
            if previous is not None and previous.id != record.id:
                previous = None
            changes = []
            for field, label in fields:
                after = value(record, field)
                if record.history_type == "-":
                    continue
                if previous is None or previous.history_type == "-":
                    if after not in ("(none)", "(blank)"):  # set when added; blanks say nothing
                        changes.append((label, "", after))
                elif value(previous, field) != after:
                    changes.append((label, value(previous, field), after))
            reason = record.history_change_reason or ""
            yield AppetiteChange(
                when=record.history_date,
                who=_who(record),
                subject=subject(record),
                action=ACTIONS.get(record.history_type, "changed"),
                changes=tuple(changes),
                reason="" if reason in GENERIC_REASONS else reason,
            )
            previous = record

    changes = [
        *entries(statement_records, STATEMENT_FIELDS, statement_value, statement_subject),
        *entries(level_records, LEVEL_FIELDS, level_value, lambda r: f"{r.name} level"),
    ]
    changes.sort(key=lambda change: change.when, reverse=True)
    return changes
