from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import AppetiteLevel, AppetiteStatement
from .presets import APPETITE_PRESETS


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
    result = []
    for position, spec in enumerate(levels, start=1):
        level = existing.get(spec["name"])
        if level is None:
            level = AppetiteLevel(organisation=organisation, position=position, **spec)
            level.full_clean()
            level.save()
        result.append(level)
    return result


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
) -> AppetiteStatement:
    """Set the appetite for a category (None: the organisation-wide default)."""
    if category is not None and category.organisation_id != organisation.id:
        raise ValidationError("the category belongs to another organisation")
    if level is not None and level.organisation_id != organisation.id:
        raise ValidationError("the appetite level belongs to another organisation")
    statement = AppetiteStatement.objects.filter(
        organisation=organisation, category=category
    ).first() or AppetiteStatement(organisation=organisation, category=category)
    statement.level, statement.tolerance = level, tolerance
    statement.warning, statement.rationale = warning, rationale
    if warning is not None and warning >= tolerance:
        raise ValidationError(
            {
                "warning": f"the warning threshold ({warning}) must be below the tolerance ({tolerance})"
            }
        )
    statement.full_clean(validate_constraints=False)
    statement._change_reason = reason or "appetite set"
    statement.save()
    return statement
