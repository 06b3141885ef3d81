"""The provider's pages: allauth's account pages (its login page) and the OpenID Connect endpoints
(``/.well-known/openid-configuration``, ``/.well-known/jwks.json``, ``/identity/o/...``)."""

from django.urls import include, path

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("", include("allauth.idp.urls")),
]
