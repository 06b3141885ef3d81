"""A daily reminder run stopped part-way (a worker killed mid-send) is finished by beat the same
day, without anyone getting their digest twice and without a person to rerun it."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.schedules import crontab
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from registers.models import Register, Risk
from registers.models.organisations import Role
from reporting.models import Reminder, ReminderStatus
from reporting.reminders.sending import send_reminders
from reporting.reminders.tasks import send_reminders_task
from riskreg.beat import REMINDER_BEAT_SCHEDULE
from tests.factories import MembershipFactory, RiskFactory

TUESDAY = dt.date(2026, 6, 2)


class WorkerKilled(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing on the way out records it."""


def owner_with_a_review_due(organisation):
    user = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    risk = RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"), owner=user
    )
    Risk.objects.filter(pk=risk.pk).update(next_review_due=TUESDAY)
    return user


def test_beat_runs_the_daily_task_hourly_from_seven_until_the_evening():
    entries = [
        entry
        for entry in REMINDER_BEAT_SCHEDULE.values()
        if entry["task"] == "reporting.send_reminders"
    ]
    assert len(entries) == 1
    schedule = entries[0]["schedule"]
    assert isinstance(schedule, crontab)
    hours = sorted(schedule.hour)
    assert hours[0] == 7 and hours[-1] >= 18  # 07:00 first, then every hour into the evening
    assert hours == list(range(hours[0], hours[-1] + 1))
    assert schedule.minute == {0}
    # a run that cannot start within the hour is left to the next one, not stacked up
    assert entries[0]["options"]["expires"] <= 60 * 60


@pytest.mark.django_db
def test_a_run_killed_mid_send_is_finished_by_the_next_run_without_sending_twice(
    organisation, monkeypatch
):
    people = [owner_with_a_review_due(organisation) for _ in range(4)]
    real_send = EmailMultiAlternatives.send
    sent_before_kill = 2

    def send_then_die(message, *args, **kwargs):
        if len(mail.outbox) == sent_before_kill:
            raise WorkerKilled
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send_then_die)
    with pytest.raises(WorkerKilled):
        send_reminders_task(TUESDAY.isoformat())
    assert len(mail.outbox) == sent_before_kill
    monkeypatch.setattr(EmailMultiAlternatives, "send", real_send)

    # someone who became due after the run started is not added to today's run
    late_comer = owner_with_a_review_due(organisation)

    result = send_reminders_task(TUESDAY.isoformat())  # beat's next hourly run
    assert result["sent"] == len(people) - sent_before_kill
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted(person.email for person in people)  # each exactly once
    assert late_comer.email not in recipients
    rows = Reminder.objects.filter(organisation=organisation, day=TUESDAY)
    assert set(rows.values_list("status", flat=True)) == {ReminderStatus.SENT}

    # later hours find the day done and send nothing
    assert send_reminders_task(TUESDAY.isoformat())["sent"] == 0
    assert len(mail.outbox) == len(people)


@pytest.mark.django_db
def test_a_finished_day_is_not_reworked_each_hour(organisation, django_assert_max_num_queries):
    for _ in range(3):
        owner_with_a_review_due(organisation)
    assert send_reminders(today=TUESDAY).sent == 3
    with django_assert_max_num_queries(1):
        outcome = send_reminders(today=TUESDAY, organisations=[organisation])
    assert (outcome.sent, outcome.skipped) == (0, 3)
