"""The "Reminder e-mails" page of an organisation.

Every member sees what the organisation's reminders are and how often they get them; they
choose how often on their account page (``accounts.account_page``, one choice per
organisation). Coordinators and admins also see the organisation's recent reminders, failures
first with the reason, and can retry a failed one now (POST). The organisation comes only
through ``registers.permissions``; the sending is ``reporting.reminders.sending``.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from registers import permissions, selectors

from ..models import DigestFrequency, Reminder, ReminderStatus
from ..reminders.preferences import reminder_frequency
from ..reminders.selection import SIGN_OFF_DAYS
from ..reminders.sending import retry_reminder

RECENT_DAYS = 30
RECENT_LIMIT = 100


# How often a member gets them, as this page says it.
FREQUENCY_WORDS = {
    DigestFrequency.DAILY: "daily, on any day when something is due soon or overdue",
    DigestFrequency.WEEKLY: "weekly, on Mondays",
    DigestFrequency.NEVER: "only when something is overdue",
}
NO_REMINDER = "No such reminder"


def _recent(organisation):
    since = selectors.organisation_today(organisation) - dt.timedelta(days=RECENT_DAYS)
    return (
        Reminder.objects.filter(organisation=organisation, day__gte=since)
        .select_related("user")
        .annotate(
            failed_first=Case(
                When(status=ReminderStatus.FAILED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("failed_first", "-day", "user__full_name", "user__email", "kind")[:RECENT_LIMIT]
    )


@login_required
@require_http_methods(["GET", "POST"])
def reminder_preferences(request: HttpRequest, org: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    organisation = access.organisation
    coordinator = access.role in permissions.COORDINATOR_ROLES
    if request.method == "POST":
        # The only thing posted here is a coordinator's retry; members choose how often on
        # their account page.
        if not coordinator:
            raise PermissionDenied("Only coordinators can retry reminders")
        try:
            reminder = Reminder.objects.select_related("organisation", "user").get(
                organisation=organisation, pk=int(request.POST.get("retry", ""))
            )
        except (ValueError, Reminder.DoesNotExist):
            raise Http404(NO_REMINDER) from None
        outcome = retry_reminder(reminder)
        name = reminder.user.get_full_name()
        if outcome == ReminderStatus.FAILED:
            reminder.refresh_from_db()
            messages.error(request, f"The reminder to {name} failed again: {reminder.error}")
        else:
            messages.success(
                request, f"The reminder to {name} for {reminder.day:%-d %B %Y} has been sent."
            )
        return redirect("reminder_preferences", org=organisation.slug)
    return render(
        request,
        "reporting/reminders.html",
        {
            "access": access,
            "organisation": organisation,
            "frequency": FREQUENCY_WORDS[reminder_frequency(membership=access.membership)],
            "coordinator": coordinator,
            "reminders": list(_recent(organisation)) if coordinator else [],
            "recent_days": RECENT_DAYS,
            "notice_days": organisation.reminder_notice_days,
            "sign_off_days": SIGN_OFF_DAYS,
        },
    )
