"""The reminder digests follow the one rule of what is whose to chase (issue 12): a risk's owner and
manager hear about every open action on it, whoever owns it and including actions with no owner;
an action with no owner says so, to them and in the coordinators' digest; OFFICIAL-SENSITIVE detail
still reaches only those cleared for it."""

import datetime as dt

import pytest
from django.core import mail

from registers import selectors
from registers.models import Marking
from registers.models.organisations import Role
from registers.withholding import WITHHELD_SHORT
from reporting.reminders.selection import (
    CHASE_ACTION,
    OWN_ACTION,
    UNOWNED_ACTION,
    WEEKLY,
    digests_for,
)
from reporting.reminders.sending import send_reminders
from tests.factories import ActionFactory
from tests.queries import assert_same_queries
from tests.reporting.test_reminders import MONDAY, TUESDAY, lines_for, member, risk

pytestmark = pytest.mark.django_db

FAR = TUESDAY + dt.timedelta(days=300)  # no review line in the way


def texts(lines):
    return [line.text for line in lines]


def test_risk_owner_and_manager_hear_of_every_open_action_on_their_risk(organisation):
    owner, manager, doer = member(organisation), member(organisation), member(organisation)
    made = risk(organisation, FAR, owner=owner, manager=manager)
    late = ActionFactory(risk=made, owner=doer, due_date=TUESDAY - dt.timedelta(days=90))
    orphan = ActionFactory(risk=made, owner=None, due_date=TUESDAY + dt.timedelta(days=3))
    ActionFactory(risk=made, owner=None, due_date=TUESDAY + dt.timedelta(days=60))  # not yet
    expected = [
        CHASE_ACTION.format(owner=doer.display_name, ref=made.ref, detail=late.description),
        UNOWNED_ACTION.format(ref=made.ref, detail=orphan.description),
    ]
    assert texts(lines_for(organisation, owner, TUESDAY)) == expected
    assert texts(lines_for(organisation, manager, TUESDAY)) == expected
    assert lines_for(organisation, owner, TUESDAY)[0].overdue
    # the action's owner is still reminded in their own words
    assert texts(lines_for(organisation, doer, TUESDAY)) == [
        OWN_ACTION.format(ref=made.ref, detail=late.description)
    ]


def test_one_line_when_the_risk_owner_owns_the_action_too(organisation):
    owner = member(organisation)
    made = risk(organisation, FAR, owner=owner, manager=owner)
    action = ActionFactory(risk=made, owner=owner, due_date=TUESDAY)
    assert texts(lines_for(organisation, owner, TUESDAY)) == [
        OWN_ACTION.format(ref=made.ref, detail=action.description)
    ]


def test_coordinators_weekly_digest_flags_an_overdue_action_with_no_owner(organisation):
    coordinator = member(organisation, role=Role.COORDINATOR)
    made = risk(organisation, MONDAY + dt.timedelta(days=300), owner=member(organisation))
    orphan = ActionFactory(risk=made, owner=None, due_date=MONDAY - dt.timedelta(days=4))
    assert texts(lines_for(organisation, coordinator, MONDAY, WEEKLY)) == [
        UNOWNED_ACTION.format(ref=made.ref, detail=orphan.description)
    ]


def test_the_email_says_no_owner(organisation):
    owner = member(organisation)
    made = risk(organisation, FAR, owner=owner)
    ActionFactory(risk=made, owner=None, description="Hire a fire marshal", due_date=TUESDAY)
    send_reminders(today=TUESDAY)
    (email,) = mail.outbox
    line = UNOWNED_ACTION.format(ref=made.ref, detail="Hire a fire marshal")
    assert line in email.body and line in email.alternatives[0][0]


def test_sensitive_detail_only_to_those_cleared(organisation):
    owner, doer = member(organisation), member(organisation)
    theirs = risk(organisation, FAR, owner=owner)
    theirs.marking = Marking.OFFICIAL_SENSITIVE
    theirs.save(update_fields=["marking"])
    action = ActionFactory(risk=theirs, owner=doer, due_date=TUESDAY - dt.timedelta(days=1))
    (own,) = lines_for(organisation, owner, TUESDAY)
    assert action.description in own.text
    (doers,) = lines_for(organisation, doer, TUESDAY)
    assert action.description not in doers.text and WITHHELD_SHORT in doers.text


def test_digests_and_my_work_name_the_same_actions(organisation):
    """The rule once: whoever My work lists an action to is reminded of it (when it falls due)."""
    people = [member(organisation) for _ in range(3)]
    a, b, c = people
    for owner, manager, doer in [(a, b, None), (b, None, a), (None, None, c), (c, a, b)]:
        made = risk(organisation, FAR, owner=owner, manager=manager)
        ActionFactory(risk=made, owner=doer, due_date=TUESDAY)
    for person in people:
        listed = selectors.actions_to_chase(user=person, organisation=organisation)
        urls = {line.url for line in lines_for(organisation, person, TUESDAY)}
        assert {u.rsplit("/actions/", 1)[1] for u in urls} == {
            f"{x.pk}/edit/#action-{x.pk}" for x in listed
        }


def test_query_count_does_not_grow_with_actions_to_chase(
    organisation, django_assert_max_num_queries
):
    owner, doer = member(organisation), member(organisation)
    member(organisation, role=Role.COORDINATOR)

    def more(n):
        for _ in range(n):
            made = risk(organisation, FAR, owner=owner)
            ActionFactory(risk=made, owner=doer, due_date=MONDAY - dt.timedelta(days=2))
            ActionFactory(risk=made, owner=None, due_date=MONDAY + dt.timedelta(days=2))

    more(2)
    # The first call also fills guardian's content-type cache (one query, once a process), so
    # the two sizes are compared from the second call on.
    with django_assert_max_num_queries(10):
        digests_for(organisation=organisation, today=MONDAY)
    _, digests = assert_same_queries(
        lambda: digests_for(organisation=organisation, today=MONDAY), lambda: more(25)
    )
    assert sum(len(d.lines) for d in digests if d.user == owner) == 54
