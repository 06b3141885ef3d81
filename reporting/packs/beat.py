"""The beat entry for scheduled packs; settings merge it into ``CELERY_BEAT_SCHEDULE``. Imports
only Celery, so settings can read it."""

from celery.schedules import crontab

PACK_BEAT_SCHEDULE = {
    "request-scheduled-packs-daily": {
        "task": "reporting.request_scheduled_packs",
        "schedule": crontab(hour=6, minute=0),
        "options": {"expires": 12 * 60 * 60},
    },
    "fail-stalled-packs": {
        "task": "reporting.fail_stalled_packs",
        "schedule": 5 * 60,
        "options": {"expires": 4 * 60},
    },
}
