"""The "Reminder e-mails" page: what every member gets (chosen on their account page), failures
and retry for coordinators, nothing of another organisation; and the Celery task run
in-process."""

import datetime as dt
import smtplib

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from registers.models import Register, Risk
from registers.models.organisations import Role
from reporting.models import DigestFrequency, Reminder, ReminderPreference, ReminderStatus
from reporting.reminders.tasks import send_reminders_task
from tests.factories import MembershipFactory, RiskFactory

pytestmark = pytest.mark.django_db


def url(organisation):
    return reverse("reminder_preferences", kwargs={"org": organisation.slug})


def member(organisation, role=Role.OWNER):
    return MembershipFactory(organisation=organisation, role=role)


def failed_reminder(organisation, user, day=None):
    day = day or timezone.localdate()
    return Reminder.objects.create(
        organisation=organisation,
        user=user,
        kind="daily",
        day=day,
        status=ReminderStatus.FAILED,
        attempts=1,
        items=1,
        error="SMTPServerDisconnected: Connection unexpectedly closed",
    )


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_member_sees_the_page_and_chooses_on_their_account_page(client, organisation, role):
    """How often is chosen on the account page (tests/accounts/test_account_page.py); this
    page says what the choice is and links there."""
    membership = member(organisation, role)
    ReminderPreference.objects.create(membership=membership, frequency=DigestFrequency.WEEKLY)
    client.force_login(membership.user)
    response = client.get(url(organisation))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Reminder e-mails" in page and "You get them weekly, on Mondays." in page
    assert f'href="/accounts/you/#reminders-{organisation.slug}"' in page
    assert 'name="frequency"' not in page


def test_choosing_here_is_gone(client, organisation):
    membership = member(organisation, Role.COORDINATOR)
    client.force_login(membership.user)
    response = client.post(url(organisation), {"frequency": DigestFrequency.NEVER})
    assert response.status_code == 404  # a coordinator's post names a reminder to retry
    assert not ReminderPreference.objects.filter(membership=membership).exists()


def test_not_a_member_gets_404(client, organisation, other_organisation):
    client.force_login(member(other_organisation, Role.ADMIN).user)
    assert client.get(url(organisation)).status_code == 404
    assert client.post(url(organisation), {"frequency": "daily"}).status_code == 404


def test_coordinator_sees_failures_and_retries(client, organisation):
    coordinator = member(organisation, Role.COORDINATOR).user
    owner = member(organisation).user
    risk = RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"), owner=owner
    )
    today = timezone.localdate()
    Risk.objects.filter(pk=risk.pk).update(next_review_due=today)
    row = failed_reminder(organisation, owner, today)
    client.force_login(coordinator)
    response = client.get(url(organisation))
    assert b"Connection unexpectedly closed" in response.content
    assert b"Retry now" in response.content
    response = client.post(url(organisation), {"retry": row.pk}, follow=True)
    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.status, row.attempts) == (ReminderStatus.SENT, 2)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [owner.email]


@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER, Role.PANEL])
def test_others_do_not_see_failures_or_retry(client, organisation, role):
    user = member(organisation, role).user
    row = failed_reminder(organisation, member(organisation).user)
    client.force_login(user)
    assert b"Connection unexpectedly closed" not in client.get(url(organisation)).content
    assert client.post(url(organisation), {"retry": row.pk}).status_code == 403


def test_retry_of_another_organisations_reminder_is_404(client, organisation, other_organisation):
    client.force_login(member(organisation, Role.ADMIN).user)
    row = failed_reminder(other_organisation, member(other_organisation).user)
    assert client.post(url(organisation), {"retry": row.pk}).status_code == 404
    assert client.post(url(organisation), {"retry": "x"}).status_code == 404
    assert b"Connection unexpectedly closed" not in client.get(url(organisation)).content


def test_task_runs_the_service_and_retries_failures(organisation, settings, monkeypatch):
    owner = member(organisation).user
    risk = RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"), owner=owner
    )
    Risk.objects.filter(pk=risk.pk).update(next_review_due=dt.date(2026, 6, 2))
    result = send_reminders_task.apply(args=["2026-06-02"]).get()
    assert result == {"sent": 1, "skipped": 0, "failed": 0}
    assert send_reminders_task.apply(args=["2026-06-02"]).get()["sent"] == 0

    def broken(*args, **kwargs):
        raise smtplib.SMTPException("relay refused")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    with pytest.raises(Retry):  # eager tasks propagate; a worker schedules the retry
        send_reminders_task.apply(args=["2026-06-03"], throw=True)
    assert Reminder.objects.get(day="2026-06-03").status == ReminderStatus.FAILED


def test_beat_schedule_starts_daily_at_seven():
    from riskreg.beat import REMINDER_BEAT_SCHEDULE

    (entry,) = REMINDER_BEAT_SCHEDULE.values()
    assert entry["task"] == send_reminders_task.name
    # 07:00 first; the later hours only finish a run stopped part-way (test_reminders_resume)
    assert min(entry["schedule"].hour) == 7 and entry["schedule"].minute == {0}
