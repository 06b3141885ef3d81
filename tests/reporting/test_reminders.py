"""Reminder digests: who is chased about what, the e-mail, idempotence, dry runs, the command."""

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command

from registers.models import Risk
from registers.models.organisations import Role
from registers.models.risks import ActionStatus, RiskStatus
from registers.permissions import register_grant
from reporting.models import DigestFrequency, Reminder, ReminderPreference, ReminderStatus
from reporting.reminders.selection import DAILY, WEEKLY, digests_for
from reporting.reminders.sending import retry_reminder, send_reminders
from tests.factories import (
    ActionFactory,
    MembershipFactory,
    RegisterFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 6, 1)
TUESDAY = dt.date(2026, 6, 2)


def member(organisation, role=Role.OWNER, frequency=None):
    membership = MembershipFactory(organisation=organisation, role=role)
    if frequency:
        ReminderPreference.objects.create(membership=membership, frequency=frequency)
    return membership.user


def risk(organisation, due, *, owner=None, manager=None, register=None, status=None, ref=None):
    kwargs = {"register": register or corporate_register_of(organisation), "owner": owner}
    if manager:
        kwargs["manager"] = manager
    if ref:
        kwargs["ref"] = ref
    made = RiskFactory(**kwargs)
    updates = {"next_review_due": due}
    if status:
        updates["status"] = status
        if status == RiskStatus.CLOSED:
            updates["closed_reason"] = "Fully mitigated"
            updates["closed_at"] = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    Risk.objects.filter(pk=made.pk).update(**updates)
    made.refresh_from_db()
    return made


def lines_for(organisation, user, today, kind=DAILY):
    for digest in digests_for(organisation=organisation, today=today):
        if digest.user.id == user.id and digest.kind == kind:
            return digest.lines
    return []


# --- selection ----------------------------------------------------------------------------------


def test_owner_and_manager_get_reviews_due_within_notice_or_overdue(organisation):
    owner, manager = member(organisation), member(organisation)
    due = risk(organisation, TUESDAY + dt.timedelta(days=14), owner=owner, manager=manager)
    late = risk(organisation, TUESDAY - dt.timedelta(days=1), owner=owner)
    risk(organisation, TUESDAY + dt.timedelta(days=15), owner=owner)  # beyond the notice period
    risk(organisation, None, owner=owner)  # not scheduled
    refs = [line.ref for line in lines_for(organisation, owner, TUESDAY)]
    assert refs == [late.ref, due.ref]  # overdue first
    assert [line.ref for line in lines_for(organisation, manager, TUESDAY)] == [due.ref]
    assert lines_for(organisation, owner, TUESDAY)[0].overdue


def test_notice_period_is_the_organisations(organisation):
    organisation.reminder_notice_days = 30
    organisation.save()
    owner = member(organisation)
    made = risk(organisation, TUESDAY + dt.timedelta(days=30), owner=owner)
    assert [line.ref for line in lines_for(organisation, owner, TUESDAY)] == [made.ref]


def test_closed_risks_and_done_actions_are_never_included(organisation):
    owner = member(organisation)
    risk(organisation, TUESDAY - dt.timedelta(days=5), owner=owner, status=RiskStatus.CLOSED)
    open_risk = risk(organisation, TUESDAY + dt.timedelta(days=100), owner=member(organisation))
    for status in (ActionStatus.COMPLETED, ActionStatus.CANCELLED):
        ActionFactory(risk=open_risk, owner=owner, due_date=TUESDAY, status=status)
    todo = ActionFactory(risk=open_risk, owner=owner, due_date=TUESDAY + dt.timedelta(days=3))
    lines = lines_for(organisation, owner, TUESDAY)
    assert [(line.kind, line.text) for line in lines] == [
        ("action", f"Update action on {open_risk.ref}: {todo.description}")
    ]


def test_nobody_hears_about_another_organisation(organisation, other_organisation):
    person = member(organisation)
    MembershipFactory(organisation=other_organisation, user=person, role=Role.OWNER)
    risk(other_organisation, TUESDAY, owner=person)
    assert lines_for(organisation, person, TUESDAY) == []
    digests = digests_for(organisation=other_organisation, today=TUESDAY)
    assert [d.organisation for d in digests] == [other_organisation]
    # a non-member owner is not e-mailed at all
    outsider = member(other_organisation)
    Risk.objects.filter(organisation=organisation).update(owner=outsider)
    assert all(d.user != outsider for d in digests_for(organisation=organisation, today=TUESDAY))


