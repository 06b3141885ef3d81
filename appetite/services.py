"""Writes to an organisation's appetite: levels and statements. Every change is kept by
django-simple-history with who made it and the reason given (``history_change_reason``).

Thresholds are scores on the organisation's default scoring scheme, so a tolerance above the
highest score that scheme can give (nothing could ever breach it) is refused, as is a statement
whose tolerance falls outside the score range of the appetite level it names (Aberdeen's Table 4:
a Moderate appetite tolerates 13 to 19)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from simple_history.utils import bulk_create_with_history

from registers import caching
from registers.merging import KEEP_MINE, choices_that_count, three_way_merge
from scoring.engine import max_score
from scoring.selectors import default_scheme

from .models import AppetiteLevel, AppetiteStatement
from .presets import APPETITE_PRESETS

# simple-history keeps the reason in a CharField(max_length=100).
REASON_MAX_LENGTH = 100


@transaction.atomic
def appetite_levels_install(*, organisation, preset: str = "orange_book") -> list[AppetiteLevel]:
    """Give an organisation a preset's appetite levels; levels it already has are kept."""
    try:
        levels = APPETITE_PRESETS[preset]
    except KeyError:
        raise ValidationError(
            f"unknown appetite preset {preset!r}; presets: {', '.join(APPETITE_PRESETS)}"
        ) from None
    existing = {
        level.name: level for level in AppetiteLevel.objects.filter(organisation=organisation)
    }
    names = set(existing)
    positions = {level.position for level in existing.values()}
    organisation_checked = False
    new: list[AppetiteLevel] = []
    result = []
    for position, spec in enumerate(levels, start=1):
        level = existing.get(spec["name"])
        if level is None:
            level = AppetiteLevel(organisation=organisation, position=position, **spec)
            if level.name in names or position in positions or not _range_ordered(level):
                # Django's own message for what the database would refuse, compared with every
                # level before it.
                _levels_create(new)
                new = []
                level.full_clean()
            else:
                # The three constraints are proven from the organisation's levels read above
                # and those added since, so not asked of the database again (a query and a
                # savepoint each, decision 97); the organisation, the same row for every level,
                # is looked up once.
                level.full_clean(
                    exclude=["organisation"] if organisation_checked else None,
                    validate_constraints=False,
                )
                organisation_checked = True
            new.append(level)
            names.add(level.name)
            positions.add(position)
        result.append(level)
    _levels_create(new)
    return result


def _levels_create(levels: list[AppetiteLevel]) -> None:
    """Insert the levels and their "+" history rows, a query each: the history rows are those
    ``save()`` writes (no change reason, the history user from the instance or the request)."""
    if levels:
        caching.organisation_changed(levels[0].organisation_id)  # bulk_create sends no signal
        bulk_create_with_history(levels, AppetiteLevel, default_change_reason=None)


def _range_ordered(level: AppetiteLevel) -> bool:
    """AppetiteLevel's appetite_level_range_ordered constraint, in Python."""
    low, high = level.min_score, level.max_score
    if low is None or high is None:
        return True
    return isinstance(low, int) and isinstance(high, int) and low <= high


@dataclass(frozen=True)
class ScoreScale:
    """The scores thresholds are written in: 1 to ``maximum`` on the default scheme."""

    scheme_name: str
    maximum: int
    bands: tuple  # scoring.definition.Band, lowest first
    method: str

    @property
    def band_ranges(self) -> list[tuple[str, int, int]]:
        """(band, lowest score, highest score): a matrix scheme's score is its band's position."""
        if self.method == "product":
            return [(band.name, band.min, band.max) for band in self.bands]
        return [(band.name, band.position, band.position) for band in self.bands]


def score_scale(*, organisation) -> ScoreScale | None:
    scheme = default_scheme(organisation=organisation)
    if scheme is None or scheme.current_version is None:
        return None
    definition = scheme.current_version.parsed
    return ScoreScale(
        scheme_name=scheme.name,
        maximum=max_score(definition),
        bands=tuple(definition.bands),
        method=definition.method,
    )


def _reason(reason: str, default: str) -> str:
    reason = " ".join((reason or "").split()) or default
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": f"keep the reason to {REASON_MAX_LENGTH} characters (it has {len(reason)})"}
        )
    return reason


def _range_text(level: AppetiteLevel) -> str:
    return f"{level.min_score} to {level.max_score}"


