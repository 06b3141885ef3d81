"""Membership management: an organisation admin lists, adds, re-roles and removes members and
chooses the registers a limited coordinator edits; nobody else may (403 for other members, 404
for outsiders); the last admin stays; the organisation switcher in the header."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registers import permissions
from registers.models import Invitation, Membership, Role, User
from registers.services.invitations import invitation_accept
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganisationFactory,
    RegisterFactory,
    RiskFactory,
    UserFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def school(organisation):
    return RegisterFactory(organisation=organisation, slug="school", name="School of Biology")


def member_urls(organisation, membership):
    slug = organisation.slug
    return [
        reverse("members", args=[slug]),
        reverse("member_add", args=[slug]),
        reverse("member", args=[slug, membership.pk]),
        reverse("member_registers", args=[slug, membership.pk]),
        reverse("member_remove", args=[slug, membership.pk]),
    ]


def page_text(response) -> str:
    return response.content.decode()


# --- who may use these pages ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.OWNER, Role.VIEWER, Role.PANEL])
def test_other_members_are_refused_403_on_get_and_post(client, organisation, admin, role):
    user = MembershipFactory(organisation=organisation, role=role).user
    target = Membership.objects.get(user=admin)
    client.force_login(user)
    add_url = reverse("member_add", args=[organisation.slug])
    for url in member_urls(organisation, target):
        if role == Role.COORDINATOR and url == add_url:
            continue  # coordinators invite owners and viewers (tests/registers/test_invitations.py)
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"role": Role.VIEWER}).status_code == 403, url
    target.refresh_from_db()
    assert target.role == Role.ADMIN


def test_non_members_get_404(client, organisation, admin, other_organisation):
    outsider = MembershipFactory(organisation=other_organisation, role=Role.ADMIN).user
    client.force_login(outsider)
    for url in member_urls(organisation, Membership.objects.get(user=admin)):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"role": Role.ADMIN}).status_code == 404, url
    assert not Membership.objects.filter(user=outsider, organisation=organisation).exists()


def test_another_organisations_member_is_404_under_my_organisation(
    admin_client, organisation, other_organisation
):
    theirs = MembershipFactory(organisation=other_organisation, role=Role.VIEWER)
    for url in member_urls(organisation, theirs)[2:]:
        assert admin_client.get(url).status_code == 404, url
        assert admin_client.post(url, {"role": Role.ADMIN}).status_code == 404, url
    theirs.refresh_from_db()
    assert theirs.role == Role.VIEWER


# --- the list ------------------------------------------------------------------------------------


def test_list_shows_roles_and_a_limited_coordinators_registers(
    admin_client, organisation, school, other_organisation
):
    viewer = MembershipFactory(organisation=organisation, role=Role.VIEWER, user__full_name="Val")
    limited = MembershipFactory(
        organisation=organisation,
        role=Role.COORDINATOR,
        registers_limited=True,
        user__full_name="Lim Coord",
    )
    permissions.register_grant(user=limited.user, register=school)
    MembershipFactory(organisation=other_organisation, user__full_name="Stranger Danger")
    page = page_text(admin_client.get(reverse("members", args=[organisation.slug])))
    assert "Val" in page and "Viewer" in page
    assert "Lim Coord" in page and "Risk coordinator for some registers" in page
    assert "School of Biology" in page
    assert "Stranger Danger" not in page
    assert "3 members" in page
    assert reverse("member", args=[organisation.slug, viewer.pk]) in page


def test_list_query_count_does_not_grow_with_members(admin_client, organisation):
    url = reverse("members", args=[organisation.slug])
    MembershipFactory.create_batch(3, organisation=organisation, role=Role.VIEWER)
    few, many = assert_same_queries(
        lambda: admin_client.get(url),
        lambda: MembershipFactory.create_batch(27, organisation=organisation, role=Role.OWNER),
    )
    assert few.status_code == 200
    page = page_text(many)
    assert "31 members" in page


def test_list_refuses_other_methods_after_the_access_check(admin_client, organisation):
    url = reverse("members", args=[organisation.slug])
    assert admin_client.post(url).status_code == 405
    assert admin_client.post(reverse("members", args=["no-such-org"])).status_code == 404


# --- adding --------------------------------------------------------------------------------------


def test_add_a_new_person_invites_them_instead_of_making_an_account(
    admin_client, organisation, send_queued_email
):
    with send_queued_email() as outbox:
        response = admin_client.post(
            reverse("member_add", args=[organisation.slug]),
            {"email": " New.Person@Example.org ", "role": Role.OWNER},
            follow=True,
        )
    page = page_text(response)
    assert not User.objects.filter(email="new.person@example.org").exists()
    invitation = Invitation.objects.get(organisation=organisation)
    assert invitation.email == "new.person@example.org" and invitation.role == Role.OWNER
    assert "An invitation to join as a risk owner or manager has been sent to" in page
    assert "need a password reset" not in page
    (sent,) = outbox
    assert sent.to == ["new.person@example.org"]
    assert response.redirect_chain[-1][0] == reverse("members", args=[organisation.slug])


def test_add_an_existing_account_invites_it_and_reads_as_any_new_address(
    admin_client, organisation, other_organisation, send_queued_email
):
    """The page neither adds another organisation's member at once nor says the address has an
    account anywhere (decision 113): the same words as for an address riskreg has never seen."""
    person = MembershipFactory(organisation=other_organisation, role=Role.PANEL).user
    with send_queued_email() as outbox:
        response = admin_client.post(
            reverse("member_add", args=[organisation.slug]),
            {"email": person.email.upper(), "role": Role.PANEL},
            follow=True,
        )
    page = page_text(response)
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert set(person.memberships.values_list("organisation__slug", flat=True)) == {
        other_organisation.slug
    }
    invitation = Invitation.objects.get(organisation=organisation)
    assert invitation.email == person.email.lower() and invitation.role == Role.PANEL
    assert f"An invitation to join as an audit panel member has been sent to {person.email}" in (
        page
    )
    assert "already had a riskreg account" not in page and "is now a member" not in page
    (sent,) = outbox
    assert sent.subject == f"You are invited to {organisation.display_name} on riskreg"


def test_add_someone_already_a_member_is_an_error_not_a_silent_role_change(
    admin_client, organisation
):
    member = MembershipFactory(organisation=organisation, role=Role.VIEWER)
    response = admin_client.post(
        reverse("member_add", args=[organisation.slug]),
        {"email": member.user.email, "role": Role.ADMIN},
    )
    page = page_text(response)
    assert response.status_code == 400
    assert "There is a problem" in page and "already a member" in page
    assert 'href="#id_email"' in page
    member.refresh_from_db()
    assert member.role == Role.VIEWER


def test_add_with_bad_input_shows_errors_and_keeps_what_was_typed(admin_client, organisation):
    response = admin_client.post(
        reverse("member_add", args=[organisation.slug]),
        {"email": "not-an-address"},
    )
    page = page_text(response)
    assert "Enter an e-mail address in the right format" in page
    assert "Choose a role" in page and 'href="#id_role"' in page
    assert 'value="not-an-address"' in page
    assert Membership.objects.filter(organisation=organisation).count() == 1


def test_add_a_limited_coordinator_then_grant_one_register(admin_client, organisation, school):
    response = admin_client.post(
        reverse("member_add", args=[organisation.slug]),
        {"email": "school.coord@example.org", "role": "coordinator-limited"},
        follow=True,
    )
    assert "choose the registers they edit" in page_text(response)
    invitation = Invitation.objects.get(email="school.coord@example.org")
    assert invitation.role == Role.COORDINATOR and invitation.registers_limited
    membership = invitation_accept(invitation=invitation, full_name="Sam", password=PASSWORD)
    assert membership.role == Role.COORDINATOR and membership.registers_limited
    access = permissions.organisation_for_user(user=membership.user, slug=organisation.slug)
    assert access.editable_register_ids == frozenset()

    admin_client.post(
        reverse("member_registers", args=[organisation.slug, membership.pk]),
        {"registers": [school.pk]},
    )
    access = permissions.organisation_for_user(user=membership.user, slug=organisation.slug)
    assert access.can_edit_register(school)
    assert not access.can_edit_register(corporate_register_of(organisation))
    page = page_text(admin_client.get(reverse("members", args=[organisation.slug])))
    assert "School of Biology" in page

    # Untick it again: revoked.
    admin_client.post(reverse("member_registers", args=[organisation.slug, membership.pk]), {})
    access = permissions.organisation_for_user(user=membership.user, slug=organisation.slug)
    assert access.editable_register_ids == frozenset()


def test_grants_refuse_another_organisations_register(
    admin_client, organisation, other_organisation
):
    membership = MembershipFactory(
        organisation=organisation, role=Role.COORDINATOR, registers_limited=True
    )
    response = admin_client.post(
        reverse("member_registers", args=[organisation.slug, membership.pk]),
        {"registers": [corporate_register_of(other_organisation).pk]},
    )
    assert response.status_code == 400 and "There is a problem" in page_text(response)
    assert not permissions.registers_granted(user=membership.user, organisation=other_organisation)


def test_grants_only_for_a_limited_coordinator(admin_client, organisation, school):
    membership = MembershipFactory(organisation=organisation, role=Role.OWNER)
    response = admin_client.post(
        reverse("member_registers", args=[organisation.slug, membership.pk]),
        {"registers": [school.pk]},
    )
    assert "Only a risk coordinator for some registers" in page_text(response)
    assert not permissions.registers_granted(user=membership.user, organisation=organisation)


def test_get_on_the_grants_url_goes_to_the_member_page(admin_client, organisation):
    membership = MembershipFactory(organisation=organisation, role=Role.VIEWER)
    response = admin_client.get(
        reverse("member_registers", args=[organisation.slug, membership.pk])
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("member", args=[organisation.slug, membership.pk]))


# --- changing a role -----------------------------------------------------------------------------


def test_member_page_shows_the_role_form_and_grants(admin_client, organisation, school):
    membership = MembershipFactory(
        organisation=organisation, role=Role.COORDINATOR, registers_limited=True
    )
    permissions.register_grant(user=membership.user, register=school)
    page = page_text(admin_client.get(reverse("member", args=[organisation.slug, membership.pk])))
    assert 'value="coordinator-limited" checked' in page
    assert f'value="{school.pk}" checked' in page
    assert "reports to" in page  # the school register's parent is named


def test_change_role(admin_client, organisation):
    membership = MembershipFactory(organisation=organisation, role=Role.VIEWER)
    response = admin_client.post(
        reverse("member", args=[organisation.slug, membership.pk]),
        {"role": Role.COORDINATOR},
        follow=True,
    )
    membership.refresh_from_db()
    assert membership.role == Role.COORDINATOR and not membership.registers_limited
    assert "is now a risk coordinator" in page_text(response)
    access = permissions.organisation_for_user(user=membership.user, slug=organisation.slug)
    assert access.can_edit_register(corporate_register_of(organisation))


def test_unlimiting_or_changing_role_drops_per_register_grants(admin_client, organisation, school):
    membership = MembershipFactory(
        organisation=organisation, role=Role.COORDINATOR, registers_limited=True
    )
    permissions.register_grant(user=membership.user, register=school)
    admin_client.post(
        reverse("member", args=[organisation.slug, membership.pk]), {"role": Role.OWNER}
    )
    membership.refresh_from_db()
    assert membership.role == Role.OWNER and not membership.registers_limited
    assert not permissions.registers_granted(user=membership.user, organisation=organisation)


def test_an_unknown_role_is_refused(admin_client, organisation):
    membership = MembershipFactory(organisation=organisation, role=Role.VIEWER)
    response = admin_client.post(
        reverse("member", args=[organisation.slug, membership.pk]), {"role": "superuser"}
    )
    assert response.status_code == 400 and "There is a problem" in page_text(response)
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER


def test_the_last_admin_cannot_be_demoted(admin_client, organisation, admin):
    membership = Membership.objects.get(user=admin)
    response = admin_client.post(
        reverse("member", args=[organisation.slug, membership.pk]), {"role": Role.VIEWER}
    )
    page = page_text(response)
    assert response.status_code == 400
    assert "There is a problem" in page and "is the last admin of" in page
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    # What was chosen is kept on the form; the summary shows the role as stored.
    assert 'value="viewer" checked' in page


def test_an_admin_who_steps_down_goes_to_the_organisation_page(admin_client, organisation, admin):
    MembershipFactory(organisation=organisation, role=Role.ADMIN)
    membership = Membership.objects.get(user=admin)
    response = admin_client.post(
        reverse("member", args=[organisation.slug, membership.pk]), {"role": Role.VIEWER}
    )
    assert response.url == reverse("organisation", args=[organisation.slug])
    assert admin_client.get(reverse("members", args=[organisation.slug])).status_code == 403


# --- removing ------------------------------------------------------------------------------------


def test_remove_asks_first_then_removes(admin_client, organisation, school):
    membership = MembershipFactory(
        organisation=organisation, role=Role.COORDINATOR, registers_limited=True
    )
    permissions.register_grant(user=membership.user, register=school)
    RiskFactory(register=corporate_register_of(organisation), owner=membership.user)
    url = reverse("member_remove", args=[organisation.slug, membership.pk])
    page = page_text(admin_client.get(url))
    assert "Remove" in page and "1 risk here" in page
    assert Membership.objects.filter(pk=membership.pk).exists()

    response = admin_client.post(url, follow=True)
    assert "is no longer a member" in page_text(response)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=membership.user.pk).exists()
    assert not permissions.registers_granted(user=membership.user, organisation=organisation)


def test_the_last_admin_cannot_be_removed(admin_client, organisation, admin):
    membership = Membership.objects.get(user=admin)
    response = admin_client.post(reverse("member_remove", args=[organisation.slug, membership.pk]))
    page = page_text(response)
    assert response.status_code == 400
    assert "There is a problem" in page and "is the last admin of" in page
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_removing_yourself_goes_home(admin_client, organisation, admin):
    MembershipFactory(organisation=organisation, role=Role.ADMIN)
    membership = Membership.objects.get(user=admin)
    response = admin_client.post(reverse("member_remove", args=[organisation.slug, membership.pk]))
    assert response.url == reverse("home")
    assert admin_client.get(reverse("organisation", args=[organisation.slug])).status_code == 404


# --- the organisation switcher -------------------------------------------------------------------


def test_switcher_for_someone_in_two_organisations(client):
    mopac = OrganisationFactory(name="Mayors Office for Policing and Crime", short_name="MOPAC")
    met = OrganisationFactory(name="Metropolitan Police Service", short_name="The Met")
    joint = UserFactory()
    MembershipFactory(organisation=mopac, user=joint, role=Role.PANEL)
    MembershipFactory(organisation=met, user=joint, role=Role.PANEL)
    client.force_login(joint)
    page = page_text(client.get(reverse("register", args=[met.slug, "corporate"])))
    assert "Switch organisation" in page
    assert '<span class="govuk-visually-hidden">Organisation: </span>The Met' in page
    assert ">Members<" not in page  # not an admin
    home = page_text(client.get(reverse("home")))
    assert mopac.name in home and met.name in home


def test_no_switcher_with_one_membership_and_members_link_for_admins(admin_client, organisation):
    page = page_text(admin_client.get(reverse("register", args=[organisation.slug, "corporate"])))
    assert "Switch organisation" not in page
    assert reverse("members", args=[organisation.slug]) in page


def test_switcher_costs_no_query_off_organisation_pages(client):
    user = UserFactory()
    for _ in range(2):
        MembershipFactory(user=user, role=Role.VIEWER)
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("home"))
    membership_queries = [q for q in queries if 'FROM "registers_membership"' in q["sql"]]
    assert len(membership_queries) == 1  # the home page's own list, not the switcher


def test_switcher_query_count_does_not_grow_with_memberships(client):
    user = UserFactory()
    first = MembershipFactory(user=user, role=Role.VIEWER).organisation
    MembershipFactory(user=user, role=Role.VIEWER)
    client.force_login(user)
    url = reverse("register", args=[first.slug, "corporate"])

    def grow():
        for _ in range(5):
            MembershipFactory(user=user, role=Role.VIEWER)
        # A membership added makes the next page work out once whether the person now needs a
        # second factor (one query, decision 104), whatever the number of memberships.
        client.get(url)

    two, _ = assert_same_queries(lambda: client.get(url), grow)
    assert "Switch organisation" in page_text(two)
