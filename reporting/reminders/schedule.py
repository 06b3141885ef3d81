"""The beat schedule entry for reminders; settings import it into ``CELERY_BEAT_SCHEDULE``:

    from reporting.reminders.schedule import REMINDER_BEAT_SCHEDULE
    CELERY_BEAT_SCHEDULE = {**REMINDER_BEAT_SCHEDULE}

The crontab is read in ``CELERY_TIMEZONE`` (Europe/London), so 07:00 is London time in summer
and winter alike.
"""

from celery.schedules import crontab

REMINDER_BEAT_SCHEDULE = {
    # 07:00, then on the hour until 20:00: a run stopped part-way (a worker killed mid-send, a
    # broker outage at 07:00) is finished by the next one the same day, with nobody to rerun
    # it. Each later run only finishes the people the day's first run listed (one Reminder row
    # each), so nothing is sent twice and a finished day costs one query per organisation.
    "send-reminders-daily": {
        "task": "reporting.send_reminders",
        "schedule": crontab(hour="7-20", minute=0),
        # Not started within the hour: the next hour's run does the same work.
        "options": {"expires": 55 * 60},
    },
}
