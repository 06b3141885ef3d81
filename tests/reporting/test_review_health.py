"""Review health (issue 4, "Review cadence"): overdue and due-soon risks listed per register and per
owner, and how many of each register's open risks are reviewed on time (stale registers are the
commonest audit finding against risk management)."""

import datetime as dt

import pytest
from django.urls import reverse

from registers.models import Role
from registers.selectors import organisation_today
from registers.services.risks import risk_close
from reporting.review_health import (
    group_rows,
    organisation_health,
    overdue_rows,
    owner_health,
    register_health,
)
from tests.factories import MembershipFactory, RegisterFactory, RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(organisation):
    today = organisation_today(organisation)
    top = corporate_register_of(organisation)
    school = RegisterFactory(organisation=organisation, parent=top, name="School of Law")
    alice = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    bob = MembershipFactory(organisation=organisation, role=Role.OWNER).user

    def risk(register, ref, due, owner=None):
        return RiskFactory(register=register, ref=ref, owner=owner, next_review_due=due)

    risk(top, "C1", today - dt.timedelta(days=40), alice)  # overdue
    risk(top, "C2", today - dt.timedelta(days=1), bob)  # overdue
    risk(top, "C3", today, alice)  # due today: on time, due soon
    risk(top, "C4", today + dt.timedelta(days=30), bob)  # due soon (the last day of it)
    risk(top, "C5", today + dt.timedelta(days=31), alice)  # on time, not soon
    risk(top, "C6", None)  # not scheduled, no owner
    closed = risk(top, "C7", today - dt.timedelta(days=100), alice)
    risk_close(risk=closed, expected_version=1, reason="gone")  # closed: not counted
    risk(school, "S1", today - dt.timedelta(days=3), bob)
    risk(school, "S2", today + dt.timedelta(days=200), bob)
    return {"today": today, "top": top, "school": school, "alice": alice, "bob": bob}


def test_health_per_register(organisation, world):
    found = {
        item.register.slug: item
        for item in register_health(organisation=organisation, today=world["today"])
    }
    top = found["corporate"].health
    assert (top.open, top.on_time, top.overdue, top.due_soon, top.not_scheduled) == (6, 3, 2, 2, 1)
    assert top.percent_on_time == 50
    school = found[world["school"].slug]
    assert (school.health.open, school.health.overdue, school.health.percent_on_time) == (2, 1, 50)
    assert school.depth == 1 and found["corporate"].depth == 0
    total = organisation_health(organisation=organisation, today=world["today"])
    assert (total.open, total.on_time, total.overdue, total.percent_on_time) == (8, 4, 3, 50)


def test_health_per_owner_most_overdue_first(organisation, world):
    owners = owner_health(organisation=organisation, today=world["today"])
    assert [(o.owner, o.health.overdue) for o in owners] == [
        (world["bob"], 2),
        (world["alice"], 1),
        (None, 0),
    ]
    bob = owners[0].health
    assert (bob.open, bob.on_time, bob.due_soon, bob.percent_on_time) == (4, 2, 1, 50)


def test_overdue_grouped_by_register_and_by_owner(organisation, world):
    rows = overdue_rows(organisation=organisation, today=world["today"])
    assert [row.risk.ref for row in rows] == ["C1", "S1", "C2"]  # longest overdue first
    by_register = group_rows(rows, by="register")
    assert [(g.key.name, [r.risk.ref for r in g.rows]) for g in by_register] == [
        (world["top"].name, ["C1", "C2"]),
        ("School of Law", ["S1"]),
    ]
    by_owner = group_rows(rows, by="owner")
    assert {g.key: [r.risk.ref for r in g.rows] for g in by_owner} == {
        world["alice"]: ["C1"],
        world["bob"]: ["S1", "C2"],
    }


def test_page(client, organisation, world):
    client.force_login(MembershipFactory(organisation=organisation, role=Role.VIEWER).user)
    url = reverse("review_health", args=[organisation.slug])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Review health by register" in html and "Review health by owner" in html
    assert "<strong>50%</strong> (4 of 8)" in html
    assert "Overdue reviews (3)" in html and "Due in the next 30 days (2)" in html
    assert "?review=overdue&amp;sort=next_review" in html
    response = client.get(url, {"by": "owner"})
    by_name = sorted([world["alice"], world["bob"]], key=lambda u: u.display_name.casefold())
    assert [g.key for g in response.context["overdue"]] == by_name
    assert client.get(url, {"by": "nonsense"}).context["by"] == "register"


def test_long_lists_name_the_first_and_link_to_all(client, organisation, world, monkeypatch):
    """Headings count every overdue or due review; beyond LIST_LIMIT the page lists the longest
    overdue (soonest due) and links to the register page's filter for the rest."""
    from reporting import review_health

    monkeypatch.setattr(review_health, "LIST_LIMIT", 2)
    client.force_login(MembershipFactory(organisation=organisation, role=Role.VIEWER).user)
    response = client.get(reverse("review_health", args=[organisation.slug]))
    html = " ".join(response.content.decode().split())
    assert "Overdue reviews (3)" in html  # the total, not the two listed
    assert "The 2 longest overdue are listed." in html
    listed = [row.risk.ref for group in response.context["overdue"] for row in group.rows]
    assert sorted(listed) == ["C1", "S1"]  # C2 is the least overdue
    top = reverse("register", args=[organisation.slug, world["top"].slug])
    assert f'href="{top}?rollup=1&amp;review=overdue&amp;sort=next_review">See all 3' in html
    assert "Due in the next 30 days (2)" in html and "due soonest are listed" not in html


def test_outsiders_get_404(client, organisation, other_organisation):
    client.force_login(MembershipFactory(organisation=other_organisation, role=Role.ADMIN).user)
    assert client.get(reverse("review_health", args=[organisation.slug])).status_code == 404


def test_page_queries_flat(client, organisation, django_assert_max_num_queries):
    today = organisation_today(organisation)
    top = corporate_register_of(organisation)
    client.force_login(MembershipFactory(organisation=organisation, role=Role.VIEWER).user)
    url = reverse("review_health", args=[organisation.slug])

    def grow(count, prefix):
        for n in range(count):
            owner = MembershipFactory(organisation=organisation, role=Role.OWNER).user
            register = RegisterFactory(organisation=organisation, parent=top)
            RiskFactory(
                register=register,
                ref=f"{prefix}{n}",
                owner=owner,
                next_review_due=today + dt.timedelta(days=n % 40 - 20),
            )

    grow(5, "A")
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200
    grow(45, "B")
    for by in ("register", "owner"):
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(url, {"by": by})
        assert response.status_code == 200
    assert len(response.context["registers"]) == 51