def test_weekly_preference_only_on_mondays(organisation):
    owner = member(organisation, frequency=DigestFrequency.WEEKLY)
    risk(organisation, TUESDAY + dt.timedelta(days=5), owner=owner)
    assert lines_for(organisation, owner, TUESDAY) == []
    assert len(lines_for(organisation, owner, MONDAY)) == 1


def test_only_overdue_preference(organisation):
    owner = member(organisation, frequency=DigestFrequency.NEVER)
    risk(organisation, TUESDAY + dt.timedelta(days=5), owner=owner)
    assert lines_for(organisation, owner, TUESDAY) == []
    late = risk(organisation, TUESDAY - dt.timedelta(days=1), owner=owner)
    assert [line.ref for line in lines_for(organisation, owner, TUESDAY)] == [late.ref]


def test_coordinator_weekly_digest_of_overdue_in_their_registers(organisation):
    coordinator = member(organisation, role=Role.COORDINATOR)
    admin = member(organisation, role=Role.ADMIN)
    mine = RegisterFactory(organisation=organisation, parent=corporate_register_of(organisation))
    theirs = RegisterFactory(organisation=organisation, parent=corporate_register_of(organisation))
    register_grant(user=coordinator, register=mine)
    owner = member(organisation)
    late_mine = risk(organisation, MONDAY - dt.timedelta(days=2), owner=owner, register=mine)
    late_theirs = risk(organisation, MONDAY - dt.timedelta(days=2), owner=owner, register=theirs)
    risk(organisation, MONDAY + dt.timedelta(days=2), owner=owner, register=mine)  # not overdue
    action = ActionFactory(risk=late_theirs, owner=owner, due_date=MONDAY - dt.timedelta(days=9))
    refs = {line.ref for line in lines_for(organisation, coordinator, MONDAY, WEEKLY)}
    assert late_mine.ref in refs
    assert late_theirs.ref not in refs
    admin_lines = lines_for(organisation, admin, MONDAY, WEEKLY)
    assert {(line.kind, line.ref) for line in admin_lines} >= {
        ("review", late_mine.ref),
        ("review", late_theirs.ref),
        ("action", action.risk.ref),
    }
    assert all(line.overdue for line in admin_lines)
    assert lines_for(organisation, coordinator, TUESDAY, WEEKLY) == []  # Mondays only
    viewer = member(organisation, role=Role.VIEWER)
    assert lines_for(organisation, viewer, MONDAY, WEEKLY) == []


# --- e-mail and sending -------------------------------------------------------------------------


def test_email_has_text_and_html_parts_with_links(organisation, settings):
    settings.RISKREG_BASE_URL = "https://risks.example.test"
    owner = member(organisation)
    made = risk(organisation, TUESDAY - dt.timedelta(days=1), owner=owner)
    action = ActionFactory(risk=made, owner=owner, due_date=TUESDAY + dt.timedelta(days=2))
    outcome = send_reminders(today=TUESDAY)
    assert outcome.sent == 1
    (email,) = mail.outbox
    assert email.to == [owner.email]
    assert "1 overdue" in email.subject
    review_url = f"https://risks.example.test/o/{organisation.slug}/risks/{made.ref}/review/"
    action_url = (
        f"https://risks.example.test/o/{organisation.slug}/risks/{made.ref}/actions/"
        f"{action.pk}/edit/#action-{action.pk}"  # at the form, not the top of a long page
    )
    assert review_url in email.body and action_url in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{review_url}"' in html and f'href="{action_url}"' in html
    assert f"https://risks.example.test/accounts/you/#reminders-{organisation.slug}" in email.body


def test_idempotent_across_two_runs(organisation):
    owner = member(organisation)
    risk(organisation, TUESDAY, owner=owner)
    assert send_reminders(today=TUESDAY).sent == 1
    second = send_reminders(today=TUESDAY)
    assert (second.sent, second.skipped) == (0, 1)
    assert len(mail.outbox) == 1
    row = Reminder.objects.get(user=owner)
    assert (row.status, row.attempts, row.items, row.kind) == (ReminderStatus.SENT, 1, 1, DAILY)
    assert send_reminders(today=TUESDAY + dt.timedelta(days=1)).sent == 1  # a new day


class FlakyBackend(BaseEmailBackend):
    """Raises on the first send, then delivers through locmem."""

    calls = 0

    def __init__(self, *args, **kwargs):
        from django.core.mail.backends.locmem import EmailBackend

        super().__init__(*args, **kwargs)
        self.inner = EmailBackend(*args, **kwargs)

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls == 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return self.inner.send_messages(messages)


