"""Reminder sending at scale (issue 6, bench/reminders.py): each digest's lines are built once
and shared, the day's rows are written in one INSERT, and a rerun skips what was sent without
locking row by row; still one e-mail per person, kind and day, whatever runs at once."""

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registers.models.organisations import Role
from reporting.models import Reminder, ReminderStatus
from reporting.reminders.selection import DAILY, WEEKLY, digests_for
from reporting.reminders.sending import send_reminders
from tests.factories import ActionFactory
from tests.reporting.test_reminders import MONDAY, member, risk

pytestmark = pytest.mark.django_db


def _people_with_overdue_risks(organisation, count: int) -> list:
    people = []
    for n in range(count):
        owner = member(organisation)
        late = risk(organisation, MONDAY - dt.timedelta(days=3), owner=owner, ref=f"L{n}")
        ActionFactory(risk=late, owner=owner, due_date=MONDAY - dt.timedelta(days=1))
        people.append(owner)
    return people


def test_coordinator_lines_are_the_personal_lines_shared(organisation):
    member(organisation, role=Role.COORDINATOR)
    people = _people_with_overdue_risks(organisation, 3)
    digests = digests_for(organisation=organisation, today=MONDAY)
    weekly = next(d for d in digests if d.kind == WEEKLY)
    personal = [line for d in digests if d.kind == DAILY for line in d.lines]
    # the same Line objects (built once), every overdue review and action of the registers
    assert {id(line) for line in weekly.lines} <= {id(line) for line in personal}
    assert sorted((line.kind, line.ref) for line in weekly.lines) == sorted(
        [("review", f"L{n}") for n in range(3)] + [("action", f"L{n}") for n in range(3)]
    )
    assert len([d for d in digests if d.kind == DAILY]) == len(people)


def _queries_to_send(organisation) -> tuple[int, int]:
    mail.outbox = []
    with CaptureQueriesContext(connection) as captured:
        outcome = send_reminders(today=MONDAY, organisations=[organisation])
    return len(captured), outcome.sent


def test_each_e_mail_costs_two_queries_and_a_rerun_none(organisation, other_organisation):
    _people_with_overdue_risks(organisation, 2)
    _people_with_overdue_risks(other_organisation, 8)
    few, sent_few = _queries_to_send(organisation)
    many, sent_many = _queries_to_send(other_organisation)
    assert (sent_few, sent_many) == (2, 8)
    # Per e-mail: a row lock and an update, inside deliver()'s savepoint here (the test runs in
    # a transaction); it was seven with get_or_create's own savepoint and INSERT.
    assert many - few <= 4 * (sent_many - sent_few)
    rerun, sent_again = _queries_to_send(other_organisation)
    assert sent_again == 0 and len(mail.outbox) == 0
    assert rerun <= few  # eight digests already sent cost less than sending two
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.SENT}


def test_a_row_left_pending_by_an_interrupted_run_is_sent_next_time(organisation):
    (owner,) = _people_with_overdue_risks(organisation, 1)
    Reminder.objects.create(organisation=organisation, user=owner, kind=DAILY, day=MONDAY)
    outcome = send_reminders(today=MONDAY, organisations=[organisation])
    assert outcome.sent == 1 and len(mail.outbox) == 1
    row = Reminder.objects.get(organisation=organisation, user=owner, kind=DAILY, day=MONDAY)
    assert row.status == ReminderStatus.SENT and row.attempts == 1
    assert send_reminders(today=MONDAY, organisations=[organisation]).sent == 0
