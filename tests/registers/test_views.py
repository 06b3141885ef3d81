"""Pages are scoped to the user's memberships: another organisation's organisation, register and
risk pages are 404 for every role, and list pages cost the same queries for 3 risks or 30."""

import pytest
from django.urls import reverse

from registers.models import Register, Role
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    RiskFactory,
    UserFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(organisation):
    return MembershipFactory(organisation=organisation, role=Role.VIEWER).user


def test_pages_need_a_login(client, organisation):
    response = client.get(reverse("register", args=[organisation.slug, "corporate"]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_login_page_and_sign_in(client, member, password):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"login": member.email, "password": password})
    assert response.status_code == 302 and response.url == reverse("home")
    client.logout()
    bad = client.post(reverse("login"), {"login": member.email, "password": "wrong"})
    assert bad.status_code == 400 and "There is a problem" in bad.content.decode()


def test_home_lists_only_my_organisations(client, member, organisation, other_organisation):
    second = OrganisationFactory()  # with one organisation, home opens its dashboard instead
    MembershipFactory(user=member, organisation=second, role=Role.VIEWER)
    client.force_login(member)
    page = client.get(reverse("home")).content.decode()
    assert organisation.name in page and second.name in page
    assert other_organisation.name not in page


def test_register_and_risk_pages_show_the_rating(client, member, organisation):
    risk = RiskFactory(
        register=corporate_register_of(organisation),
        ref="CRR07",
        title="Fire at the depot",
        positions={"current": (3, 4), "target": (1, 2)},
    )
    client.force_login(member)
    page = client.get(reverse("register", args=[organisation.slug, "corporate"])).content.decode()
    assert "CRR07" in page and "Fire at the depot" in page and "12 (Medium)" in page
    detail = client.get(reverse("risk", args=[organisation.slug, risk.ref])).content.decode()
    assert "12 (Medium)" in detail and "2 (Low)" in detail and "OFFICIAL" in detail


@pytest.mark.parametrize("role", list(Role))
def test_another_organisations_pages_are_404_for_every_role(client, role):
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    user = MembershipFactory(organisation=mine, role=role).user
    their_risk = RiskFactory(register=corporate_register_of(theirs), ref="SECRET-1")
    client.force_login(user)
    for url in (
        reverse("organisation", args=[theirs.slug]),
        reverse("register", args=[theirs.slug, "corporate"]),
        reverse("risk", args=[theirs.slug, their_risk.ref]),
        # their ref guessed under my organisation's URL
        reverse("risk", args=[mine.slug, their_risk.ref]),
        reverse("organisation", args=["no-such-org"]),
        reverse("register", args=[mine.slug, "no-such-register"]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("register", args=[mine.slug, "corporate"])).status_code == 200


def test_user_without_membership_sees_nothing(client, organisation):
    client.force_login(UserFactory())
    assert "not a member of any organisation" in client.get(reverse("home")).content.decode()
    assert client.get(reverse("organisation", args=[organisation.slug])).status_code == 404


def test_register_page_query_count_does_not_grow_with_risks(client, member, organisation):
    register = corporate_register_of(organisation)
    owner = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    for n in range(3):
        RiskFactory(register=register, ref=f"A{n}", owner=owner)
    client.force_login(member)
    url = reverse("register", args=[organisation.slug, "corporate"])

    def grow():
        for n in range(30):
            RiskFactory(register=register, ref=f"B{n}", owner=owner)

    few, page = assert_same_queries(lambda: client.get(url), grow, at_most=30)
    assert few.status_code == 200
    assert page.status_code == 200 and "33 risks" in page.content.decode()


def test_organisation_page_lists_registers_as_a_tree(client, member, organisation):
    Register.objects.create(
        organisation=organisation,
        slug="school",
        name="School of Law",
        level="school",
        parent=corporate_register_of(organisation),
    )
    client.force_login(member)
    page = client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    assert "School of Law" in page and "↳" in page


def test_register_lists_open_risks_by_score_then_natural_ref_and_closed_last(
    client, member, organisation
):
    register = corporate_register_of(organisation)
    for ref, position in (("10", (2, 2)), ("2", (2, 2)), ("3", (5, 5)), ("4", None)):
        RiskFactory(register=register, ref=ref, positions={"current": position})
    RiskFactory(
        register=register,
        ref="1",
        positions={"current": (5, 5)},
        status="closed",
        closed_reason="Fully mitigated",
    )
    client.force_login(member)
    response = client.get(
        reverse("register", args=[organisation.slug, "corporate"]), {"status": "all"}
    )
    refs = [row.risk.ref for row in response.context["rows"]]
    assert refs == ["3", "2", "10", "4", "1"]
