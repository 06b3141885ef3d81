"""Reminder sending at scale (issue 6, bench/reminders.py): each digest's lines are built once
and shared, the day's rows are written in one INSERT, and a rerun skips what was sent without
locking row by row; still one e-mail per person, kind and day, whatever runs at once."""

import datetime as dt
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registers.models import Marking, Review, ReviewState, Risk
from registers.models.organisations import Role
from registers.permissions import register_grant
from registers.services.review_submissions import KIND_RATING, KIND_REVIEW
from reporting.models import Reminder, ReminderStatus
from reporting.reminders.selection import DAILY, WEEKLY, digests_for
from reporting.reminders.sending import send_reminders
from tests.factories import (
    ActionFactory,
    MembershipFactory,
    RegisterFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries
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


def _sent_back(risk, author, decider, *, rating: bool) -> Review:
    """An update of ``author``'s sent back by ``decider``, standing (nothing made since)."""
    return Review.objects.create(
        organisation=risk.organisation,
        risk=risk,
        reviewed_by=author,
        reviewed_on=MONDAY,
        state=ReviewState.SENT_BACK,
        proposed={"positions": {"current": [3, 3]}, "kind": KIND_RATING if rating else KIND_REVIEW},
        decided_by=decider,
        decided_at=timezone.now(),
        decision_note="Say what changed since the last review",
    )


def _coordinators_and_owners(organisation, count: int) -> None:
    """``count`` each of coordinators, coordinators limited to a register of their own (with an
    overdue risk on it), admins, and owners with something overdue; each owner has an update sent
    back of a risk overdue, one not due and, handed on to someone else, a marked one (decision
    137: each kind of update, due or not, cleared or not)."""
    for _ in range(count):
        coordinator = member(organisation, role=Role.COORDINATOR)
        member(organisation, role=Role.ADMIN)
        limited = MembershipFactory(
            organisation=organisation, role=Role.COORDINATOR, registers_limited=True
        )
        theirs = RegisterFactory(
            organisation=organisation, parent=corporate_register_of(organisation)
        )
        register_grant(user=limited.user, register=theirs)
        risk(organisation, MONDAY - dt.timedelta(days=5), owner=limited.user, register=theirs)
        owner = member(organisation)
        late = risk(organisation, MONDAY - dt.timedelta(days=3), owner=owner)
        ActionFactory(risk=late, owner=owner, due_date=MONDAY - dt.timedelta(days=1))
        _sent_back(late, owner, coordinator, rating=False)
        later = risk(organisation, MONDAY + dt.timedelta(days=200), owner=owner)
        _sent_back(later, owner, coordinator, rating=True)
        handed_on = risk(organisation, MONDAY - dt.timedelta(days=3), owner=member(organisation))
        _sent_back(handed_on, owner, coordinator, rating=True)
        Risk.objects.filter(pk=handed_on.pk).update(marking=Marking.OFFICIAL_SENSITIVE)


def test_selection_queries_do_not_grow_with_coordinators_and_owners(organisation):
    """Monday's digests (the coordinators' too) in the same queries for N people and for 2N:
    the coordinators' registers are read for all of them at once, not one query each."""
    _coordinators_and_owners(organisation, 2)
    digests_for(organisation=organisation, today=MONDAY)  # guardian's content-type cache
    _, digests = assert_same_queries(
        lambda: digests_for(organisation=organisation, today=MONDAY),
        lambda: _coordinators_and_owners(organisation, 2),
        at_most=10,
    )
    weekly = {d.user.id: d for d in digests if d.kind == WEEKLY}
    assert len(weekly) == 12  # four each of coordinators, limited coordinators and admins
    limited = [d for d in weekly.values() if len(d.lines) == 1]
    assert len(limited) == 4  # their own register's risk only
    sent_back = [line for d in digests if d.kind == DAILY for line in d.sent_backs]
    assert len(sent_back) == 12  # three for each of the four owners
    assert sum(line.review_due for line in sent_back) == 4  # their overdue risk's
    assert sum(line.url.endswith("#sign-off") for line in sent_back) == 8  # changes of rating


def test_the_reminders_bench_sends_back_a_share_of_updates(organisation):
    """bench/reminders.py's data holds updates sent back (the same ones each time, none added
    on a rerun), both kinds, which the digests find: the bench measures the sent-back query on
    rows, not on none."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import reminders as bench  # noqa: PLC0415  (bench/ is scripts, not a package)

    owners = [member(organisation) for _ in range(3)]
    member(organisation, role=Role.COORDINATOR)
    for n in range(80):
        risk(organisation, MONDAY + dt.timedelta(days=n - 40), owner=owners[n % 3], ref=f"B{n}")
    made = bench.send_back_some(organisation, every=8)
    assert made == 10
    assert bench.send_back_some(organisation, every=8) == 10  # idempotent
    kinds = sorted(r.proposed["kind"] for r in Review.objects.filter(organisation=organisation))
    assert kinds == [KIND_RATING] * 5 + [KIND_REVIEW] * 5
    lines = [
        line for d in digests_for(organisation=organisation, today=MONDAY) for line in d.sent_backs
    ]
    assert len(lines) == 10


def test_links_are_what_reverse_makes(organisation):
    """A line's URL is filled in from a route reversed once: the same as ``reverse`` for refs
    a URL cannot carry as they are."""
    from django.urls import reverse

    from reporting.reminders.selection import _Links

    links = _Links(organisation)
    base = links.base
    refs = ["CRR18", "7", "A.1", ".", "..", "a b", "x/y", "~1", "50%", "r?s#t", "{x}", "é€", ""]
    for ref in refs:
        review = reverse("risk_review", kwargs={"org": organisation.slug, "ref": ref})
        action = reverse("action_edit", kwargs={"org": organisation.slug, "ref": ref, "pk": 42})
        assert links.review(ref) == base + review, ref
        assert links.action(ref, 42) == base + action + "#action-42", ref


class CountingBackend(BaseEmailBackend):
    """locmem, counting the connections opened."""

    opened = 0

    def open(self):
        type(self).opened += 1
        return True

    def send_messages(self, messages):
        from django.core.mail.backends.locmem import EmailBackend

        return EmailBackend().send_messages(messages)


def test_one_mail_connection_per_run_and_commits_wait_for_the_disk_again_after(
    organisation, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened = 0
    _people_with_overdue_risks(organisation, 3)
    assert send_reminders(today=MONDAY, organisations=[organisation]).sent == 3
    assert len(mail.outbox) == 3 and CountingBackend.opened == 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"  # set off only while the run sends