def test_failed_send_is_recorded_then_retried_once(organisation, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.calls = 0
    owner = member(organisation)
    risk(organisation, TUESDAY, owner=owner)
    first = send_reminders(today=TUESDAY)
    assert first.sent == 0 and len(first.failed) == 1
    row = Reminder.objects.get(user=owner)
    assert row.status == ReminderStatus.FAILED
    assert "Connection unexpectedly closed" in row.error
    assert mail.outbox == []
    retry = send_reminders(today=TUESDAY)  # a rerun retries the failed row
    assert retry.sent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (ReminderStatus.SENT, 2)
    assert send_reminders(today=TUESDAY).sent == 0
    assert len(mail.outbox) == 1


def test_retry_reminder_of_a_failed_row(organisation, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.calls = 0
    owner = member(organisation)
    risk(organisation, TUESDAY, owner=owner)
    send_reminders(today=TUESDAY)
    row = Reminder.objects.get(user=owner)
    assert retry_reminder(row) == ReminderStatus.SENT
    row.refresh_from_db()
    assert row.status == ReminderStatus.SENT and len(mail.outbox) == 1
    assert retry_reminder(row) == "skipped"


def test_dry_run_writes_and_sends_nothing(organisation):
    owner = member(organisation)
    risk(organisation, TUESDAY, owner=owner)
    assert send_reminders(today=TUESDAY, dry_run=True).would_send == 1
    assert Reminder.objects.count() == 0 and mail.outbox == []


# --- the command --------------------------------------------------------------------------------


def run(*args):
    import io

    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().rstrip("\n").splitlines()


def test_command_last_line_and_idempotence(organisation):
    owner = member(organisation)
    risk(organisation, TUESDAY, owner=owner)
    assert run("--today", TUESDAY.isoformat(), "--dry-run")[-1] == "would send 1"
    assert Reminder.objects.count() == 0
    assert run("--today", TUESDAY.isoformat())[-1] == "sent 1"
    assert run("--today", TUESDAY.isoformat())[-1] == "sent 0"
    assert run("--today", TUESDAY.isoformat(), "--dry-run")[-1] == "would send 0"
    assert len(mail.outbox) == 1


def test_command_without_today_uses_organisation_today(organisation):
    assert run()[-1] == "sent 0"


@pytest.mark.parametrize("bad", ["2026-13-01", "tomorrow", "01/06/2026"])
def test_command_rejects_a_bad_date(bad):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("--today", bad)


def test_query_count_does_not_grow_with_risks(organisation):
    owner = member(organisation)
    for _ in range(3):
        risk(organisation, TUESDAY, owner=owner)

    def grow():
        for _ in range(27):
            risk(organisation, TUESDAY, owner=owner)

    assert_same_queries(
        lambda: digests_for(organisation=organisation, today=TUESDAY), grow, at_most=8
    )


def test_coordinator_digest_names_the_longest_overdue_then_links_to_the_rest(
    organisation, settings, monkeypatch
):
    from reporting.reminders import sending

    monkeypatch.setattr(sending, "COORDINATOR_DIGEST_LIMIT", 3)
    settings.RISKREG_BASE_URL = "https://risks.example.test"
    admin = member(organisation, role=Role.ADMIN, frequency=DigestFrequency.NEVER)
    owner = member(organisation, frequency=DigestFrequency.NEVER)
    late = [
        risk(organisation, MONDAY - dt.timedelta(days=days), owner=owner, ref=f"L{days}")
        for days in (1, 2, 3, 4, 5)
    ]
    ActionFactory(risk=late[0], owner=owner, due_date=MONDAY - dt.timedelta(days=30))
    send_reminders(today=MONDAY)
    (email,) = [e for e in mail.outbox if e.to == [admin.email] and "weekly summary" in e.subject]
    assert "(6)" in email.subject  # the subject counts everything
    body = " ".join(email.body.split())
    # oldest first: the 30-day action, then the reviews 5 and 4 days late; 3, 2 and 1 left out
    assert "L5:" in body and "L4:" in body and "Update action on L1" in body
    assert "L3:" not in body and "L2:" not in body
    assert "and 3 more overdue (3 reviews, 0 actions)" in body
    review_health = f"https://risks.example.test/o/{organisation.slug}/reviews/"
    assert review_health in email.body
    html, _ = email.alternatives[0]
    assert f'href="{review_health}"' in html and "And 3 more overdue" in html
    # a personal digest is never cut
    mail.outbox.clear()
    Reminder.objects.all().delete()
    monkeypatch.setattr(sending, "COORDINATOR_DIGEST_LIMIT", 1)
    send_reminders(today=MONDAY)
    (personal,) = [e for e in mail.outbox if e.to == [owner.email]]
    assert all(f"L{days}:" in personal.body for days in (1, 2, 3, 4, 5))
    assert "more overdue" not in personal.body
