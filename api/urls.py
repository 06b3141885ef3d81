from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .views import RiskViewSet

# Plain paths with typed converters (not a router's regexes), so the isolation walker fills them.
urlpatterns = [
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script under our CSP.
    path(
        "api/v1/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("api/v1/risks/", RiskViewSet.as_view({"get": "list"}), name="api-risk-list"),
    path(
        "api/v1/risks/<int:pk>/",
        RiskViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="api-risk-detail",
    ),
]