def threshold_problems(
    *, organisation, level: AppetiteLevel | None, tolerance: int, warning: int | None
) -> dict[str, list[str]]:
    """What is wrong with these thresholds, by field ({} when nothing): forms ask before they
    call ``appetite_statement_set``, which refuses the same things."""
    errors: dict[str, list[str]] = {}
    if tolerance < 1:
        errors.setdefault("tolerance", []).append("the tolerance threshold must be 1 or more")
    scale = score_scale(organisation=organisation)
    if scale is not None and tolerance > scale.maximum:
        errors.setdefault("tolerance", []).append(
            f"the tolerance threshold ({tolerance}) is above the highest score on "
            f"{scale.scheme_name} ({scale.maximum}): no risk could ever breach it"
        )
    if warning is not None:
        if warning < 1:
            errors.setdefault("warning", []).append("the warning threshold must be 1 or more")
        elif warning >= tolerance:
            errors.setdefault("warning", []).append(
                f"the warning threshold ({warning}) must be below the tolerance ({tolerance})"
            )
    if (
        level is not None
        and level.min_score is not None
        and level.max_score is not None
        and not level.min_score <= tolerance <= level.max_score
    ):
        errors.setdefault("tolerance", []).append(
            f"the tolerance threshold ({tolerance}) is outside the {level.name} appetite level's "
            f"range ({_range_text(level)}): choose a level whose range includes it, or change "
            "the tolerance"
        )
    return errors


STATEMENT_FIELDS = ("level", "tolerance", "warning", "rationale")
STATEMENT_REMOVED = (
    "the appetite statement was removed by someone else while you were editing it: add it again"
)
STATEMENT_VERSION_UNKNOWN = (
    "this form came from a version of the appetite statement that does not exist: open it again"
)


class StatementConflict(Exception):
    """Someone saved the statement after the admin opened it and changed some of the same
    fields to other values. Nothing was written. As registers.services.treatments'
    TreatmentConflict: ``conflicts`` (opened, mine, theirs; a level by its id), ``merged`` the
    values to show again, ``chosen``, ``unchosen``, ``by`` and ``current`` (the stored row)."""

    def __init__(self, *, current, conflicts, merged, chosen, unchosen, by, base_known):
        self.current, self.conflicts, self.merged = current, conflicts, merged
        self.chosen, self.unchosen, self.by = chosen, unchosen, by
        self.base_known = base_known
        super().__init__("the appetite statement was changed by someone else while you edited it")


def _comparable(value):
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return value


def _stored(row, name: str):
    return getattr(row, AppetiteStatement._meta.get_field(name).attname)


