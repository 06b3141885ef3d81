"""The risk lifecycle pages of an organisation: movement since the last report, and review health.

Thin views: the organisation comes only through ``registers.permissions`` (404 for anyone who is
not a member); every member may read both pages (they show what the register pages show). The
work is in ``reporting.movement``, ``reporting.review_health`` and ``reporting.periods``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from registers import permissions, selectors

from .. import periods
from ..forms import PeriodForm
from ..movement import movement_between, movement_withheld
from ..review_health import (
    due_soon_rows,
    group_rows,
    organisation_health,
    overdue_rows,
    owner_health,
    register_health,
)

MOVEMENT_LIST_LIMIT = 200  # rows per list on the movement page unless ?all=1


@login_required
@require_GET
def movement(request: HttpRequest, org: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    organisation = access.organisation
    now = timezone.now()
    today = periods.local_date(organisation=organisation, moment=now)
    report = periods.last_report_date(organisation=organisation, moment=now)
    quarter = periods.last_quarter_report(organisation=organisation, moment=now)
    data = request.GET.copy()  # the form shows the period in use, defaults included
    if not data.get("since"):
        data["since"] = report.local_date.isoformat()
    if not data.get("until"):
        data["until"] = today.isoformat()
    form = PeriodForm(data, today=today)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    since_day = data.get("since") if "since" not in form.errors else None
    until_day = data.get("until") if "until" not in form.errors else None
    since = (
        periods.day_end(organisation=organisation, day=since_day) if since_day else report.moment
    )
    until = now
    if until_day is not None and until_day < today:
        until = periods.day_end(organisation=organisation, day=until_day)
    if since >= until:  # a bad pair was reported on the form: fall back to the defaults
        since, until = report.moment, now
    result = movement_withheld(
        movement_between(organisation=organisation, since=since, until=until),
        risk_ids=access.withheld_risk_ids,
    )
    url = reverse("movement", args=[organisation.slug])
    since_date = periods.local_date(organisation=organisation, moment=since)
    until_date = periods.local_date(organisation=organisation, moment=until)
    # Long lists (thousands of re-scores in a large organisation) show their first rows; the
    # whole page, every row, is one link away.
    show_all = request.GET.get("all") == "1"
    period = {"since": since_date.isoformat(), "until": until_date.isoformat()}
    choices = [(report, f"{url}?{urlencode({'since': report.local_date.isoformat()})}")]
    if quarter.moment != report.moment:
        choices.append((quarter, f"{url}?{urlencode({'since': quarter.local_date.isoformat()})}"))
    return render(
        request,
        "reporting/movement.html",
        {
            "access": access,
            "organisation": organisation,
            "form": form,
            "movement": result,
            "unflagged_moves": [move for move in result.level_moves if not move.flagged],
            "show_all": show_all,
            "list_limit": MOVEMENT_LIST_LIMIT,
            "row_slice": ":" if show_all else f":{MOVEMENT_LIST_LIMIT}",
            "all_url": f"{url}?{urlencode({**period, 'all': '1'})}",
            "since_date": since_date,
            "until_date": until_date,
            "until_is_now": until == now,
            "report": report,
            "is_default": since == report.moment and until == now,
            "choices": choices,
            "today": today,
        },
        status=400 if form.errors else 200,
    )


VIEWS = {"register": "By register", "owner": "By owner"}


@login_required
@require_GET
def review_health(request: HttpRequest, org: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    organisation = access.organisation
    today = selectors.organisation_today(organisation)
    by = request.GET.get("by")
    by = by if by in VIEWS else "register"
    overdue = overdue_rows(organisation=organisation, today=today)
    due_soon = due_soon_rows(organisation=organisation, today=today)
    registers = register_health(organisation=organisation, today=today)
    top = selectors.top_register([item.register for item in registers])
    return render(
        request,
        "reporting/review_health.html",
        {
            "access": access,
            "organisation": organisation,
            "today": today,
            "by": by,
            "views": VIEWS,
            "total": organisation_health(organisation=organisation, today=today),
            "registers": registers,
            "top_register": top,
            "owners": owner_health(organisation=organisation, today=today),
            "overdue": group_rows(overdue, by=by),
            "due_soon": group_rows(due_soon, by=by),
            "overdue_count": len(overdue),
            "due_soon_count": len(due_soon),
            "due_soon_days": selectors.DUE_SOON_DAYS,
        },
    )
