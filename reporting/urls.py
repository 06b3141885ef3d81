from django.urls import path

from .views import (
    import_jobs,
    lifecycle,
    pack_release,
    pack_word,
    packs,
    reminders,
    spreadsheets,
)

urlpatterns = [
    path(
        "o/<slug:org>/registers/<slug:register>/import/",
        spreadsheets.register_import,
        name="register_import",
    ),
    path(
        "o/<slug:org>/registers/<slug:register>/import/<int:upload>/",
        spreadsheets.register_import_preview,
        name="register_import_preview",
    ),
    path(
        "o/<slug:org>/registers/<slug:register>/import/jobs/<int:job>/",
        import_jobs.register_import_job,
        name="register_import_job",
    ),
    path(
        "o/<slug:org>/registers/<slug:register>/import/template/",
        spreadsheets.register_import_template,
        name="register_import_template",
    ),
    path(
        "o/<slug:org>/registers/<slug:register>/export/",
        spreadsheets.register_export,
        name="register_export",
    ),
    path("o/<slug:org>/movement/", lifecycle.movement, name="movement"),
    path("o/<slug:org>/reviews/", lifecycle.review_health, name="review_health"),
    path(
        "o/<slug:org>/reminders/",
        reminders.reminder_preferences,
        name="reminder_preferences",
    ),
    path("o/<slug:org>/reports/", packs.packs, name="packs"),
    path("o/<slug:org>/reports/<int:pk>/", pack_release.pack_detail, name="pack_detail"),
    path("o/<slug:org>/reports/<int:pk>/summary/", pack_release.pack_summary, name="pack_summary"),
    path(
        "o/<slug:org>/reports/<int:pk>/release/",
        pack_release.pack_release_view,
        name="pack_release",
    ),
    path(
        "o/<slug:org>/reports/<int:pk>/correct/",
        pack_release.pack_correct_view,
        name="pack_correct",
    ),
    path("o/<slug:org>/reports/<int:pk>/status/", packs.pack_status, name="pack_status"),
    path("o/<slug:org>/reports/<int:pk>/retry/", packs.pack_retry_view, name="pack_retry"),
    path(
        "o/<slug:org>/reports/<int:pk>/download/",
        packs.pack_download,
        name="pack_download",
    ),
    path(
        "o/<slug:org>/reports/<int:pk>/download/word/",
        pack_word.pack_download_docx,
        name="pack_download_docx",
    ),
    path("reports/", packs.my_packs, name="my_packs"),
]
