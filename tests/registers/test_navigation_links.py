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


YOUR_REPORTS = (
    # linked plainly, or on the page itself marked current instead
    'href="/reports/">Your reports</a>',
    'aria-current="page"><strong class="govuk-service-navigation__active-fallback">Your reports',
)


def offers_your_reports(client, url) -> bool:
    html = client.get(url, follow=True).content.decode()
    return any(text in html for text in YOUR_REPORTS)


@pytest.mark.parametrize(
    "role", [Role.ADMIN, Role.COORDINATOR, Role.OWNER, Role.VIEWER, Role.PANEL]
)
def test_your_reports_in_the_header_for_every_member(client, organisation, role):
    """Your reports lists every member's released packs (decision 125): an owner or a viewer of
    one organisation was not offered it anywhere in the header. On their organisation's pages a
    member of it alone has its "Reports" in the menu, the same list, and the header does not
    link both (two links to one list pushed it onto two lines at 1280); a panel member's home
    is Your reports, linked everywhere."""
    assert reverse("my_packs") == "/reports/"
    user = UserFactory()
    MembershipFactory(user=user, organisation=organisation, role=role)
    client.force_login(user)
    for url in (reverse("account"), reverse("my_packs")):
        assert offers_your_reports(client, url), url
    for url in (
        reverse("organisation", args=[organisation.slug]),
        reverse("packs", args=[organisation.slug]),
    ):
        assert offers_your_reports(client, url) == (role == Role.PANEL), url


def test_your_reports_on_every_page_for_a_member_of_two_organisations(
    client, organisation, other_organisation
):
    user = UserFactory()
    MembershipFactory(user=user, organisation=organisation, role=Role.OWNER)
    MembershipFactory(user=user, organisation=other_organisation, role=Role.VIEWER)
    client.force_login(user)
    for url in (
        reverse("organisation", args=[organisation.slug]),
        reverse("packs", args=[other_organisation.slug]),
        reverse("account"),
    ):
        assert offers_your_reports(client, url), url


def test_no_your_reports_link_for_someone_in_no_organisation(client):
    client.force_login(UserFactory())
    html = client.get(reverse("home")).content.decode()
    assert "Your reports" not in html
