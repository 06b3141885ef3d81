"""The quick update's "Update awaiting sign-off" says whose update awaits and of when: it said
"Your last update" to the risk's owner when its manager had submitted it
(``sign_off.awaiting_words``, read in the query that finds updates sent back: none more)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.formats import date_format

from registers import calendar
from registers.models import Review, ReviewState, Role
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(organisation):
    owner = MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__full_name="Olu Owner"
    ).user
    manager = MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__full_name="Manny Manager"
    ).user
    return owner, manager


def submit(risk, by):
    """An update awaiting sign-off, submitted by ``by`` (as the review service leaves it)."""
    return Review.objects.create(
        organisation=risk.organisation,
        risk=risk,
        reviewed_by=by,
        reviewed_on=calendar.organisation_today(risk.organisation),
        note="Checked",
        state=ReviewState.SUBMITTED,
        proposed={"positions": {"current": [2, 2]}, "kind": "review"},
        base_version=risk.version,
    )


def page_for(client, user, organisation) -> str:
    client.force_login(user)
    response = client.get(reverse("quick_update", args=[organisation.slug]) + "?all=1")
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_the_owner_reads_whose_update_awaits_sign_off(client, organisation, people):
    owner, manager = people
    risk = RiskFactory(
        register=corporate_register_of(organisation), ref="R1", owner=owner, manager=manager
    )
    submit(risk, manager)
    day = date_format(calendar.organisation_today(organisation), "j F Y")

    page = page_for(client, owner, organisation)
    assert "Update awaiting sign-off" in page
    assert f"Manny Manager’s update of {day} has not been signed off yet." in page
    assert "Your last update" not in page and "Your update" not in page

    page = page_for(client, manager, organisation)
    assert f"Your update of {day} has not been signed off yet." in page
    assert "Manny Manager’s" not in page


def test_an_author_who_left_is_a_former_member(client, organisation, people):
    owner, manager = people
    risk = RiskFactory(register=corporate_register_of(organisation), ref="R1", owner=owner)
    Review.objects.filter(pk=submit(risk, manager).pk).update(reviewed_by=None)
    assert "A former member’s update of" in page_for(client, owner, organisation)


def test_the_words_cost_no_query(client, organisation, people):
    owner, manager = people
    register = corporate_register_of(organisation)
    submit(RiskFactory(register=register, ref="R0", owner=owner), manager)
    client.force_login(owner)
    url = reverse("quick_update", args=[organisation.slug]) + "?all=1"

    def grow():
        for n in range(1, 4):
            submit(RiskFactory(register=register, ref=f"R{n}", owner=owner, manager=manager), owner)

    few, many = assert_same_queries(lambda: client.get(url), grow)
    assert many.content.decode().count("has not been signed off yet.") == 4
