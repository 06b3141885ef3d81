"""Beat's calendar: what Celery beat sends, and when. ``riskreg.celery`` sets it as the app's
``beat_schedule``, so settings import no app module (issue 13). Imports only Celery.

Crontabs are read in ``CELERY_TIMEZONE`` (Europe/London), so 06:00 and 07:00 are London time in
summer and winter alike. The tasks are named, not imported: they live in ``reporting`` and
``registers``.
"""

from celery.schedules import crontab

PACK_BEAT_SCHEDULE = {
    # Scheduled packs (reporting.packs.schedule), requested the morning after their date.
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

ACCEPTANCE_BEAT_SCHEDULE = {
    # Risk acceptances past their date end, and their approvers are told (issue 17). 06:30, so
    # the day's registers and reminders already show the risk back in breach; hourly after it
    # until 20:30 finishes a run stopped part-way (each acceptance ends once, each notice is
    # told once).
    "expire-risk-acceptances-daily": {
        "task": "registers.expire_risk_acceptances",
        "schedule": crontab(hour="6-20", minute=30),
        "options": {"expires": 55 * 60},
    },
}

NOTICE_BEAT_SCHEDULE = {
    # The daily digest of notifications (registers.services.notices.notice_digest_send), after
    # the 07:00 reminders. A run not started within 12 hours is left to the next day's, which
    # sends everything still unsent (nothing is dropped, nothing sent twice).
    "send-notice-digest-daily": {
        "task": "registers.send_notice_digest",
        "schedule": crontab(hour=7, minute=30),
        "options": {"expires": 12 * 60 * 60},
    },
}

BEAT_SCHEDULE = {
    **PACK_BEAT_SCHEDULE,
    **REMINDER_BEAT_SCHEDULE,
    **ACCEPTANCE_BEAT_SCHEDULE,
    **NOTICE_BEAT_SCHEDULE,
}
