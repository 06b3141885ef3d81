"""Key risk indicators (issue 18): add, change and retire a risk's indicators, and record their
readings (one a day: a second reading the same day replaces the first, which history keeps).

Who may do what is ``OrganisationAccess.can_edit_indicators`` / ``can_record_reading``'s to say;
these services enforce the rules of the data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..calendar import organisation_today
from ..models import Indicator, IndicatorDirection, IndicatorReading, Risk
from .register_archive import refuse_if_risk_archived
from .risks import _check_same_organisation
from .treatments import merged_fields

INDICATOR_FIELDS = frozenset(
    {
        "name",
        "description",
        "unit",
        "direction",
        "amber_from",
        "red_from",
        "frequency",
        "owner",
        "position",
        "illustrative",
    }
)
NAME_REQUIRED = "give the indicator a name"
THRESHOLDS_ORDER_WORSE = (
    "where higher is worse, red must start at or above amber (amber from {amber}, red from {red})"
)
THRESHOLDS_ORDER_BETTER = (
    "where higher is better, red must start at or below amber (amber from {amber}, red from {red})"
)
INDICATOR_CHANGED = (
    "someone else changed this indicator while you were editing it: open it again to see "
    "their changes"
)
INDICATOR_RETIRED = "this indicator is retired: it takes no more readings or changes"
READING_VALUE_REQUIRED = "enter the reading's value"
READING_IN_FUTURE = "a reading cannot be dated in the future"
READING_DATE_REQUIRED = "enter the date the reading was taken"


def _check_thresholds(direction: str, amber: Decimal, red: Decimal) -> None:
    if direction == IndicatorDirection.HIGHER_IS_BETTER:
        if amber < red:
            raise ValidationError(
                {"red_from": THRESHOLDS_ORDER_BETTER.format(amber=amber, red=red)}
            )
    elif amber > red:
        raise ValidationError({"red_from": THRESHOLDS_ORDER_WORSE.format(amber=amber, red=red)})


def _validate(indicator: Indicator) -> None:
    indicator.name = " ".join((indicator.name or "").split())
    if not indicator.name:
        raise ValidationError({"name": NAME_REQUIRED})
    _check_thresholds(indicator.direction, indicator.amber_from, indicator.red_from)
    _check_same_organisation(indicator.risk.organisation, "owner", indicator.owner)
    indicator.full_clean(exclude=["risk", "organisation"])


@transaction.atomic
def indicator_add(
    *,
    user,
    risk: Risk,
    name: str,
    amber_from: Decimal,
    red_from: Decimal,
    direction: str = IndicatorDirection.HIGHER_IS_WORSE,
    unit: str = "",
    description: str = "",
    frequency: str = "monthly",
    owner=None,
    illustrative: bool = False,
    position: int | None = None,
) -> Indicator:
    refuse_if_risk_archived(risk)
    if position is None:
        position = Indicator.objects.filter(risk=risk).count()
    indicator = Indicator(
        organisation_id=risk.organisation_id,
        risk=risk,
        name=name,
        description=(description or "").strip(),
        unit=(unit or "").strip(),
        direction=direction,
        amber_from=amber_from,
        red_from=red_from,
        frequency=frequency,
        owner=owner,
        illustrative=illustrative,
        position=position,
    )
    _validate(indicator)
    indicator._change_reason = "added"
    indicator._history_user = user
    indicator.save()
    return indicator


# Which way is worse and where amber and red start hold only together (``_validate``): two
# people's changes to them are merged as one, never one person's amber beside the other's red.
THRESHOLD_FIELDS = ("direction", "amber_from", "red_from")


@transaction.atomic
def indicator_update(
    *,
    user,
    indicator: Indicator,
    expected_version: int | None = None,
    merge_stale: bool = False,
    choices: Mapping[str, str] | None = None,
    choices_at: int | None = None,
    **fields,
) -> Indicator:
    """Change an indicator. ``expected_version`` is the version the form was opened at: a save
    from an older version is refused (``INDICATOR_CHANGED``), nothing written.

    With ``merge_stale`` (the edit form, which sends every field it shows) a save from an older
    version is merged as a control's is (``services.treatments``): only what this person
    changed since ``expected_version`` is written, on top of what others saved; a field both
    changed to different values raises TreatmentConflict until ``choices`` (made when shown the
    values of version ``choices_at``) say whose value to keep."""
    unknown = set(fields) - INDICATOR_FIELDS
    if unknown:
        raise ValidationError(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
    locked = Indicator.objects.select_for_update().get(pk=indicator.pk)
    locked.risk = indicator.risk
    refuse_if_risk_archived(locked.risk)
    if locked.retired_at is not None:
        raise ValidationError(INDICATOR_RETIRED)
    if merge_stale:
        fields = merged_fields(
            Indicator,
            locked,
            expected_version=expected_version,
            fields=fields,
            choices=choices,
            choices_at=choices_at,
            together=(THRESHOLD_FIELDS,),
        )
    elif expected_version is not None and expected_version != locked.version:
        raise ValidationError(INDICATOR_CHANGED)
    for name, value in fields.items():
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    _validate(locked)
    locked.version += 1
    locked._change_reason = "edited"
    locked._history_user = user
    locked.save()
    return locked


@transaction.atomic
def indicator_retire(*, user, indicator: Indicator, reason: str = "") -> Indicator:
    """Retire an indicator: kept with its readings for history and past packs, no longer read,
    chased or shown as current."""
    locked = Indicator.objects.select_for_update().get(pk=indicator.pk)
    locked.risk = indicator.risk
    refuse_if_risk_archived(locked.risk)
    if locked.retired_at is not None:
        return locked
    locked.retired_at = indicator.retired_at = timezone.now()
    locked.version += 1
    locked._change_reason = reason or "retired"
    locked._history_user = user
    locked.save()
    return locked


@dataclass(frozen=True)
class ReplacedReading:
    """The reading of the same day that a new one replaced: what the person is told."""

    value: Decimal
    entered_by: object  # the person who recorded it (None if their account is gone)


@transaction.atomic
def reading_record(
    *,
    user,
    indicator: Indicator,
    taken_on: dt.date | None,
    value: Decimal | None,
    note: str = "",
    today: dt.date | None = None,
    reason: str = "",
) -> IndicatorReading:
    """Record a reading of ``indicator`` on ``taken_on``: a second reading the same day replaces
    the first (the change is in the reading's history; the reading returned says what it
    replaced, ``replaced``: a ``ReplacedReading``, or None). ``reason`` says where it came from
    ("via the API by ..."), after what happened. ``today``: the organisation's day
    (``organisation_today``, its default), after which a reading is in the future."""
    # The row locked: a reading and a retirement of the same indicator wait for each other. Its
    # row alone (OF self): the default ordering joins the risk, register and organisation.
    retired_at = (
        Indicator.objects.select_for_update(of=("self",))
        .filter(pk=indicator.pk)
        .values_list("retired_at", flat=True)
        .first()
    )
    if retired_at is not None:
        raise ValidationError(INDICATOR_RETIRED)
    refuse_if_risk_archived(indicator.risk)
    if value is None:
        raise ValidationError({"value": READING_VALUE_REQUIRED})
    if taken_on is None:
        raise ValidationError({"taken_on": READING_DATE_REQUIRED})
    if taken_on > (today or organisation_today(indicator.risk.organisation)):
        raise ValidationError({"taken_on": READING_IN_FUTURE})
    note = (note or "").replace("\r\n", "\n").strip()
    reading = (
        IndicatorReading.objects.select_for_update(of=("self",))
        .select_related("entered_by")
        .filter(indicator=indicator, taken_on=taken_on)
        .first()
    )
    if reading is None:
        reading = IndicatorReading(
            organisation_id=indicator.organisation_id, indicator=indicator, taken_on=taken_on
        )
        reading._change_reason = "recorded"
        reading.replaced = None
    else:
        reading._change_reason = "replaced by a reading the same day"
        reading.replaced = ReplacedReading(value=reading.value, entered_by=reading.entered_by)
    if reason:
        reading._change_reason += f" {reason}"
    reading.value = value
    reading.note = note
    reading.entered_by = user
    reading._history_user = user
    reading.full_clean(exclude=["indicator", "organisation"], validate_unique=False)
    reading.save()
    return reading
