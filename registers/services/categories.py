"""Writes to an organisation's risk categories and objectives: add, rename, reorder, retire and
bring back, and merge one into another. Every change is kept by django-simple-history with who
made it (``by``) and why (the reason each function writes).

A retired category or objective stays on the risks that use it and in their history, and is
offered for no new risk (the risk form leaves it out unless the risk already has it). Names are
unique in an organisation whatever their case; so are objectives' codes.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from appetite.models import AppetiteStatement
from appetite.services import REASON_MAX_LENGTH, appetite_statement_remove

from ..models import Category, Objective, Organisation, Risk

CATEGORY_NAME_REQUIRED = "enter the category's name"
CATEGORY_NAME_TAKEN = "there is already a category called {name}: choose another name"
CATEGORY_OTHER_ORGANISATION = "the category belongs to another organisation"
CATEGORY_ALREADY_RETIRED = "{name} is already retired"
CATEGORY_NOT_RETIRED = "{name} is not retired"
CATEGORY_MERGE_ITSELF = "choose a category other than {name} to merge it into"
CATEGORY_MERGE_INTO_RETIRED = "{name} is retired: bring it back before merging into it"

OBJECTIVE_CODE_REQUIRED = "enter the objective's code"
OBJECTIVE_NAME_REQUIRED = "enter the objective's name"
OBJECTIVE_CODE_TAKEN = "there is already an objective with the code {code}: choose another code"
OBJECTIVE_NAME_TAKEN = "there is already an objective called {name}: choose another name"
OBJECTIVE_OTHER_ORGANISATION = "the objective belongs to another organisation"
OBJECTIVE_ALREADY_RETIRED = "{name} is already retired"
OBJECTIVE_NOT_RETIRED = "{name} is not retired"
OBJECTIVE_MERGE_ITSELF = "choose an objective other than {name} to merge it into"
OBJECTIVE_MERGE_INTO_RETIRED = "{name} is retired: bring it back before merging into it"

# History reasons: on the category or objective, and on each risk a merge moves.
ADDED_REASON = "added"
RENAMED_REASON = "renamed from {old}"
MOVED_REASON = "moved {direction}"
RETIRED_REASON = "retired"
RESTORED_REASON = "brought back"
MERGED_AWAY_REASON = "merged into {target} and retired"
CATEGORY_MERGED_REASON = "category merged into {target}"
OBJECTIVE_MERGED_REASON = "objective merged into {target}"
STATEMENT_MOVED_REASON = "category {source} merged into {target}: its statement moved with it"
STATEMENT_REMOVED_REASON = "category {source} merged into {target}, which keeps its own"

UP, DOWN = "up", "down"


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def _short(reason: str, limit: int = REASON_MAX_LENGTH) -> str:
    """Appetite history keeps reasons of at most ``limit`` characters; long names are cut."""
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"


def _same_organisation(organisation: Organisation, obj, message: str) -> None:
    if obj.organisation_id != organisation.id:
        raise ValidationError(message)


def _save(obj, *, reason: str, by) -> None:
    obj.full_clean(validate_constraints=False, validate_unique=False)
    obj._change_reason = reason
    obj._history_user = by
    obj.save()


def _next_position(queryset) -> int:
    return (queryset.aggregate(last=Max("position"))["last"] or 0) + 1


def _move(obj, *, direction: str, by) -> bool:
    """Swap ``obj`` with its neighbour in the organisation's order. Positions are numbered 1..n
    first, quietly (an organisation seeded with every position 0 is ordered by name or code);
    only the two that swap get a history record. False when it is already at that end."""
    if direction not in (UP, DOWN):
        raise ValidationError(f"move {UP} or {DOWN}, not {direction!r}")
    model = type(obj)
    rows = list(
        model.objects.select_for_update()
        .filter(organisation_id=obj.organisation_id)
        .order_by(*model._meta.ordering[1:], "pk")
    )
    for number, row in enumerate(rows, start=1):
        if row.position != number:
            model.objects.filter(pk=row.pk).update(position=number)
            row.position = number
    index = next(i for i, row in enumerate(rows) if row.pk == obj.pk)
    other = index - 1 if direction == UP else index + 1
    if not 0 <= other < len(rows):
        return False
    mine, theirs = rows[index], rows[other]
    mine.position, theirs.position = theirs.position, mine.position
    _save(mine, reason=MOVED_REASON.format(direction=direction), by=by)
    _save(theirs, reason=MOVED_REASON.format(direction=DOWN if direction == UP else UP), by=by)
    obj.position = mine.position
    return True


def _retire(obj, *, already: str, by) -> None:
    if obj.retired:
        raise ValidationError(already.format(name=obj.name))
    obj.retired_at = timezone.now()
    _save(obj, reason=RETIRED_REASON, by=by)


def _restore(obj, *, not_retired: str, by) -> None:
    if not obj.retired:
        raise ValidationError(not_retired.format(name=obj.name))
    obj.retired_at = None
    _save(obj, reason=RESTORED_REASON, by=by)


def _risk_saved(risk: Risk, *, reason: str, by, now) -> None:
    """One history record for a risk a merge changed, saying so. A plain save, not
    ``risk_update``: a merge changes only the category or objectives, never re-rates the risk.
    The version goes up so an edit opened before the merge is merged three ways on saving."""
    risk.version += 1
    risk.updated_at = now
    risk._change_reason = reason
    risk._history_user = by
    risk.save(update_fields=["category", "version", "updated_at"])


# --- categories --------------------------------------------------------------------------------


def _category_name_problem(organisation: Organisation, name: str, *, exclude=None) -> str | None:
    if not name:
        return CATEGORY_NAME_REQUIRED
    same = Category.objects.filter(organisation=organisation, name__iexact=name)
    if exclude is not None:
        same = same.exclude(pk=exclude.pk)
    if same.exists():
        return CATEGORY_NAME_TAKEN.format(name=name)
    return None


@transaction.atomic
def category_add(
    *, organisation: Organisation, name: str, description: str = "", by=None
) -> Category:
    """Add a category at the end of the organisation's list."""
    name = _clean(name)
    problem = _category_name_problem(organisation, name)
    if problem:
        raise ValidationError({"name": problem})
    category = Category(
        organisation=organisation,
        name=name,
        description=description.strip(),
        position=_next_position(Category.objects.filter(organisation=organisation)),
    )
    _save(category, reason=ADDED_REASON, by=by)
    return category


