"""The "Reminder e-mails" page of an organisation.

Every member chooses how often they get reminder digests (daily, weekly on Mondays, or only when
something is overdue). Coordinators and admins also see the organisation's recent reminders,
failures first with the reason, and can retry a failed one now (POST). The organisation comes
only through ``registers.permissions``; the sending is ``reporting.reminders.sending``.
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

from ..forms import PreferenceForm
from ..models import DigestFrequency, Reminder, ReminderPreference, ReminderStatus
from ..reminders.sending import retry_reminder

RECENT_DAYS = 30
RECENT_LIMIT = 100


HINTS = {
    DigestFrequency.DAILY: "One e-mail on any day when a review or action is due soon or overdue.",
    DigestFrequency.WEEKLY: "One e-mail each Monday listing what is due soon or overdue.",
    DigestFrequency.NEVER: "No reminders about what is due soon; an e-mail only when something "
    "is overdue.",
}


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
    preference = ReminderPreference.objects.filter(membership=access.membership).first()
    current = preference.frequency if preference else DigestFrequency.DAILY
    form = PreferenceForm(initial={"frequency": current})
    status = 200
    if request.method == "POST" and request.POST.get("retry"):
        if not coordinator:
            raise PermissionDenied("Only coordinators can retry reminders")
        try:
            reminder = Reminder.objects.select_related("organisation", "user").get(
                organisation=organisation, pk=int(request.POST["retry"])
            )
        except (ValueError, Reminder.DoesNotExist):
            raise Http404("No such reminder") from None
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
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            ReminderPreference.objects.update_or_create(
                membership=access.membership,
                defaults={"frequency": form.cleaned_data["frequency"]},
            )
            label = dict(form.fields["frequency"].choices)[form.cleaned_data["frequency"]]
            messages.success(request, f"Reminder e-mails: {label.lower()}.")
            return redirect("reminder_preferences", org=organisation.slug)
        status = 400
    choices = [(value, label, HINTS[value]) for value, label in form.fields["frequency"].choices]
    selected = form["frequency"].value() or current
    return render(
        request,
        "reporting/reminders.html",
        {
            "access": access,
            "organisation": organisation,
            "form": form,
            "choices": choices,
            "selected": selected,
            "coordinator": coordinator,
            "reminders": list(_recent(organisation)) if coordinator else [],
            "recent_days": RECENT_DAYS,
            "notice_days": organisation.reminder_notice_days,
        },
        status=status,
    )
