"""The quick update lists a risk whose update its author must put right (sent back, and standing:
``sign_off.sent_back_to``) among the risks due, whatever its next review date: it hid such a risk
until "Show all your open risks" while My work tagged it "Update sent back" (decision 135). Read
in the list's own query: the page's queries stay flat."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from registers import calendar
from registers.models import Review, ReviewState, Risk, Role
from registers.permissions import organisation_for_user
from registers.selectors.quick_update import quick_update
from registers.services.reviews import review_record
from registers.services.sign_off import review_send_back
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

FAR = 200  # days to the next review: well past any reminder notice period


@pytest.fixture
def people(organisation):
    def make(role, name):
        return MembershipFactory(organisation=organisation, role=role, user__full_name=name).user

    return {
        "owner": make(Role.OWNER, "Olu Owner"),
        "manager": make(Role.OWNER, "Manny Manager"),
        "coordinator": make(Role.COORDINATOR, "Cora Coordinator"),
    }


@pytest.fixture
def register(organisation):
    register = corporate_register_of(organisation)
    register.sign_off_required = True
    register.save()
    return register


def not_due(register, ref, people, *, days=FAR):
    risk = RiskFactory(register=register, ref=ref, owner=people["owner"], manager=people["manager"])
    today = calendar.organisation_today(register.organisation)
    Risk.objects.filter(pk=risk.pk).update(next_review_due=today + dt.timedelta(days=days))
    risk.refresh_from_db()
    return risk


def submit(risk, by):
    risk.refresh_from_db()
    review = review_record(risk=risk, user=by, expected_version=risk.version, note="Checked")
    assert review.state == ReviewState.SUBMITTED
    return review


def send_back(risk, by, coordinator):
    return review_send_back(review=submit(risk, by), user=coordinator, reason="Say more")


def listed(access_user, organisation):
    access = organisation_for_user(user=access_user, slug=organisation.slug)
    page = quick_update(access=access, today=calendar.organisation_today(organisation))
    return [item.risk.ref for item in page.risks], page.not_due


def test_an_update_sent_back_to_its_author_is_listed_though_not_due(
    client, organisation, register, people
):
    owner, manager, coordinator = people["owner"], people["manager"], people["coordinator"]
    mine = not_due(register, "MINE", people)
    theirs = not_due(register, "THEIRS", people)
    not_due(register, "QUIET", people)
    send_back(mine, owner, coordinator)
    send_back(theirs, manager, coordinator)

    # The owner's own update: theirs to put right now. The manager's: the manager's list.
    assert listed(owner, organisation) == (["MINE"], 2)
    assert listed(manager, organisation) == (["THEIRS"], 2)

    client.force_login(owner)
    response = client.get(reverse("quick_update", args=[organisation.slug]))
    html = " ".join(response.content.decode().split())
    assert [e.risk.ref for e in response.context["entries"]] == ["MINE"]
    assert "Update sent back" in html and "Say more" in html
    assert "None of your risks is due for review" not in html
    assert "(2 more, not due yet)" in html


def test_once_something_later_is_made_it_waits_for_its_review_date(organisation, register, people):
    owner, coordinator = people["owner"], people["coordinator"]
    risk = not_due(register, "R1", people)
    send_back(risk, owner, coordinator)
    assert listed(owner, organisation)[0] == ["R1"]
    submit(risk, owner)  # submitted again: awaiting sign-off, nothing to put right
    assert listed(owner, organisation) == ([], 1)


def test_a_risk_due_and_sent_back_is_listed_once(organisation, register, people):
    owner, coordinator = people["owner"], people["coordinator"]
    risk = not_due(register, "R1", people, days=1)
    send_back(risk, owner, coordinator)
    assert listed(owner, organisation) == (["R1"], 0)


def test_the_queries_do_not_grow_with_updates_sent_back(organisation, register, people):
    owner, coordinator = people["owner"], people["coordinator"]
    send_back(not_due(register, "R0", people), owner, coordinator)

    def fetch():
        return listed(owner, organisation)

    def grow():
        for n in range(1, 4):
            send_back(not_due(register, f"R{n}", people), owner, coordinator)
        not_due(register, "QUIET", people)

    _few, many = assert_same_queries(fetch, grow, at_most=8)
    assert many == (["R0", "R1", "R2", "R3"], 1)
    assert Review.objects.filter(state=ReviewState.SENT_BACK).count() == 4
