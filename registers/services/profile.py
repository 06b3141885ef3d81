"""The organisation's profile, as its admin edits it: its names, the committee or panel its packs
are addressed to, its reporting calendar (quarter-end months, committee months, timezone), the
default review period, the reminder notice period, and the handling marking a new risk gets
unless the form or the spreadsheet gives one (``default_marking``).

The calendar these fields feed is ``registers.calendar``: a changed quarter-end month moves the
dashboard's and the packs' "end of last quarter" at once, and a changed timezone moves "today".
A joint panel (the Met and MOPAC's) is one body with one name, so ``panel_name`` stays one field.
"""

from __future__ import annotations

from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Marking, Organisation, PackOrder
from ..models.organisations import (  # noqa: F401  the model's rules, as the form names them
    MONTHS_INVALID,
    QUARTER_END_REQUIRED,
    REMINDER_NOTICE_MAX,
    REMINDER_NOTICE_MIN,
    REMINDER_NOTICE_RANGE,
    months_cleaned,
)

# The fields an admin may change here, in the order a change reason lists them.
PROFILE_FIELDS = (
    "name",
    "short_name",
    "panel_name",
    "quarter_end_months",
    "committee_months",
    "timezone",
    "default_review_months",
    "reminder_notice_days",
    "default_marking",
    "pack_order",
    "deep_dive_quarters",
)
# How a change reason names each field.
FIELD_WORDS = {
    "name": "name",
    "short_name": "short name",
    "panel_name": "committee or panel",
    "quarter_end_months": "quarter-end months",
    "committee_months": "committee months",
    "timezone": "timezone",
    "default_review_months": "default review period",
    "reminder_notice_days": "reminder notice period",
    "default_marking": "handling marking of new risks",
    "pack_order": "order of risks in packs",
    "deep_dive_quarters": "quarters red before a deep dive",
}

PROFILE_CHANGED_REASON = "profile changed: {fields}"
PROFILE_FIELD_UNKNOWN = "the profile has no field {name!r}"
TIMEZONE_UNKNOWN = "“{zone}” is not a timezone: give one such as Europe/London"
MARKING_UNKNOWN = "choose OFFICIAL or OFFICIAL-SENSITIVE"
PACK_ORDER_UNKNOWN = "choose by reference or by current score"
DEEP_DIVE_MIN, DEEP_DIVE_MAX = 1, 12
DEEP_DIVE_RANGE = f"the quarters red before a deep dive are from {DEEP_DIVE_MIN} to {DEEP_DIVE_MAX}"
# Names the system's zone database lists that are not places (and "localtime" is this server's).
NOT_PLACES = {"localtime", "posixrules", "Factory"}


def timezone_known(zone: str) -> bool:
    """Whether ``zone`` is an IANA timezone name (Europe/London, UTC, Pacific/Auckland)."""
    return zone not in NOT_PLACES and zone in available_timezones()


def _cleaned(fields: dict) -> dict:
    unknown = sorted(set(fields) - set(PROFILE_FIELDS))
    if unknown:
        raise ValidationError(PROFILE_FIELD_UNKNOWN.format(name=unknown[0]))
    cleaned = dict(fields)
    for name in ("name", "short_name", "panel_name", "timezone"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    for name in ("quarter_end_months", "committee_months"):
        if name in cleaned:
            cleaned[name] = months_cleaned([] if cleaned[name] is None else cleaned[name], name)
    if "quarter_end_months" in cleaned and not cleaned["quarter_end_months"]:
        raise ValidationError({"quarter_end_months": QUARTER_END_REQUIRED})
    if "timezone" in cleaned and not timezone_known(cleaned["timezone"]):
        raise ValidationError({"timezone": TIMEZONE_UNKNOWN.format(zone=cleaned["timezone"])})
    if "default_marking" in cleaned and cleaned["default_marking"] not in Marking.values:
        raise ValidationError({"default_marking": MARKING_UNKNOWN})
    if "pack_order" in cleaned and cleaned["pack_order"] not in PackOrder.values:
        raise ValidationError({"pack_order": PACK_ORDER_UNKNOWN})
    quarters = cleaned.get("deep_dive_quarters")
    if "deep_dive_quarters" in cleaned and (
        isinstance(quarters, bool)
        or not isinstance(quarters, int)
        or not DEEP_DIVE_MIN <= quarters <= DEEP_DIVE_MAX
    ):
        raise ValidationError({"deep_dive_quarters": DEEP_DIVE_RANGE})
    days = cleaned.get("reminder_notice_days")
    if "reminder_notice_days" in cleaned and (
        isinstance(days, bool)
        or not isinstance(days, int)
        or not REMINDER_NOTICE_MIN <= days <= REMINDER_NOTICE_MAX
    ):
        raise ValidationError({"reminder_notice_days": REMINDER_NOTICE_RANGE})
    return cleaned


@transaction.atomic
def organisation_profile_set(*, organisation: Organisation, by, **fields) -> list[str]:
    """Change the profile fields given (any of ``PROFILE_FIELDS``); the names of those that
    changed, in ``PROFILE_FIELDS`` order. One history row says who and which fields; nothing
    is written when nothing changed."""
    cleaned = _cleaned(fields)
    # Compared with the stored row, locked, so two admins saving at once each see what changed.
    stored = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changed = [
        name
        for name in PROFILE_FIELDS
        if name in cleaned and getattr(stored, name) != cleaned[name]
    ]
    if not changed:
        return []
    for name in changed:
        setattr(stored, name, cleaned[name])
    # The model's own checks too (committee months may be none: no committee packs).
    stored.full_clean()
    stored._change_reason = PROFILE_CHANGED_REASON.format(
        fields=", ".join(FIELD_WORDS[name] for name in changed)
    )
    stored._history_user = by
    stored.save(update_fields=changed)
    for name in changed:  # the caller's copy reads as saved
        setattr(organisation, name, cleaned[name])
    return changed