@transaction.atomic
def category_rename(*, category: Category, name: str, by=None) -> Category:
    name = _clean(name)
    problem = _category_name_problem(category.organisation, name, exclude=category)
    if problem:
        raise ValidationError({"name": problem})
    if name == category.name:
        return category  # no history record saying nothing changed
    old = category.name
    category.name = name
    _save(category, reason=RENAMED_REASON.format(old=old), by=by)
    return category


@transaction.atomic
def category_move(*, category: Category, direction: str, by=None) -> bool:
    """Move a category one place up or down the list (False: it is already at that end)."""
    return _move(category, direction=direction, by=by)


@transaction.atomic
def category_retire(*, category: Category, by=None) -> Category:
    _retire(category, already=CATEGORY_ALREADY_RETIRED, by=by)
    return category


@transaction.atomic
def category_restore(*, category: Category, by=None) -> Category:
    """Bring a retired category back: it is offered for new risks again."""
    _restore(category, not_retired=CATEGORY_NOT_RETIRED, by=by)
    return category


@transaction.atomic
def category_merge(*, source: Category, target: Category, by=None) -> int:
    """Move every risk of ``source`` (open or closed) to ``target``, each with a history record
    saying "category merged into <target>", and return how many moved.

    The source's appetite statement moves to the target when the target has none; when both have
    one, the target's stays and the source's is removed (with the reason in appetite history).

    The source is then retired, not deleted: risks' history records and packs as at earlier dates
    still name it by its id, and a deleted category would read "(deleted category 7)" there."""
    organisation = source.organisation
    _same_organisation(organisation, target, CATEGORY_OTHER_ORGANISATION)
    if source.pk == target.pk:
        raise ValidationError(CATEGORY_MERGE_ITSELF.format(name=source.name))
    if target.retired:
        raise ValidationError(CATEGORY_MERGE_INTO_RETIRED.format(name=target.name))
    reason = CATEGORY_MERGED_REASON.format(target=target.name)
    now = timezone.now()
    risks = list(Risk.objects.select_for_update().filter(category=source).order_by("pk"))
    for risk in risks:
        risk.category = target
        _risk_saved(risk, reason=reason, by=by, now=now)

    statements = {
        statement.category_id: statement
        for statement in AppetiteStatement.objects.select_for_update()
        .filter(organisation=organisation, category__in=[source, target])
        .order_by()  # the default ordering joins the category, which FOR UPDATE refuses
    }
    moving = statements.get(source.pk)
    if moving is not None:
        words = {"source": source.name, "target": target.name}
        moving._history_user = by
        if target.pk in statements:
            appetite_statement_remove(
                statement=moving, reason=_short(STATEMENT_REMOVED_REASON.format(**words))
            )
        else:
            moving.category = target
            moving.version += 1
            moving._change_reason = _short(STATEMENT_MOVED_REASON.format(**words))
            moving.save()

    if not source.retired:
        source.retired_at = now
    _save(source, reason=MERGED_AWAY_REASON.format(target=target.name), by=by)
    return len(risks)


