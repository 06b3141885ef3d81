from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .views import RiskViewSet
from .views_feed import (
    HistoryCsvFeedView,
    HistoryJsonFeedView,
    RiskCsvFeedView,
    RiskJsonFeedView,
)

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
    # A risk's controls, actions, reviews, indicators and readings, history (api/urls_children.py).
    path("", include("api.urls_children")),
    # Organisations, their registers, scheme, appetite and packs (api/urls_organisations.py).
    path("", include("api.urls_organisations")),
    # The reporting feed (BI tools): one document each, CSV or JSON by the name's ending.
    path(
        "api/v1/feed/<slug:org>/risks.csv",
        RiskCsvFeedView.as_view(),
        name="api-feed-risks-csv",
    ),
    path("api/v1/feed/<slug:org>/risks.json", RiskJsonFeedView.as_view(), name="api-feed-risks"),
    path(
        "api/v1/feed/<slug:org>/history.csv",
        HistoryCsvFeedView.as_view(),
        name="api-feed-history-csv",
    ),
    path(
        "api/v1/feed/<slug:org>/history.json",
        HistoryJsonFeedView.as_view(),
        name="api-feed-history",
    ),
]
