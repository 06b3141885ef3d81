"""How often each member wants reminder e-mails, per organisation (``ReminderPreference``):
read for the account page and the organisation's reminders page, written when a member chooses.

A member with no preference row gets the default, a daily digest (``DigestFrequency.DAILY``),
as ``reporting.reminders.selection`` sends it."""

from __future__ import annotations

from django.db import transaction

from registers.models import Membership

from ..models import DigestFrequency, ReminderPreference

DEFAULT = DigestFrequency.DAILY

# What each choice means, shown beside it.
HINTS = {
    DigestFrequency.DAILY: "One e-mail on any day when a review or action is due soon or overdue, "
    "or an update waits for your sign-off.",
    DigestFrequency.WEEKLY: "One e-mail each Monday listing what is due soon or overdue, and the "
    "updates waiting for your sign-off.",
    DigestFrequency.NEVER: "No reminders about what is due soon; an e-mail only when something "
    "is overdue (an update has waited for your sign-off over a week).",
}


def reminder_frequencies(*, memberships: list[Membership]) -> dict[int, str]:
    """Each membership's frequency by membership id, the default where none was chosen: one
    query, however many organisations."""
    chosen = dict(
        ReminderPreference.objects.filter(membership__in=memberships).values_list(
            "membership_id", "frequency"
        )
    )
    return {membership.pk: chosen.get(membership.pk, DEFAULT) for membership in memberships}


def reminder_frequency(*, membership: Membership) -> str:
    return reminder_frequencies(memberships=[membership])[membership.pk]


def reminder_preference_set(*, membership: Membership, frequency: str) -> ReminderPreference:
    """A member's own choice for one organisation (the caller has checked it is their
    membership, through ``registers.permissions``)."""
    with transaction.atomic():
        preference = ReminderPreference.objects.select_for_update().filter(
            membership=membership
        ).first() or ReminderPreference(membership=membership)
        preference.frequency = frequency
        preference.full_clean()
        preference.save()
    return preference
