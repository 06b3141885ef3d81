from django.urls import path

from . import views, views_lifecycle

urlpatterns = [
    path(
        "o/<slug:org>/registers/<slug:register>/import/",
        views.register_import,
        name="register_import",
    ),
    path(
        "o/<slug:org>/registers/<slug:register>/import/<int:upload>/",
        views.register_import_preview,
        name="register_import_preview",
    ),
    path(
        "o/<slug:org>/registers/<slug:register>/export/",
        views.register_export,
        name="register_export",
    ),
    path("o/<slug:org>/movement/", views_lifecycle.movement, name="movement"),
    path("o/<slug:org>/reviews/", views_lifecycle.review_health, name="review_health"),
]
