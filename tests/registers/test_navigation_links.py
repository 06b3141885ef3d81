"""Ways round the service (issue 12): a risk's title links to it on the register, "Registers" is
in the main navigation of every organisation page, and the header links "Your reports" for
every member (every member has released packs listed there, decision 125)."""

import pytest
from django.urls import reverse

from registers.models import Role
from tests.factories import MembershipFactory, RegisterFactory, RiskFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_risks_title_links_to_it_on_the_register(client, organisation):
    member = MembershipFactory(organisation=organisation, role=Role.VIEWER)
    register = RegisterFactory(organisation=organisation, slug="estates")
    RiskFactory(register=register, ref="E1", title="Roof leaks in the library")
    client.force_login(member.user)
    html = client.get(reverse("register", args=[organisation.slug, "estates"])).content.decode()
    risk_url = reverse("risk", args=[organisation.slug, "E1"])
    assert f'<a class="govuk-link" href="{risk_url}">Roof leaks in the library</a>' in html
    assert f'<a class="govuk-link" href="{risk_url}">E1</a>' in html


def test_registers_in_the_main_navigation(client, organisation):
    member = MembershipFactory(organisation=organisation, role=Role.VIEWER)
    RegisterFactory(organisation=organisation, slug="estates")
    client.force_login(member.user)
    registers = f"{reverse('organisation', args=[organisation.slug])}#registers"
    for url in (
        reverse("organisation", args=[organisation.slug]),
        reverse("my_work", args=[organisation.slug]),
    ):
        html = client.get(url).content.decode()
        assert f'href="{registers}">Registers</a>' in html, url
    # On a register page the item is the current section.
    html = client.get(reverse("register", args=[organisation.slug, "estates"])).content.decode()
    assert (
        f'<a class="govuk-service-navigation__link" href="{registers}" aria-current="true">'
        '<strong class="govuk-service-navigation__active-fallback">Registers</strong></a>'
    ) in html
    # ...and the dashboard's register tree it points at is there.
    dashboard = client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    assert 'id="registers"' in dashboard


@pytest.mark.parametrize(
    "role", [Role.ADMIN, Role.COORDINATOR, Role.OWNER, Role.VIEWER, Role.PANEL]
)
def test_your_reports_in_the_header_for_every_member(client, organisation, role):
    """Your reports lists every member's released packs (decision 125): an owner or a viewer of
    one organisation was not offered it anywhere in the header."""
    user = UserFactory()
    MembershipFactory(user=user, organisation=organisation, role=role)
    client.force_login(user)
    link = f'href="{reverse("my_packs")}">Your reports</a>'
    for url in (
        reverse("organisation", args=[organisation.slug]),
        reverse("packs", args=[organisation.slug]),
        reverse("account"),
        reverse("my_packs"),
    ):
        response = client.get(url, follow=True)
        assert link in response.content.decode() or (
            # the page itself: marked current instead of linked plainly
            'aria-current="page"><strong class="govuk-service-navigation__active-fallback">'
            "Your reports</strong>" in response.content.decode()
        ), url


def test_no_your_reports_link_for_someone_in_no_organisation(client):
    client.force_login(UserFactory())
    html = client.get(reverse("home")).content.decode()
    assert "Your reports" not in html
