"""Home: a person with one organisation lands on its dashboard (a panel member on their reports),
not on a list of one; people with several choose. The header learns whether to link "Your
reports" (anyone with an organisation) without a query of its own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registers.models import Role
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def membership_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "registers_membership"' in q["sql"]]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COORDINATOR, Role.OWNER, Role.VIEWER])
def test_one_organisation_lands_on_its_dashboard(client, role):
    membership = MembershipFactory(role=role)
    client.force_login(membership.user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("organisation", args=[membership.organisation.slug])


def test_a_panel_member_of_one_organisation_lands_on_their_reports(client):
    membership = MembershipFactory(role=Role.PANEL)
    client.force_login(membership.user)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("my_packs")


def test_several_organisations_are_listed_to_choose_from(client):
    user = UserFactory()
    first, second = OrganisationFactory(), OrganisationFactory()
    MembershipFactory(user=user, organisation=first, role=Role.PANEL)
    MembershipFactory(user=user, organisation=second, role=Role.PANEL)
    client.force_login(user)
    response = client.get(reverse("home"))
    page = response.content.decode()
    assert response.status_code == 200
    assert first.name in page and second.name in page


def test_no_organisation_says_so(client):
    client.force_login(UserFactory())
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "not a member of any organisation" in response.content.decode()


def test_your_reports_in_the_header_needs_no_query_of_its_own(client):
    """Linked on every page for a member of two organisations: the header learns it from the
    one membership read of the switcher, home and "Your reports", and reads no pack."""
    user = UserFactory()
    first = MembershipFactory(user=user, role=Role.OWNER)
    MembershipFactory(user=user, role=Role.PANEL)
    client.force_login(user)
    link = f'href="{reverse("my_packs")}">Your reports</a>'
    for url in (
        reverse("home"),
        reverse("account"),
        reverse("organisation", args=[first.organisation.slug]),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert link in response.content.decode(), url
        assert len(membership_queries(queries)) == 1, (url, membership_queries(queries))
        assert not [q for q in queries if 'FROM "reporting_pack"' in q["sql"]], url