# --- objectives --------------------------------------------------------------------------------


def _objective_problems(
    organisation: Organisation, code: str, name: str, *, exclude=None
) -> dict[str, str]:
    errors = {}
    same = Objective.objects.filter(organisation=organisation)
    if exclude is not None:
        same = same.exclude(pk=exclude.pk)
    if not code:
        errors["code"] = OBJECTIVE_CODE_REQUIRED
    elif same.filter(code__iexact=code).exists():
        errors["code"] = OBJECTIVE_CODE_TAKEN.format(code=code)
    if not name:
        errors["name"] = OBJECTIVE_NAME_REQUIRED
    elif same.filter(name__iexact=name).exists():
        errors["name"] = OBJECTIVE_NAME_TAKEN.format(name=name)
    return errors


@transaction.atomic
def objective_add(
    *, organisation: Organisation, code: str, name: str, description: str = "", by=None
) -> Objective:
    code, name = _clean(code), _clean(name)
    errors = _objective_problems(organisation, code, name)
    if errors:
        raise ValidationError(errors)
    objective = Objective(
        organisation=organisation,
        code=code,
        name=name,
        description=description.strip(),
        position=_next_position(Objective.objects.filter(organisation=organisation)),
    )
    _save(objective, reason=ADDED_REASON, by=by)
    return objective


@transaction.atomic
def objective_rename(*, objective: Objective, code: str, name: str, by=None) -> Objective:
    """Change an objective's code or name (or both)."""
    code, name = _clean(code), _clean(name)
    errors = _objective_problems(objective.organisation, code, name, exclude=objective)
    if errors:
        raise ValidationError(errors)
    if (code, name) == (objective.code, objective.name):
        return objective
    old = f"{objective.code} {objective.name}"
    objective.code, objective.name = code, name
    _save(objective, reason=RENAMED_REASON.format(old=old), by=by)
    return objective


@transaction.atomic
def objective_move(*, objective: Objective, direction: str, by=None) -> bool:
    return _move(objective, direction=direction, by=by)


@transaction.atomic
def objective_retire(*, objective: Objective, by=None) -> Objective:
    _retire(objective, already=OBJECTIVE_ALREADY_RETIRED, by=by)
    return objective


@transaction.atomic
def objective_restore(*, objective: Objective, by=None) -> Objective:
    _restore(objective, not_retired=OBJECTIVE_NOT_RETIRED, by=by)
    return objective


@transaction.atomic
def objective_merge(*, source: Objective, target: Objective, by=None) -> int:
    """Move every risk's link to ``source`` over to ``target`` (a risk with both keeps one link
    to ``target``), each risk with a history record saying "objective merged into <target>"
    that holds its objectives after the move; return how many risks changed. The source is then
    retired, not deleted, for the reason ``category_merge`` gives."""
    organisation = source.organisation
    _same_organisation(organisation, target, OBJECTIVE_OTHER_ORGANISATION)
    if source.pk == target.pk:
        raise ValidationError(OBJECTIVE_MERGE_ITSELF.format(name=source.name))
    if target.retired:
        raise ValidationError(OBJECTIVE_MERGE_INTO_RETIRED.format(name=target.name))
    links = Risk.objectives.through.objects
    risk_ids = set(links.filter(objective=source).values_list("risk_id", flat=True))
    risks = list(Risk.objects.select_for_update().filter(pk__in=risk_ids).order_by("pk"))
    has_target = set(
        links.filter(objective=target, risk_id__in=risk_ids).values_list("risk_id", flat=True)
    )
    # The link table directly, not ``risk.objectives``: its signals would write two history
    # records per risk (removed, added) without the reason; the save below writes one.
    links.filter(objective=source).delete()
    links.bulk_create(
        [
            Risk.objectives.through(risk_id=risk_id, objective_id=target.pk)
            for risk_id in sorted(risk_ids - has_target)
        ]
    )
    reason = OBJECTIVE_MERGED_REASON.format(target=str(target))
    now = timezone.now()
    for risk in risks:
        _risk_saved(risk, reason=reason, by=by, now=now)
    if not source.retired:
        source.retired_at = now
    _save(source, reason=MERGED_AWAY_REASON.format(target=str(target)), by=by)
    return len(risks)
