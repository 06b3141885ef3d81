"""An organisation admin adds a school coordinator and grants them one register; the joint panel
member switches between MOPAC and the Met; the members pages pass axe-core."""

import re

import pytest
from playwright.sync_api import expect

from registers import permissions
from registers.models import Invitation, Register, Role, User
from registers.services.invitations import invitation_accept
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganisationFactory,
    RegisterFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_adds_a_coordinator_limited_to_one_register(page):
    organisation = OrganisationFactory(name="University of Example", slug="example")
    school = RegisterFactory(organisation=organisation, slug="biology", name="School of Biology")
    admin = MembershipFactory(
        organisation=organisation, role=Role.ADMIN, user__full_name="Ada Admin"
    ).user
    sign_in(page, admin.email)

    page.goto(f"/o/{organisation.slug}/members/")
    expect(page.get_by_role("heading", name="Members")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Add a member").click()
    assert axe_violations(page) == []
    page.get_by_label("E-mail address").fill("school.coord@example.org")
    page.get_by_label("Risk coordinator for some registers").check()
    page.get_by_role("button", name="Add member").click()

    # A new address is invited; once they accept, the admin chooses their registers.
    expect(
        page.get_by_text("An invitation to join as a risk coordinator for some registers")
    ).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("school.coord@example.org"))).to_be_visible()
    invitation = Invitation.objects.get(email="school.coord@example.org")
    invitation_accept(invitation=invitation, full_name="Sam School", password=PASSWORD)
    page.goto(f"/o/{organisation.slug}/members/")
    page.get_by_role("link", name="Change Sam School").click()
    expect(page.get_by_role("heading", name="Sam School")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("School of Biology").check()
    page.get_by_role("button", name="Save registers").click()
    expect(page.get_by_text("Sam School now edits School of Biology.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Sam School"))
    expect(row).to_contain_text("Risk coordinator for some registers")
    expect(row).to_contain_text("School of Biology")

    coordinator = User.objects.get(email="school.coord@example.org")
    access = permissions.organisation_for_user(user=coordinator, slug=organisation.slug)
    assert access.can_edit_register(school)
    assert not access.can_edit_register(
        Register.objects.get(organisation=organisation, slug="corporate")
    )

    # Adding them again is an error on the form, linked from the summary.
    page.get_by_role("button", name="Add a member").click()
    page.get_by_label("E-mail address").fill("school.coord@example.org")
    page.get_by_label("Viewer").check()
    page.get_by_role("button", name="Add member").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("already a member")
    assert axe_violations(page) == []
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("E-mail address")).to_be_focused()

    # The last admin cannot step down: the service's message is shown.
    page.goto(f"/o/{organisation.slug}/members/")
    page.get_by_role("link", name="Change Ada Admin").click()
    page.get_by_label("Viewer").check()
    page.get_by_role("button", name="Save role").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("is the last admin of")
    assert axe_violations(page) == []

    # Remove, after a confirmation page.
    page.goto(f"/o/{organisation.slug}/members/")
    page.get_by_role("link", name="Remove Sam School").click()
    expect(page.get_by_role("heading", name=re.compile("Remove Sam School"))).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Remove member").click()
    expect(page.get_by_text("Sam School is no longer a member")).to_be_visible()
    assert not coordinator.memberships.exists()


def test_joint_panel_member_switches_organisation(page):
    mopac = OrganisationFactory(
        name="Mayors Office for Policing and Crime", short_name="MOPAC", slug="mopac"
    )
    met = OrganisationFactory(name="Metropolitan Police Service", short_name="The Met", slug="met")
    joint = UserFactory(email="joint.panel@audit.test", full_name="Joint Panel")
    MembershipFactory(organisation=mopac, user=joint, role=Role.PANEL)
    MembershipFactory(organisation=met, user=joint, role=Role.PANEL)
    sign_in(page, joint.email)

    page.goto("/")
    page.get_by_role("link", name=mopac.name).click()
    nav = page.get_by_role("navigation", name="Menu")
    expect(nav.get_by_role("link", name="Organisation: MOPAC")).to_be_visible()
    expect(nav.get_by_role("link", name="Members")).to_have_count(0)  # a panel member

    nav.get_by_role("link", name="Switch organisation").click()
    expect(page.get_by_role("heading", name="Your organisations")).to_be_visible()
    page.get_by_role("link", name=met.name).click()
    expect(page).to_have_url(re.compile(r"/o/met/$"))
    expect(nav.get_by_role("link", name="Organisation: The Met")).to_be_visible()


def test_members_pages_refuse_a_panel_member(page):
    organisation = OrganisationFactory(slug="refusing")
    panel = MembershipFactory(organisation=organisation, role=Role.PANEL).user
    sign_in(page, panel.email)
    response = page.goto(f"/o/{organisation.slug}/members/")
    assert response.status == 403
