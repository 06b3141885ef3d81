from django.urls import path

from . import views, views_lifecycle, views_packs, views_reminders

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
    path(
        "o/<slug:org>/reminders/",
        views_reminders.reminder_preferences,
        name="reminder_preferences",
    ),
    path("o/<slug:org>/reports/", views_packs.packs, name="packs"),
    path("o/<slug:org>/reports/<int:pk>/status/", views_packs.pack_status, name="pack_status"),
    path("o/<slug:org>/reports/<int:pk>/retry/", views_packs.pack_retry_view, name="pack_retry"),
    path(
        "o/<slug:org>/reports/<int:pk>/download/",
        views_packs.pack_download,
        name="pack_download",
    ),
    path("reports/", views_packs.my_packs, name="my_packs"),
]
