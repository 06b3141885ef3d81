"""API tokens in the browser (issue 19, "Access").

- A person's own tokens (``/accounts/you/tokens/``, linked from "Your account"): listed with
  their state, created with a form, revoked after a confirmation. A new token's secret is
  written into the answer to the POST that made it and nowhere else: not the session, not a
  log, not a later page (decision 61). That answer is never cached.
- An organisation admin's list of the live tokens that reach their organisation
  (``/o/<org>/settings/api-tokens/``), each of which they may take their organisation off; a
  token left reaching nothing is revoked (``api.services.api_token_organisation_remove``).

Organisations come only through ``registers.permissions`` (404 for a non-member, 403 for a
member who is not an admin, as on the other settings pages); a token only through
``api.selectors`` (404 for one outside the person's or the organisation's reach).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from registers import permissions
from riskreg.forms import posted

from . import selectors, services
from .forms import ApiTokenForm

ADMINS_ONLY = "Only an organisation admin sees and revokes the organisation's API tokens."
REVOKED = "The token “{name}” is revoked: scripts using it are refused from now on."
ALREADY_REVOKED = "The token “{name}” was already revoked."
REMOVED = (
    "The token “{name}” of {person} no longer reaches {organisation}: calls with it for "
    "{organisation} are refused from now on."
)

LIVE, EXPIRED, REVOKED_STATE = "live", "expired", "revoked"


def _state(token, now) -> str:
    if token.revoked_at is not None:
        return REVOKED_STATE
    return LIVE if token.expires_at > now else EXPIRED


def _rows(tokens) -> list[dict]:
    now = timezone.now()
    return [{"token": token, "state": _state(token, now)} for token in tokens]


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _tokens_page(request: HttpRequest, form: ApiTokenForm, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "rows": _rows(selectors.api_tokens_of_person(user=request.user)),
            "error_forms": [form] if form.is_bound and form.errors else [],
            "can_make": form.can_make,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_api_tokens(request: HttpRequest) -> HttpResponse:
    organisations = [m.organisation for m in permissions.memberships_for_request(request)]
    form = ApiTokenForm(posted(request), organisations=organisations)
    if request.method != "POST":
        return _tokens_page(request, form)
    if form.is_valid():
        arguments = form.service_arguments()
        try:
            token, secret = services.api_token_create(user=request.user, **arguments)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            # Shown here, once: the next request cannot see it again.
            return _no_store(
                render(
                    request,
                    "api/token_created.html",
                    {
                        "token": token,
                        "secret": secret,
                        "organisations": arguments["organisations"],
                    },
                )
            )
    return _tokens_page(request, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def account_api_token_revoke(request: HttpRequest, api_token: int) -> HttpResponse:
    token = selectors.api_token_for_owner(user=request.user, pk=api_token)
    if request.method == "POST":
        already = token.revoked_at is not None
        services.api_token_revoke(token=token, by=request.user)
        messages.success(request, (ALREADY_REVOKED if already else REVOKED).format(name=token.name))
        return redirect("account_api_tokens")
    return render(
        request,
        "api/token_revoke.html",
        {"row": _rows([token])[0], "token": token},
    )


def _admin_access(request: HttpRequest, org: str) -> permissions.OrganisationAccess:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if not access.is_admin:
        raise PermissionDenied(ADMINS_ONLY)
    return access


@login_required
@require_GET
def settings_api_tokens(request: HttpRequest, org: str) -> HttpResponse:
    access = _admin_access(request, org)
    tokens = selectors.api_tokens_of_organisation(organisation=access.organisation)
    return render(
        request,
        "api/organisation_tokens.html",
        {"access": access, "organisation": access.organisation, "tokens": list(tokens)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def settings_api_token_revoke(request: HttpRequest, org: str, api_token: int) -> HttpResponse:
    access = _admin_access(request, org)
    token = selectors.api_token_for_admin(access=access, pk=api_token)
    organisation = access.organisation
    if request.method == "POST":
        services.api_token_organisation_remove(
            token=token, organisation=organisation, by=request.user
        )
        messages.success(
            request,
            REMOVED.format(
                name=token.name,
                person=token.user.full_name or token.user.email,
                organisation=organisation.display_name,
            ),
        )
        return redirect("settings_api_tokens", org=org)
    return render(
        request,
        "api/organisation_token_revoke.html",
        {"access": access, "organisation": organisation, "token": token},
    )


urlpatterns = [
    path("accounts/you/tokens/", account_api_tokens, name="account_api_tokens"),
    path(
        "accounts/you/tokens/<int:api_token>/revoke/",
        account_api_token_revoke,
        name="account_api_token_revoke",
    ),
    path("o/<slug:org>/settings/api-tokens/", settings_api_tokens, name="settings_api_tokens"),
    path(
        "o/<slug:org>/settings/api-tokens/<int:api_token>/revoke/",
        settings_api_token_revoke,
        name="settings_api_token_revoke",
    ),
]
