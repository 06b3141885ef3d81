"""Thin views: fetch through registers.permissions, read through selectors, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from .. import permissions, selectors

RISKS_PER_PAGE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = permissions.memberships_for_user(request.user)
    return render(request, "registers/home.html", {"memberships": memberships})


@login_required
def organisation_detail(request: HttpRequest, org: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    registers = selectors.registers_with_counts(organisation=access.organisation)
    return render(
        request,
        "registers/organisation_detail.html",
        {
            "access": access,
            "organisation": access.organisation,
            "tree": selectors.register_tree(registers),
        },
    )


@login_required
def register_detail(request: HttpRequest, org: str, register: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    register_obj = permissions.register_for_user(
        user=request.user, organisation=access.organisation, slug=register
    )
    page = Paginator(selectors.register_risks(register=register_obj), RISKS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "registers/register_detail.html",
        {
            "access": access,
            "organisation": access.organisation,
            "register": register_obj,
            "page": page,
            "rows": selectors.risk_rows(page.object_list, organisation=access.organisation),
            "children": register_obj.children.order_by("name"),
        },
    )


urlpatterns = [
    path("", home, name="home"),
    path("o/<slug:org>/", organisation_detail, name="organisation"),
    path("o/<slug:org>/registers/<slug:register>/", register_detail, name="register"),
]
