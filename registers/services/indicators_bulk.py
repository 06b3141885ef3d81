"""Many key risk indicators and readings at once (the spreadsheet import, issue 18): the rules of
``indicator_add``, ``indicator_update`` and ``reading_record`` in ``services.indicators``, written
in a number of queries that does not grow with the number of rows, history included.

Each function checks every item before writing any and raises ValidationError (or RiskConflict,
for an indicator saved by someone else since its version was read) with nothing written; the
caller's transaction makes several calls all or nothing. One reading a day, as
``reading_record``: a reading for a day that already has one replaces it, and the replaced value
stays in the reading's history (docs/decisions.md 55).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from .. import caching
from ..calendar import organisation_today
from ..models import Indicator, IndicatorReading
from .indicators import (
    INDICATOR_FIELDS,
    INDICATOR_RETIRED,
    NAME_REQUIRED,
    READING_DATE_REQUIRED,
    READING_IN_FUTURE,
    READING_VALUE_REQUIRED,
    _check_thresholds,
)
from .register_archive import refuse_if_risk_archived
from .risks import RiskConflict
from .risks_bulk import BATCH, DELETED_MEANWHILE, _Checks, _clean

INDICATOR_KEYS = ["organisation", "risk", "owner"]
READING_KEYS = ["organisation", "indicator", "entered_by"]
ONE_ORGANISATION = "every indicator written at once must belong to one organisation"
READING_TWICE = "{indicator}: two readings on {day} given at once; give one"


def _labelled(label: str, exc: ValidationError) -> ValidationError:
    return ValidationError([f"{label}: {message}" for message in exc.messages])


def _check(indicator: Indicator, checks: _Checks, *, owner: bool = True) -> None:
    """``services.indicators._validate`` without its queries (the owner's membership from
    ``checks``, keys left to the database). ``owner=False``: the owner is not being set, so one
    who has since left the organisation stays, as on a control changed in bulk."""
    label = f"{indicator.risk.ref}: {indicator.name or 'indicator'}"
    indicator.name = " ".join((indicator.name or "").split())
    if not indicator.name:
        raise _labelled(label, ValidationError(NAME_REQUIRED))
    try:
        _check_thresholds(indicator.direction, indicator.amber_from, indicator.red_from)
        if owner:
            checks.check("owner", indicator.owner)
    except ValidationError as exc:
        raise _labelled(label, exc) from None
    _clean(indicator, INDICATOR_KEYS, label)


@transaction.atomic
def indicator_add_many(*, indicators: Sequence[Indicator], reason: str, by=None) -> list[Indicator]:
    """Save unsaved indicators (each with its ``risk``, a saved risk of one organisation whose
    register came with it, and its position), as ``indicator_add`` would: one history record
    each, carrying ``reason`` and ``by``."""
    if not indicators:
        return []
    organisation = indicators[0].risk.organisation
    checks = _Checks(organisation, [each.owner_id for each in indicators])
    for indicator in indicators:
        if indicator.risk.organisation_id != organisation.id:
            raise ValidationError(ONE_ORGANISATION)
        refuse_if_risk_archived(indicator.risk)
        indicator.organisation_id = organisation.id
        indicator.description = (indicator.description or "").strip()
        indicator.unit = (indicator.unit or "").strip()
        _check(indicator, checks)
    caching.organisation_changed(organisation.id)  # bulk_create sends no signal
    return bulk_create_with_history(
        list(indicators), Indicator, batch_size=BATCH, default_user=by, default_change_reason=reason
    )


@dataclass
class IndicatorChange:
    """A change to a saved indicator, made on version ``expected_version``."""

    pk: int
    expected_version: int
    fields: dict = field(default_factory=dict)


@transaction.atomic
def indicator_update_many(
    *, changes: Sequence[IndicatorChange], reason: str, by=None
) -> list[Indicator]:
    """As ``indicator_update`` for many indicators at once, each checked against the version
    its editor saw: one saved since raises RiskConflict (naming its risk), a retired one
    ``INDICATOR_RETIRED``, and nothing is written."""
    if not changes:
        return []
    locked = {
        each.pk: each
        for each in Indicator.objects.select_for_update(of=("self",))
        .select_related("risk__register", "risk__organisation")
        .filter(pk__in=[change.pk for change in changes])
        .order_by("pk")
    }
    organisation = None
    for change in changes:
        indicator = locked.get(change.pk)
        if indicator is None:
            raise ValidationError(DELETED_MEANWHILE)
        if indicator.version != change.expected_version:
            raise RiskConflict(indicator.risk)
        organisation = organisation or indicator.risk.organisation
        if indicator.organisation_id != organisation.id:
            raise ValidationError(ONE_ORGANISATION)
        unknown = set(change.fields) - INDICATOR_FIELDS
        if unknown:
            raise ValidationError(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
        if indicator.retired_at is not None:
            raise _labelled(indicator.name, ValidationError(INDICATOR_RETIRED))
    checks = _Checks(organisation, [change.fields.get("owner") for change in changes])
    written: set[str] = {"version"}
    saved = []
    for change in changes:
        indicator = locked[change.pk]
        refuse_if_risk_archived(indicator.risk)
        for name, value in change.fields.items():
            setattr(indicator, name, value.strip() if isinstance(value, str) else value)
            written.add(name)
        _check(indicator, checks, owner="owner" in change.fields)
        indicator.version += 1
        saved.append(indicator)
    Indicator.objects.bulk_update(saved, sorted(written), batch_size=BATCH)
    caching.organisations_changed(each.organisation_id for each in saved)  # no signal sent
    Indicator.history.bulk_history_create(
        saved, batch_size=BATCH, update=True, default_user=by, default_change_reason=reason
    )
    return saved


@dataclass
class ReadingEntry:
    """A reading to record: ``indicator`` a saved indicator (its risk and register with it)."""

    indicator: Indicator
    taken_on: dt.date | None
    value: Decimal | None
    note: str = ""


@transaction.atomic
def reading_record_many(
    *, entries: Sequence[ReadingEntry], reason: str, by=None, today: dt.date | None = None
) -> list[IndicatorReading]:
    """Record readings as ``reading_record`` would, in bulk: a day that already has a reading of
    its indicator has it replaced (its history keeps the old value), others are added; a retired
    indicator, an archived register, a missing value or date, or a day in the future refuses the
    whole batch. ``by`` is recorded as the person who entered them. A day is in the future after
    ``today``, by default the indicator's organisation's (``organisation_today``)."""
    if not entries:
        return []
    todays: dict[int, dt.date] = {}
    ids = sorted({entry.indicator.pk for entry in entries})
    # The indicators locked, as reading_record locks its one: a retirement waits for us.
    retired = dict(
        Indicator.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "retired_at")
    )
    seen: set[tuple[int, dt.date]] = set()
    for entry in entries:
        indicator = entry.indicator
        label = f"{indicator.risk.ref}: {indicator.name}"
        if retired.get(indicator.pk) is not None:
            raise _labelled(label, ValidationError(INDICATOR_RETIRED))
        refuse_if_risk_archived(indicator.risk)
        if entry.value is None:
            raise _labelled(label, ValidationError(READING_VALUE_REQUIRED))
        if entry.taken_on is None:
            raise _labelled(label, ValidationError(READING_DATE_REQUIRED))
        risk = indicator.risk
        if risk.organisation_id not in todays:
            todays[risk.organisation_id] = today or organisation_today(risk.organisation)
        if entry.taken_on > todays[risk.organisation_id]:
            raise _labelled(label, ValidationError(READING_IN_FUTURE))
        key = (indicator.pk, entry.taken_on)
        if key in seen:
            raise ValidationError(READING_TWICE.format(indicator=label, day=entry.taken_on))
        seen.add(key)
    days = [entry.taken_on for entry in entries]
    existing = {
        (reading.indicator_id, reading.taken_on): reading
        for reading in IndicatorReading.objects.select_for_update()
        .filter(indicator_id__in=ids, taken_on__gte=min(days), taken_on__lte=max(days))
        .order_by("pk")
    }
    added, replaced = [], []
    for entry in entries:
        indicator = entry.indicator
        reading = existing.get((indicator.pk, entry.taken_on))
        if reading is None:
            reading = IndicatorReading(
                organisation_id=indicator.organisation_id,
                indicator=indicator,
                taken_on=entry.taken_on,
            )
            added.append(reading)
        else:
            replaced.append(reading)
        reading.value = entry.value
        reading.note = (entry.note or "").replace("\r\n", "\n").strip()
        reading.entered_by = by
        _clean(reading, READING_KEYS, f"{indicator.risk.ref}: {indicator.name}")
    caching.organisations_changed(each.organisation_id for each in [*added, *replaced])
    saved = bulk_create_with_history(
        added,
        IndicatorReading,
        batch_size=BATCH,
        default_user=by,
        default_change_reason=reason or "recorded",
    )
    if replaced:
        IndicatorReading.objects.bulk_update(
            replaced, ["value", "note", "entered_by"], batch_size=BATCH
        )
        IndicatorReading.history.bulk_history_create(
            replaced,
            batch_size=BATCH,
            update=True,
            default_user=by,
            default_change_reason=f"{reason}: replaced by a reading the same day",
        )
    return [*saved, *replaced]
