"""An organisation admin's single sign-on page: the organisation's OpenID Connect and SAML 2.0
connections, what to register with each provider (the redirect URI; for SAML, the ACS URL and
riskreg's entity ID or metadata), and adding, changing and removing them.

As on the members pages, every view first fetches the organisation through
``permissions.organisation_for_user`` (404 for anyone who is not a member), then refuses members
who are not admins (403) before it looks at any provider id, and finds a provider only among the
organisation's own (404 otherwise). The client secret is never shown back: only where it comes
from."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from registers import permissions
from riskreg.forms import posted

from . import saml_keys, services_sso, sso
from .forms_sso import SamlProviderForm, SingleSignOnProviderForm
from .models import SingleSignOnProvider

ADMINS_ONLY = "Only an organisation admin sets up single sign-on."
SAML_CONNECTED = (
    "{organisation} is connected to {name}. Give the identity provider the ACS URL and entity "
    "ID below (or riskreg's metadata) if you have not yet: sign-in through it works once you "
    "have."
)
CONNECTED = (
    "{organisation} is connected to {name}. Register the redirect URI below with the provider "
    "if you have not yet: sign-in through it works once you have."
)
CHANGED = "The connection to {name} is saved."
REMOVED = (
    "{organisation} no longer signs in with {name}. People of its domains sign in with a "
    "password again (those who have none can reset one)."
)


def _admin_access(request: HttpRequest, org: str) -> permissions.OrganisationAccess:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if not access.can_manage_members:
        raise PermissionDenied(ADMINS_ONLY)
    return access


def _providers(access: permissions.OrganisationAccess):
    # Scoped by the organisation the access check returned, never by an id from the URL alone.
    return (
        SingleSignOnProvider.objects.filter(organisation=access.organisation)
        .select_related("organisation")
        .prefetch_related("domains")
        .order_by("name", "issuer")
    )


def _provider(access: permissions.OrganisationAccess, pk: int) -> SingleSignOnProvider:
    provider = _providers(access).filter(pk=pk).first()
    if provider is None:
        permissions.log_refusal(
            access.user, access.organisation.slug, f"single sign-on connection {pk}"
        )
        raise Http404("No such single sign-on connection")
    return provider


def _row(provider: SingleSignOnProvider) -> dict:
    row = {
        "provider": provider,
        "domains": [domain.domain for domain in provider.domains.all()],
        "saml": sso.is_saml(provider),
        "secret_source": sso.secret_source(provider),
        "secret_problem": sso.secret_problem(provider),
        "redirect_uri": sso.redirect_uri(provider),
    }
    if row["saml"]:
        row.update(
            acs_url=sso.saml_acs_url(provider),
            sp_entity_id=sso.saml_entity_id(provider),
            sp_metadata_url=sso.saml_metadata_url(provider),
            email_attributes=sso.saml_email_attributes(provider),
            certificate=sso.saml_certificate_words(provider) if provider.saml_certificate else "",
            requests_signed=saml_keys.requests_words(),
            encrypted_assertions=saml_keys.encryption_words(),
        )
    return row


@login_required
def sso_settings(request: HttpRequest, org: str) -> HttpResponse:
    access = _admin_access(request, org)
    if request.method not in ("GET", "HEAD"):
        # Checked after the access check, so a non-member still gets 404, not 405.
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return render(
        request,
        "accounts/sso_settings.html",
        {
            "access": access,
            "organisation": access.organisation,
            "rows": [_row(provider) for provider in _providers(access)],
        },
    )


def _form_page(request, access, form, provider=None) -> HttpResponse:
    saml = isinstance(form, SamlProviderForm)
    return render(
        request,
        "accounts/sso_saml_provider_form.html" if saml else "accounts/sso_provider_form.html",
        {
            "access": access,
            "organisation": access.organisation,
            "form": form,
            "provider": provider,
            "row": _row(provider) if provider else None,
        },
        status=400 if form.errors else 200,
    )


def _add_page(
    request: HttpRequest,
    org: str,
    *,
    form_class: type[SingleSignOnProviderForm | SamlProviderForm],
    add,
    field: str,
    identifier,
    taken: str,
    connected: str,
) -> HttpResponse:
    """An add page of either protocol. ``field`` names the connection's identifier (issuer or
    entity ID), ``identifier`` makes it what is stored, and ``taken`` (formatted with the
    organisation and the identifier under ``field``'s name) refuses one the organisation has."""
    access = _admin_access(request, org)
    form = form_class(posted(request))
    if request.method == "POST" and form.is_valid():
        organisation = access.organisation
        arguments = form.service_arguments()
        stored = identifier(arguments[field])
        if organisation.sign_in_providers.filter(issuer=stored).exists():
            # The command changes a connection to an issuer it already has; the page's add form
            # says so instead, so a second tab cannot overwrite the first's settings unseen.
            form.add_error(
                field, taken.format(organisation=organisation.display_name, **{field: stored})
            )
        else:
            try:
                provider, _ = add(organisation=organisation, by=request.user, **arguments)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    connected.format(organisation=organisation.display_name, name=provider.name),
                )
                return redirect("sso_settings", org=org)
    return _form_page(request, access, form)


