"""My work and the dashboard's "Risks you own, manage or lead" tag "Update sent back" on the row
of a risk whose update its author must put right: the update sent back stands
(``sign_off.later_review``: nothing made since) and is the reader's. Read in the list's own query
(``my_risks``' ``update_sent_back``): the pages' queries stay flat."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registers import caching, calendar
from registers.models import Review, ReviewState, Role
from registers.selectors.overview import MY_LIST
from registers.services.sign_off import review_send_back
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

TAG = "Update sent back"


@pytest.fixture
def people(organisation):
    def make(role, name):
        return MembershipFactory(organisation=organisation, role=role, user__full_name=name).user

    return (
        make(Role.OWNER, "Olu Owner"),
        make(Role.OWNER, "Manny Manager"),
        make(Role.COORDINATOR, "Cora Coordinator"),
    )


def review(risk, by, state=ReviewState.SUBMITTED):
    return Review.objects.create(
        organisation=risk.organisation,
        risk=risk,
        reviewed_by=by,
        reviewed_on=calendar.organisation_today(risk.organisation),
        note="Checked",
        state=state,
        proposed={"positions": {"current": [2, 2]}, "kind": "review"},
        base_version=risk.version,
    )


def sent_back(risk, by, coordinator):
    return review_send_back(review=review(risk, by), user=coordinator, reason="Say more")


def rows_of(client, user, organisation) -> dict[str, str]:
    """Each row of "Risks you own, manage or lead", by ref, as text."""
    client.force_login(user)
    response = client.get(reverse("my_work", args=[organisation.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    shown = {}
    for row in response.context["rows"]:
        start = html.index(f">{row.risk.ref}</a>")
        shown[row.risk.ref] = html[start : html.index("</tr>", start)]
    return shown


def test_the_author_sees_their_update_was_sent_back(client, organisation, people):
    owner, manager, coordinator = people
    register = corporate_register_of(organisation)
    mine = RiskFactory(register=register, ref="MINE", owner=owner)
    theirs = RiskFactory(register=register, ref="THEIRS", owner=owner, manager=manager)
    RiskFactory(register=register, ref="QUIET", owner=owner)
    sent_back(mine, owner, coordinator)
    sent_back(theirs, manager, coordinator)

    rows = rows_of(client, owner, organisation)
    assert TAG in rows["MINE"]
    assert TAG not in rows["THEIRS"]  # the manager's update: theirs to put right
    assert TAG not in rows["QUIET"]
    assert TAG in rows_of(client, manager, organisation)["THEIRS"]


def test_a_review_made_since_ends_it(client, organisation, people):
    owner, _, coordinator = people
    risk = RiskFactory(register=corporate_register_of(organisation), ref="R1", owner=owner)
    sent_back(risk, owner, coordinator)
    assert TAG in rows_of(client, owner, organisation)["R1"]
    review(risk, coordinator, state=ReviewState.RECORDED)  # later_review: the newer judgement
    assert TAG not in rows_of(client, owner, organisation)["R1"]
    sent_back(risk, owner, coordinator)  # sent back again, after that review
    assert TAG in rows_of(client, owner, organisation)["R1"]


def test_the_tags_cost_no_query(client, organisation, people):
    owner, _, coordinator = people
    register = corporate_register_of(organisation)
    sent_back(RiskFactory(register=register, ref="R0", owner=owner), owner, coordinator)
    client.force_login(owner)
    url = reverse("my_work", args=[organisation.slug])

    def grow():
        for n in range(1, 5):
            sent_back(RiskFactory(register=register, ref=f"R{n}", owner=owner), owner, coordinator)

    _, many = assert_same_queries(lambda: client.get(url), grow, at_most=12)
    assert many.content.decode().count(TAG) == 5


def dashboard_rows(client, user, organisation) -> dict[str, str]:
    """Each item of the dashboard's "Risks you own, manage or lead", by ref, as HTML."""
    client.force_login(user)
    caching.organisation_changed(organisation.id)  # the overview counted afresh, as after a write
    response = client.get(reverse("organisation", args=[organisation.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    mine = html.split("Risks you own, manage or lead", 1)[1].split("Actions to chase", 1)[0]
    items = mine.split("<li>")[1:]
    shown = {}
    for row in response.context["my_risks"]:
        (shown[row.risk.ref],) = [i for i in items if f">{row.risk.ref} {row.risk.title}<" in i]
    return shown


def test_the_dashboard_tags_it_on_the_authors_row_too(client, organisation, people):
    owner, manager, coordinator = people
    register = corporate_register_of(organisation)
    mine = RiskFactory(register=register, ref="MINE", owner=owner)
    theirs = RiskFactory(register=register, ref="THEIRS", owner=owner, manager=manager)
    RiskFactory(register=register, ref="QUIET", owner=owner)
    sent_back(mine, owner, coordinator)
    sent_back(theirs, manager, coordinator)

    rows = dashboard_rows(client, owner, organisation)
    assert set(rows) == {"MINE", "THEIRS", "QUIET"}
    assert TAG in rows["MINE"]
    assert TAG not in rows["THEIRS"]  # the manager's update: theirs to put right
    assert TAG not in rows["QUIET"]
    assert TAG in dashboard_rows(client, manager, organisation)["THEIRS"]

    review(mine, coordinator, state=ReviewState.RECORDED)  # later_review: the newer judgement
    assert TAG not in dashboard_rows(client, owner, organisation)["MINE"]


def test_the_dashboard_tags_cost_no_query(client, organisation, people):
    owner, _, coordinator = people
    register = corporate_register_of(organisation)
    sent_back(RiskFactory(register=register, ref="R0", owner=owner), owner, coordinator)
    client.force_login(owner)
    url = reverse("organisation", args=[organisation.slug])
    client.get(url)  # the exposure over eight quarters is counted once, then cached

    def first_view_after_a_write():
        caching.organisation_changed(organisation.id)  # the overview is counted again
        return client.get(url)

    def grow():
        for n in range(1, MY_LIST + 2):
            sent_back(RiskFactory(register=register, ref=f"R{n}", owner=owner), owner, coordinator)

    few, many = assert_same_queries(first_view_after_a_write, grow, at_most=20)
    assert few.content.decode().count(TAG) == 1
    assert len(many.context["my_risks"]) == MY_LIST
    assert many.content.decode().count(TAG) == MY_LIST  # each risk shown; the rest on My work
