"""The risk page and everything that changes a risk: create and edit, controls and actions,
reviews, close and reopen, history."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from .. import permissions, selectors
from ..services.risks import risk_warnings


@login_required
def risk_detail(request: HttpRequest, org: str, ref: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    risk = permissions.risk_for_user(user=request.user, organisation=access.organisation, ref=ref)
    row = selectors.risk_rows([risk], organisation=access.organisation)[0]
    return render(
        request,
        "registers/risk_detail.html",
        {
            "access": access,
            "organisation": access.organisation,
            "risk": risk,
            "row": row,
            "positions": [
                ("Inherent (initial)", row.inherent),
                ("Current", row.current),
                ("Target", row.target),
            ],
            "warnings": risk_warnings(risk),
            "controls": risk.controls.select_related("owner"),
            "actions": risk.actions.select_related("owner"),
            "objectives": risk.objectives.all(),
            "leads": risk.leads.all(),
        },
    )


urlpatterns = [
    path("o/<slug:org>/risks/<str:ref>/", risk_detail, name="risk"),
]
