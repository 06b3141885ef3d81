"""Reminders and sign-off (decision 51): an owner whose update of a risk awaits an approver's
sign-off has done the review; the reminders do not chase them (or the risk's manager, or the
coordinators' overdue list) for that risk's review until the update is decided."""

import datetime as dt

import pytest
from django.core import mail

from registers.models import Review, ReviewState, Risk
from registers.models.organisations import Role
from registers.services.memberships import member_add
from registers.services.reviews import review_record
from registers.services.sign_off import review_send_back
from reporting.reminders.selection import DAILY, WEEKLY, digests_for
from reporting.reminders.sending import send_reminders
from tests.factories import RiskFactory, corporate_register_of
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 6, 1)


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


@pytest.fixture
def people(organisation):
    return {
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "manager": person(organisation, Role.OWNER, "Mina Manager"),
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
    }


@pytest.fixture
def register(organisation):
    register = corporate_register_of(organisation)
    register.sign_off_required = True
    register.save()
    return register


def overdue_risk(register, people, ref):
    risk = RiskFactory(
        register=register,
        ref=ref,
        owner=people["owner"],
        manager=people["manager"],
        positions={"inherent": (5, 5), "current": (3, 4), "target": (2, 2)},
    )
    Risk.objects.filter(pk=risk.pk).update(next_review_due=MONDAY - dt.timedelta(days=10))
    risk.refresh_from_db()
    return risk


def submit(risk, user):
    risk.refresh_from_db()
    return review_record(
        risk=risk,
        user=user,
        expected_version=risk.version,
        note="Water over the sill twice",
        positions={"current": (4, 4)},
    )


def review_refs(organisation, user, kind=DAILY) -> set[str]:
    for digest in digests_for(organisation=organisation, today=MONDAY):
        if digest.user.id == user.id and digest.kind == kind:
            return {line.ref for line in digest.lines if line.kind == "review"}
    return set()


def sent_to(user) -> list[str]:
    return [m.body for m in mail.outbox if user.email in m.to]


def test_an_update_awaiting_sign_off_is_not_chased_as_overdue(organisation, register, people):
    waiting = overdue_risk(register, people, "CRR09")
    other = overdue_risk(register, people, "CRR10")
    review = submit(waiting, people["owner"])
    assert review.state == ReviewState.SUBMITTED
    waiting.refresh_from_db()
    assert waiting.next_review_due < MONDAY  # still "overdue" on the risk itself

    outcome = send_reminders(today=MONDAY, organisations=[organisation])

    assert outcome.sent >= 2
    for who in ("owner", "manager"):
        bodies = sent_to(people[who])
        assert len(bodies) == 1
        assert "Review risk CRR10" in bodies[0]
        assert "Review risk CRR09" not in bodies[0]
    # The coordinator's Monday list of overdue reviews leaves it out too: it waits for them.
    assert review_refs(organisation, people["coordinator"], WEEKLY) == {other.ref}


def test_chased_again_once_the_update_is_sent_back(organisation, register, people):
    waiting = overdue_risk(register, people, "CRR09")
    review = submit(waiting, people["owner"])
    assert review_refs(organisation, people["owner"]) == set()
    review_send_back(review=review, user=people["coordinator"], reason="Say what changed")
    assert Review.objects.get(pk=review.pk).state == ReviewState.SENT_BACK
    # Its author is chased once, on the sent-back line, which says the review is overdue
    # (decision 137); the manager, who did not write it, by the review line.
    assert review_refs(organisation, people["owner"]) == set()
    (line,) = [
        line
        for digest in digests_for(organisation=organisation, today=MONDAY)
        if digest.user.id == people["owner"].id and digest.kind == DAILY
        for line in digest.lines
    ]
    assert (line.kind, line.ref, line.overdue, line.review_due) == (
        "sent_back",
        "CRR09",
        True,
        True,
    )
    assert review_refs(organisation, people["manager"]) == {"CRR09"}


def test_query_count_does_not_grow_with_updates_awaiting_sign_off(organisation, register, people):
    for number in range(3):
        submit(overdue_risk(register, people, f"A{number}"), people["owner"])
        overdue_risk(register, people, f"B{number}")

    def grow():
        for number in range(3, 15):
            submit(overdue_risk(register, people, f"A{number}"), people["owner"])
            overdue_risk(register, people, f"B{number}")

    digests_for(organisation=organisation, today=MONDAY)  # content types and the like cached
    before, after = assert_same_queries(
        lambda: digests_for(organisation=organisation, today=MONDAY), grow
    )
    owner_lines = {
        line.ref
        for digest in after
        if digest.user.id == people["owner"].id and digest.kind == DAILY
        for line in digest.lines
    }
    assert owner_lines == {f"B{number}" for number in range(15)}
