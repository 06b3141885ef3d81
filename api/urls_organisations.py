"""/api/v1/organisations/...: an organisation, its registers, scheme, appetite and packs (read
only). Typed kwargs the isolation walker knows (org, register, report_pk)."""

from django.urls import path

from .views_organisations import (
    AppetiteView,
    OrganisationDetailView,
    OrganisationListView,
    RegisterDetailView,
    RegisterListView,
    SchemeView,
)
from .views_packs import PackDownloadView, PackListView

ORG = "api/v1/organisations/<slug:org>/"

urlpatterns = [
    path("api/v1/organisations/", OrganisationListView.as_view(), name="api-organisations"),
    path(ORG, OrganisationDetailView.as_view(), name="api-organisation"),
    path(f"{ORG}registers/", RegisterListView.as_view(), name="api-registers"),
    path(f"{ORG}registers/<slug:register>/", RegisterDetailView.as_view(), name="api-register"),
    path(f"{ORG}scheme/", SchemeView.as_view(), name="api-scheme"),
    path(f"{ORG}appetite/", AppetiteView.as_view(), name="api-appetite"),
    path(f"{ORG}packs/", PackListView.as_view(), name="api-packs"),
    path(
        f"{ORG}packs/<int:report_pk>/download/",
        PackDownloadView.as_view(),
        name="api-pack-download",
    ),
]
