"""The "my work" page for owners, managers and action owners: what is theirs, what is due and
what is overdue, in one organisation. Its actions are the ones the person chases (their own and
every open one on the risks they own or manage: registers/selectors/chasing.py)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from .. import calendar, permissions, selectors
from ..selectors.review_standing import DUE_SOON, OVERDUE, standing
from ..selectors.sign_off import awaiting_my_sign_off
from ..withholding import withhold_actions

# A coordinator who owns every imported risk can have thousands; a page that long helps nobody.
MY_WORK_LIMIT = 200


@login_required
def my_work(request: HttpRequest, org: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    organisation = access.organisation
    today = calendar.organisation_today(organisation)
    # A risk whose update awaits sign-off is reviewed: not due or overdue until it is decided
    # (``review_standing``, read from ``my_risks``' awaiting_sign_off), as everywhere.
    risks = selectors.my_risks(organisation=organisation, user=request.user)
    rows = selectors.annotated_rows(risks[: MY_WORK_LIMIT + 1])
    actions = withhold_actions(
        selectors.actions_to_chase(user=request.user, organisation=organisation)[
            : MY_WORK_LIMIT + 1
        ],
        access=access,
    )
    more_risks, more_actions = len(rows) > MY_WORK_LIMIT, len(actions) > MY_WORK_LIMIT
    rows, actions = rows[:MY_WORK_LIMIT], actions[:MY_WORK_LIMIT]
    review_standing = {r.risk.pk: standing(r.risk, today) for r in rows}
    due_reviews = [r for r in rows if review_standing[r.risk.pk] in (OVERDUE, DUE_SOON)]
    soon = today + dt.timedelta(days=calendar.DUE_SOON_DAYS)
    due_actions = [a for a in actions if a.due_date and a.due_date <= soon]
    return render(
        request,
        "registers/work.html",
        {
            "access": access,
            "organisation": organisation,
            "today": today,
            "rows": rows,
            "actions": actions,
            "reviews_overdue": sum(1 for r in due_reviews if review_standing[r.risk.pk] == OVERDUE),
            "actions_overdue": sum(1 for a in due_actions if a.due_date < today),
            "due_soon": sorted(
                [
                    ("review", r.risk.next_review_due, r.risk, r)
                    for r in due_reviews
                    if review_standing[r.risk.pk] == DUE_SOON
                ]
                + [("action", a.due_date, a.risk, a) for a in due_actions if a.due_date >= today],
                key=lambda item: (item[1], item[0] == "action", item[2].ref),
            ),
            "due_days": calendar.DUE_SOON_DAYS,
            "more_risks": more_risks,
            "more_actions": more_actions,
            "limit": MY_WORK_LIMIT,
            "awaiting_sign_off": awaiting_my_sign_off(access=access, limit=MY_WORK_LIMIT),
        },
    )


urlpatterns = [
    path("o/<slug:org>/my-work/", my_work, name="my_work"),
]
