"""A risk's children under /api/v1/risks/<pk>/ (included by api/urls.py). Plain typed paths
whose kwargs the isolation walker knows by name (pk after "risks/", control_pk, action_pk,
indicator_pk)."""

from django.urls import path

from .views_history import HistoryViewSet
from .views_indicators import IndicatorViewSet, ReadingViewSet
from .views_reviews import ReviewViewSet
from .views_treatments import ActionViewSet, ControlViewSet

RISK = "api/v1/risks/<int:pk>/"
LIST = {"get": "list", "post": "create"}
DETAIL = {"get": "retrieve", "patch": "partial_update"}

urlpatterns = [
    path(f"{RISK}controls/", ControlViewSet.as_view(LIST), name="api-control-list"),
    path(
        f"{RISK}controls/<int:control_pk>/",
        ControlViewSet.as_view(DETAIL),
        name="api-control-detail",
    ),
    path(f"{RISK}actions/", ActionViewSet.as_view(LIST), name="api-action-list"),
    path(
        f"{RISK}actions/<int:action_pk>/",
        ActionViewSet.as_view(DETAIL),
        name="api-action-detail",
    ),
    path(f"{RISK}reviews/", ReviewViewSet.as_view(LIST), name="api-review-list"),
    path(
        f"{RISK}indicators/",
        IndicatorViewSet.as_view({"get": "list"}),
        name="api-indicator-list",
    ),
    path(
        f"{RISK}indicators/<int:indicator_pk>/readings/",
        ReadingViewSet.as_view(LIST),
        name="api-reading-list",
    ),
    path(f"{RISK}history/", HistoryViewSet.as_view({"get": "list"}), name="api-risk-history"),
]