@login_required
@require_http_methods(["GET", "POST"])
def sso_provider_add(request: HttpRequest, org: str) -> HttpResponse:
    return _add_page(
        request,
        org,
        form_class=SingleSignOnProviderForm,
        add=services_sso.sso_provider_add,
        field="issuer",
        identifier=services_sso.normalised_issuer,
        taken=services_sso.ISSUER_TAKEN,
        connected=CONNECTED,
    )


@login_required
@require_http_methods(["GET", "POST"])
def sso_saml_provider_add(request: HttpRequest, org: str) -> HttpResponse:
    return _add_page(
        request,
        org,
        form_class=SamlProviderForm,
        add=services_sso.sso_saml_provider_add,
        field="entity_id",
        identifier=str.strip,
        taken=services_sso.ENTITY_ID_TAKEN,
        connected=SAML_CONNECTED,
    )


@login_required
@require_http_methods(["GET", "POST"])
def sso_provider_change(request: HttpRequest, org: str, provider: int) -> HttpResponse:
    access = _admin_access(request, org)
    row = _provider(access, provider)
    saml = sso.is_saml(row)
    form_class = SamlProviderForm if saml else SingleSignOnProviderForm
    change = services_sso.sso_saml_provider_change if saml else services_sso.sso_provider_change
    form = form_class(posted(request), provider=row)
    if request.method == "POST" and form.is_valid():
        try:
            row = change(provider=row, by=request.user, **form.service_arguments())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, CHANGED.format(name=row.name))
            return redirect("sso_settings", org=org)
    return _form_page(request, access, form, provider=row)


@login_required
@require_http_methods(["GET", "POST"])
def sso_provider_remove(request: HttpRequest, org: str, provider: int) -> HttpResponse:
    access = _admin_access(request, org)
    row = _provider(access, provider)
    if request.method == "POST":
        services_sso.sso_provider_remove(provider=row, by=request.user)
        messages.success(
            request,
            REMOVED.format(organisation=access.organisation.display_name, name=row.name),
        )
        return redirect("sso_settings", org=org)
    summary = _row(row)
    return render(
        request,
        "accounts/sso_provider_remove.html",
        {
            "access": access,
            "organisation": access.organisation,
            "row": summary,
            "provider": row,
            "domains": summary["domains"],
        },
    )


urlpatterns = [
    path("o/<slug:org>/settings/single-sign-on/", sso_settings, name="sso_settings"),
    path(
        "o/<slug:org>/settings/single-sign-on/add/",
        sso_provider_add,
        name="sso_provider_add",
    ),
    path(
        "o/<slug:org>/settings/single-sign-on/add-saml/",
        sso_saml_provider_add,
        name="sso_saml_provider_add",
    ),
    path(
        "o/<slug:org>/settings/single-sign-on/<int:provider>/",
        sso_provider_change,
        name="sso_provider_change",
    ),
    path(
        "o/<slug:org>/settings/single-sign-on/<int:provider>/remove/",
        sso_provider_remove,
        name="sso_provider_remove",
    ),
]
