"""Two-factor sign-in, an organisation admin's pages: who must use it, and resetting a member's.

Each view first fetches the organisation through ``permissions.organisation_for_user`` (404 for
anyone who is not a member), then refuses members whose role does not allow it (403) before it
looks at any member id, so a 403 never depends on whether an id exists; a member id is looked up
within that organisation only (404 otherwise)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from registers import permissions
from registers.models import Membership, SecondFactorRule

from .forms_second_factor import SecondFactorRuleForm, rule_summary
from .middleware import has_second_factor
from .selectors_second_factor import second_factor_counts, second_factor_status
from .services_second_factor import reset_refusal, second_factor_reset, second_factor_rule_set

RULE_REFUSED = "Only an organisation admin chooses who must use two-factor sign-in."
RESET_REFUSED = "Only an organisation admin can reset a member's two-factor sign-in."


def _access(request: HttpRequest, org: str, allowed: str, refusal: str):
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if not getattr(access, allowed):
        raise PermissionDenied(refusal)
    return access


def _membership(access: permissions.OrganisationAccess, request, pk: int) -> Membership:
    membership = (
        Membership.objects.filter(organisation=access.organisation, pk=pk)
        .select_related("user", "organisation")
        .first()
    )
    if membership is None:
        permissions.log_refusal(request.user, access.organisation.slug, f"no member {pk}")
        raise Http404("No such member")
    return membership


def _rule_options(form: SecondFactorRuleForm, organisation) -> list[dict]:
    counts = second_factor_counts(organisation)
    chosen = form["rule"].value() or organisation.second_factor_required

    def outstanding(without: int, total: int, one: str, many: str) -> str:
        if not total:
            return f"There are no {many} yet."
        if total == 1:
            return f"The one {one} {'has not set it up yet' if without else 'has set it up'}."
        if not without:
            return f"All {total} {many} have set it up."
        verb = "has" if without == 1 else "have"
        return f"{without} of the {total} {many} {verb} not set it up yet."

    hints = {
        SecondFactorRule.NOBODY: (
            "Members choose for themselves: anyone can turn on two-factor sign-in from their "
            "account. " + outstanding(counts.members_without, counts.members, "member", "members")
        ),
        SecondFactorRule.ADMINS_AND_COORDINATORS: (
            "An admin or risk coordinator without a second factor is taken to set one up when "
            "they sign in, and can do nothing else until they have. "
            + outstanding(
                counts.admins_and_coordinators_without,
                counts.admins_and_coordinators,
                "admin or risk coordinator",
                "admins and risk coordinators",
            )
        ),
        SecondFactorRule.EVERYONE: (
            "Every member without a second factor is taken to set one up when they sign in, and "
            "can do nothing else until they have. "
            + outstanding(counts.members_without, counts.members, "member", "members")
        ),
    }
    field = form["rule"]
    return [
        {
            "id": f"{field.auto_id}_{index}",  # the error summary links to the first
            "value": value,
            "label": label,
            "hint": hints[value],
            "checked": value == chosen,
        }
        for index, (value, label) in enumerate(SecondFactorRule.choices)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_settings(request: HttpRequest, org: str) -> HttpResponse:
    """Who in the organisation must sign in with a second factor."""
    access = _access(request, org, "can_require_second_factor", RULE_REFUSED)
    organisation = access.organisation
    form = SecondFactorRuleForm(
        request.POST if request.method == "POST" else None,
        initial={"rule": organisation.second_factor_required},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = second_factor_rule_set(
                    organisation=organisation, rule=form.cleaned_data["rule"], by=request.user
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                summary = rule_summary(organisation)
                if changed:
                    messages.success(request, f"{summary}.")
                else:
                    messages.info(request, f"No change: {summary[0].lower()}{summary[1:]}.")
                return redirect("members", org=org)
        status = 400
    return render(
        request,
        "accounts/second_factor_settings.html",
        {
            "access": access,
            "organisation": organisation,
            "form": form,
            "options": _rule_options(form, organisation),
            "i_have_none": not has_second_factor(request.user),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_reset_page(request: HttpRequest, org: str, member: int) -> HttpResponse:
    """Confirm, then delete every second factor of a member."""
    access = _access(request, org, "can_reset_second_factors", RESET_REFUSED)
    membership = _membership(access, request, member)
    person = membership.user
    refusal = reset_refusal(user=person, organisation=access.organisation, by=request.user)
    status = 403 if refusal else 200
    if refusal and request.method == "POST":
        permissions.log_refusal(
            request.user, access.organisation.slug, f"second factor reset of user {person.pk}"
        )
    if request.method == "POST" and not refusal:
        try:
            deleted = second_factor_reset(
                user=person, organisation=access.organisation, by=request.user
            )
        except ValidationError as error:
            refusal, status = " ".join(error.messages), 400
        else:
            name = person.get_full_name()
            if deleted:
                messages.success(
                    request,
                    f"{name}'s two-factor sign-in was reset. They have been e-mailed to say so.",
                )
            else:
                messages.info(request, f"{name} had no two-factor sign-in to reset.")
            return redirect("member", org=org, member=membership.pk)
    return render(
        request,
        "accounts/second_factor_reset.html",
        {
            "access": access,
            "organisation": access.organisation,
            "membership": membership,
            "member": person,
            "is_me": person.pk == request.user.pk,
            # Which factors they have only where the organisation may reset them (decision 114).
            "status": None if refusal else second_factor_status(person),
            "refusal": refusal,
        },
        status=status,
    )


urlpatterns = [
    path(
        "o/<slug:org>/settings/two-factor/",
        second_factor_settings,
        name="second_factor_settings",
    ),
    path(
        "o/<slug:org>/members/<int:member>/second-factor/reset/",
        second_factor_reset_page,
        name="second_factor_reset",
    ),
]
