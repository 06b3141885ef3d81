"""The beat schedule entry for reminders; settings import it into ``CELERY_BEAT_SCHEDULE``:

    from reporting.reminders.schedule import REMINDER_BEAT_SCHEDULE
    CELERY_BEAT_SCHEDULE = {**REMINDER_BEAT_SCHEDULE}

The crontab is read in ``CELERY_TIMEZONE`` (Europe/London), so 07:00 is London time in summer
and winter alike.
"""

from celery.schedules import crontab

REMINDER_BEAT_SCHEDULE = {
    "send-reminders-daily": {
        "task": "reporting.send_reminders",
        "schedule": crontab(hour=7, minute=0),
        "options": {"expires": 12 * 60 * 60},
    },
}