def _merge_statement(
    statement: AppetiteStatement,
    *,
    expected_version: int,
    typed: dict,
    choices: Mapping[str, str] | None,
    choices_at: int | None,
) -> dict:
    """The values to write when the form was opened at ``expected_version`` and the statement
    has moved on: mine where only I changed a field, theirs elsewhere, or my choice."""
    if not 1 <= expected_version < statement.version:
        raise ValidationError(STATEMENT_VERSION_UNKNOWN)
    records = list(
        AppetiteStatement.history.filter(id=statement.pk, version__gte=expected_version)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    opened = [record for record in records if record.version == expected_version]
    names = list(STATEMENT_FIELDS)
    base = {n: _comparable(_stored(opened[-1], n)) for n in names} if opened else None
    theirs = {n: _comparable(_stored(statement, n)) for n in names}
    mine = {n: _comparable(typed[n]) for n in names}
    merged, conflicts = three_way_merge(base, mine, theirs, names)
    chosen = choices_that_count(choices, shown_at=choices_at, version=statement.version)
    unchosen = [c.name for c in conflicts if c.name not in chosen]
    if unchosen:
        by = []
        for record in records:
            if record.version > expected_version:
                who = record.history_user.display_name if record.history_user else "System"
                if who not in by:
                    by.append(who)
        conflicting = {c.name for c in conflicts}
        raise StatementConflict(
            current=statement,
            conflicts=conflicts,
            merged={n: typed[n] if n in conflicting else merged[n] for n in names},
            chosen={n: c for n, c in chosen.items() if n in conflicting},
            unchosen=unchosen if choices_at == statement.version else [],
            by=by,
            base_known=base is not None,
        )
    values = {n: typed[n] if merged[n] != theirs[n] else getattr(statement, n) for n in names}
    for conflict in conflicts:
        if chosen[conflict.name] == KEEP_MINE:
            values[conflict.name] = typed[conflict.name]
    return values


@transaction.atomic
def appetite_statement_set(
    *,
    organisation,
    category=None,
    level: AppetiteLevel | None = None,
    tolerance: int,
    warning: int | None = None,
    rationale: str = "",
    reason: str = "",
    expected_version: int | None = None,
    choices: Mapping[str, str] | None = None,
    choices_at: int | None = None,
) -> AppetiteStatement:
    """Set the appetite for a category (None: the organisation-wide default), adding the
    statement or changing it.

    ``expected_version`` is the version of the statement the admin's form was opened at (None:
    set these values whatever is stored). A save from an older version writes only what this
    admin changed since, on top of what others saved; a field both changed to different values
    raises StatementConflict until ``choices`` (made against version ``choices_at``) say whose
    value to keep. The thresholds are checked as they will be stored, after the merge."""
    if category is not None and category.organisation_id != organisation.id:
        raise ValidationError("the category belongs to another organisation")
    if level is not None and level.organisation_id != organisation.id:
        raise ValidationError("the appetite level belongs to another organisation")
    errors = threshold_problems(
        organisation=organisation, level=level, tolerance=tolerance, warning=warning
    )
    if errors:
        raise ValidationError(errors)
    statement = (
        AppetiteStatement.objects.select_for_update()
        .filter(organisation=organisation, category=category)
        .order_by()  # the default ordering joins the category, which FOR UPDATE refuses
        .first()
    )
    if statement is None and expected_version is not None:
        raise ValidationError(STATEMENT_REMOVED)
    if statement is not None and expected_version not in (None, statement.version):
        values = _merge_statement(
            statement,
            expected_version=expected_version,
            typed={
                "level": level,
                "tolerance": tolerance,
                "warning": warning,
                "rationale": rationale,
            },
            choices=choices,
            choices_at=choices_at,
        )
        level, tolerance = values["level"], values["tolerance"]
        warning, rationale = values["warning"], values["rationale"]
        errors = threshold_problems(
            organisation=organisation, level=level, tolerance=tolerance, warning=warning
        )
        if errors:
            raise ValidationError(errors)
    if statement is None:
        statement = AppetiteStatement(organisation=organisation, category=category)
    elif (statement.level_id, statement.tolerance, statement.warning, statement.rationale) == (
        level.id if level is not None else None,
        tolerance,
        warning,
        rationale,
    ):
        return statement  # nothing to change: no history record saying nothing changed
    else:
        statement.version += 1
    statement.level, statement.tolerance = level, tolerance
    statement.warning, statement.rationale = warning, rationale
    statement.full_clean(validate_constraints=False)
    statement._change_reason = _reason(reason, "appetite set")
    statement.save()
    return statement


@transaction.atomic
def appetite_statement_remove(*, statement: AppetiteStatement, reason: str) -> None:
    """Remove a statement: its category falls back to the organisation-wide default (or, for the
    default itself, categories without a statement of their own have no threshold)."""
    statement._change_reason = _reason(reason, "removed")
    statement.delete()


@dataclass
class LevelSpec:
    """One row of the levels form: an existing level (``id``) or a new one (``id`` None)."""

    name: str
    description: str = ""
    min_score: int | None = None
    max_score: int | None = None
    id: int | None = None
    remove: bool = False


def _level_problems(specs: list[LevelSpec], scale: ScoreScale | None) -> dict[str, list[str]]:
    """Problems keyed "<row index>.<field>" (or "__all__"), so a form can put each beside the
    row and field it belongs to."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    kept = [(index, spec) for index, spec in enumerate(specs) if not spec.remove]
    if not kept:
        add("__all__", "keep at least one appetite level")
    seen: dict[str, int] = {}
    for index, spec in kept:
        name = spec.name.strip()
        if not name:
            add(f"{index}.name", "enter the level's name")
        elif name.lower() in seen:
            add(f"{index}.name", f"another level is already called {name}")
        else:
            seen[name.lower()] = index
        low, high = spec.min_score, spec.max_score
        if (low is None) != (high is None):
            field = "max_score" if high is None else "min_score"
            add(f"{index}.{field}", "give both the lowest and the highest score, or neither")
            continue
        if low is None:
            continue
        if low < 1:
            add(f"{index}.min_score", "the lowest score must be 1 or more")
        if low > high:
            add(f"{index}.max_score", f"the highest score ({high}) is below the lowest ({low})")
        if scale is not None and high > scale.maximum:
            add(
                f"{index}.max_score",
                f"the highest score ({high}) is above the highest score on {scale.scheme_name} "
                f"({scale.maximum})",
            )
    ranged = [
        (index, spec)
        for index, spec in kept
        if spec.min_score is not None
        and spec.max_score is not None
        and spec.min_score <= spec.max_score
    ]
    for (i, first), (j, second) in zip(ranged, ranged[1:], strict=False):
        # Levels are in order of rising appetite, so their ranges must rise too, without overlap.
        name_a, name_b = first.name.strip() or f"level {i + 1}", second.name.strip()
        if second.min_score <= first.max_score:
            if second.max_score < first.min_score:
                add(
                    f"{j}.min_score",
                    f"{name_b or f'level {j + 1}'} ({second.min_score} to {second.max_score}) "
                    f"comes after {name_a} ({first.min_score} to {first.max_score}) but has lower "
                    "scores: levels go from least to most appetite, so put them in that order",
                )
            else:
                add(
                    f"{j}.min_score",
                    f"the range {second.min_score} to {second.max_score} overlaps {name_a}'s "
                    f"({first.min_score} to {first.max_score}): start it above "
                    f"{first.max_score}",
                )
    return errors


@transaction.atomic
def appetite_levels_save(
    *, organisation, levels: list[LevelSpec], reason: str
) -> list[AppetiteLevel]:
    """Save the organisation's appetite levels in the order given (first = least appetite):
    change, add and remove levels in one go. Score ranges must be ordered (lowest <= highest),
    must not overlap, and must rise with the order; a level that a statement names cannot be
    removed, and a statement's tolerance must stay inside its level's range."""
    reason = _reason(reason, "appetite levels changed")
    existing = {
        level.id: level
        for level in AppetiteLevel.objects.select_for_update()
        .filter(organisation=organisation)
        .order_by("position")
    }
    errors = _level_problems(levels, score_scale(organisation=organisation))
    if any(spec.id is not None and spec.id not in existing for spec in levels):
        errors.setdefault("__all__", []).append(
            "a level was removed by someone else meanwhile: reload the page"
        )
    if set(existing) - {spec.id for spec in levels if spec.id is not None}:
        errors.setdefault("__all__", []).append(
            "a level was added by someone else meanwhile: reload the page"
        )
    statements = list(
        AppetiteStatement.objects.filter(organisation=organisation).select_related("category")
    )
    for index, spec in enumerate(levels):
        if spec.id is None:
            continue
        using = [s for s in statements if s.level_id == spec.id]
        if spec.remove and using:
            errors.setdefault(f"{index}.remove", []).append(
                f"{existing[spec.id].name} is the level of the appetite statement for "
                f"{_statement_subject(using[0])}: choose another level there first"
            )
        elif spec.min_score is not None and spec.max_score is not None:
            for statement in using:
                if not spec.min_score <= statement.tolerance <= spec.max_score:
                    errors.setdefault(f"{index}.min_score", []).append(
                        f"the appetite statement for {_statement_subject(statement)} has this "
                        f"level with tolerance {statement.tolerance}, outside "
                        f"{spec.min_score} to {spec.max_score}: change that statement first"
                    )
    if errors:
        raise ValidationError(errors)

    kept = [spec for spec in levels if not spec.remove]
    removed = [existing[spec.id] for spec in levels if spec.remove and spec.id is not None]
    for level in removed:
        level._change_reason = reason
        level.delete()
    # Positions and names are unique per organisation and levels may swap them: move the kept
    # ones out of the way first, without history (the saves below record each real change).
    kept_ids = [spec.id for spec in kept if spec.id is not None]
    AppetiteLevel.objects.filter(pk__in=kept_ids).update(
        position=F("position") + 10_000, name=Concat(Value("~"), Cast("id", CharField()))
    )
    saved = []
    for position, spec in enumerate(kept, start=1):
        level = existing.get(spec.id) if spec.id is not None else None
        if level is None:
            level, before = AppetiteLevel(organisation=organisation), None
        else:
            before = (
                level.position,
                level.name,
                level.description,
                level.min_score,
                level.max_score,
            )
        level.position = position
        level.name, level.description = spec.name.strip(), spec.description.strip()
        level.min_score, level.max_score = spec.min_score, spec.max_score
        level.full_clean(validate_unique=False, validate_constraints=False)
        after = (level.position, level.name, level.description, level.min_score, level.max_score)
        if before == after:
            level.save_without_historical_record()
        else:
            level._change_reason = reason
            level.save()
        saved.append(level)
    return saved


def _statement_subject(statement: AppetiteStatement) -> str:
    return statement.category.name if statement.category_id else "all categories (the default)"
