"""Two of allauth's SAML endpoints with riskreg's additions for its SAML key pair (decision 111),
listed before allauth's URLs at the same paths (accounts/views.py). Without the key pair both
are allauth's own views, unchanged.

- The metadata publishes riskreg's certificate for encryption as well as signing. python3-saml
  publishes it for encryption only when it refuses plain assertions; riskreg takes both, and an
  identity provider that encrypts whenever the service provider's metadata lets it (Shibboleth,
  so the UK Access Management Federation) needs the certificate marked for encryption.
- An answer whose encrypted assertion riskreg cannot decrypt (encrypted to another certificate,
  or malformed) is the refusal page allauth shows for any other answer riskreg cannot accept:
  python3-saml raises xmlsec's error for it, which allauth does not catch (a 500)."""

from __future__ import annotations

import logging

import xmlsec
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.saml import views as allauth_saml
from allauth.socialaccount.providers.saml.utils import build_saml_config, get_app_or_404
from django.http import HttpRequest, HttpResponse
from django.urls import path
from onelogin.saml2.errors import OneLogin_Saml2_ValidationError
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from riskreg.security import client_ip

from . import saml_keys

log = logging.getLogger("riskreg.security")

ASSERTION_NOT_DECRYPTED = (
    "The assertion is encrypted, but not to riskreg's certificate, or is malformed"
)


def metadata(request: HttpRequest, organization_slug: str) -> HttpResponse:
    if saml_keys.key_pair() is None:
        return allauth_saml.metadata(request, organization_slug=organization_slug)
    app = get_app_or_404(request, organization_slug)
    config = build_saml_config(request, app.settings, organization_slug)
    # Read by python3-saml's metadata builder only (it adds the KeyDescriptor
    # use="encryption"); the ACS's settings leave it off, so plain assertions still pass.
    config["security"]["wantAssertionsEncrypted"] = True
    saml_settings = OneLogin_Saml2_Settings(settings=config, sp_validation_only=True)
    return HttpResponse(content=saml_settings.get_sp_metadata(), content_type="text/xml")


def finish_acs(request: HttpRequest, organization_slug: str) -> HttpResponse:
    try:
        return allauth_saml.finish_acs(request, organization_slug=organization_slug)
    except (xmlsec.Error, OneLogin_Saml2_ValidationError) as error:
        log.warning(
            "single sign-on refused: provider=%s reason=assertion-not-decrypted error=%s ip=%s",
            organization_slug,
            error.__class__.__name__,
            client_ip(request) or "-",
        )
        provider = get_app_or_404(request, organization_slug).get_provider(request)
        return render_authentication_error(
            request,
            provider,
            extra_context={
                "saml_errors": ["invalid_response"],
                "saml_last_error_reason": ASSERTION_NOT_DECRYPTED,
            },
        )


urlpatterns = [
    path("accounts/saml/<str:organization_slug>/metadata/", metadata),
    path("accounts/saml/<str:organization_slug>/acs/finish/", finish_acs),
]
