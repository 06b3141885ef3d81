"""Who may do what, through registers.permissions (the one access module)."""

import pytest
from django.core.exceptions import ValidationError

from registers import permissions
from registers.models import Marking, Membership, Register, Role
from registers.services.indicators import indicator_add
from registers.services.organisations import (
    member_add,
    membership_change,
    membership_remove,
    register_create,
)
from tests.factories import (
    ActionFactory,
    ControlFactory,
    OrganisationFactory,
    RiskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def access_for(user, organisation):
    return permissions.organisation_for_user(user=user, slug=organisation.slug)


@pytest.fixture
def setup(organisation):
    corporate = Register.objects.get(organisation=organisation, slug="corporate")
    school = register_create(
        organisation=organisation, slug="school", name="School", level="school", parent=corporate
    )
    people = {
        role: member_add(organisation=organisation, email=f"{role}@x.test", role=role).user
        for role in Role.values
    }
    risk = RiskFactory(register=school, owner=people[Role.OWNER])
    return corporate, school, people, risk


def test_roles(setup, organisation):
    corporate, school, people, risk = setup
    admin, coordinator, owner, viewer, panel = (
        access_for(people[r], organisation)
        for r in ("admin", "coordinator", "owner", "viewer", "panel")
    )
    assert admin.can_edit_risk(risk) and admin.can_manage_members
    assert coordinator.can_edit_register(corporate) and coordinator.can_edit_risk(risk)
    assert not coordinator.can_manage_members
    assert owner.can_edit_risk(risk) and owner.can_review_risk(risk)
    assert not owner.can_edit_register(school)
    for reader in (viewer, panel):
        assert reader.is_read_only and not reader.can_edit_risk(risk)
        assert not reader.can_edit_registers
    # Every member reads released packs (reporting.packs.access); full editions the cleared only.
    assert not panel.can_read_full_packs and not viewer.can_read_full_packs


def test_owner_role_does_not_edit_risks_of_others(setup, organisation):
    corporate, school, people, risk = setup
    other = RiskFactory(register=corporate)
    assert not access_for(people[Role.OWNER], organisation).can_edit_risk(other)


def test_panel_member_who_owns_a_risk_still_cannot_edit(setup, organisation):
    corporate, school, people, risk = setup
    owned = RiskFactory(register=corporate, owner=people[Role.PANEL])
    assert not access_for(people[Role.PANEL], organisation).can_edit_risk(owned)


def test_action_owner_updates_their_action(setup, organisation):
    corporate, school, people, risk = setup
    doer = member_add(organisation=organisation, email="doer@x.test", role=Role.OWNER).user
    action = ActionFactory(risk=RiskFactory(register=corporate), owner=doer)
    assert access_for(doer, organisation).can_update_action(action)
    assert not access_for(doer, organisation).can_edit_risk(action.risk)


def test_owning_an_action_control_or_indicator_of_a_sensitive_risk_clears_nobody(
    setup, organisation
):
    """Nobody changes what they may not read: an uncleared owner (the role) who owns an action,
    a control or an indicator of an OFFICIAL-SENSITIVE risk, but not the risk, updates none of
    them; cleared by an admin, they update their action and record readings."""
    corporate, school, people, risk = setup
    doer = member_add(organisation=organisation, email="doer@x.test", role=Role.OWNER).user
    secret = RiskFactory(register=corporate, marking=Marking.OFFICIAL_SENSITIVE)
    action = ActionFactory(risk=secret, owner=doer)
    control = ControlFactory(risk=secret, owner=doer)
    indicator = indicator_add(
        user=people[Role.ADMIN], risk=secret, name="Leaks", amber_from=1, red_from=2, owner=doer
    )
    access = access_for(doer, organisation)
    assert not access.can_see_sensitive(secret)
    assert not access.can_update_action(action)
    assert not access.can_update_control(control)
    assert not access.can_record_reading(indicator)
    Membership.objects.filter(user=doer).update(sensitive_access=True)
    access = access_for(doer, organisation)
    assert access.can_update_action(action) and access.can_record_reading(indicator)
    assert not access.can_update_control(control)  # a control is its risk's editors' to change
    # Who edits the risk reads it: its owner, and the coordinators of its register.
    for who in (Role.ADMIN, Role.COORDINATOR):
        editor = access_for(people[who], organisation)
        assert editor.can_update_action(action) and editor.can_update_control(control)


def test_limited_coordinator_edits_only_granted_registers(setup, organisation):
    corporate, school, people, risk = setup
    membership = member_add(organisation=organisation, email="school@x.test", role="coordinator")
    membership_change(membership=membership, role="coordinator", registers_limited=True)
    permissions.register_grant(user=membership.user, register=school)
    access = access_for(membership.user, organisation)
    assert access.can_edit_register(school) and not access.can_edit_register(corporate)
    assert access.can_edit_risk(risk)


def test_new_registers_are_editable_by_unlimited_coordinators(setup, organisation):
    corporate, school, people, risk = setup
    projects = register_create(organisation=organisation, slug="projects", name="Projects")
    assert access_for(people[Role.COORDINATOR], organisation).can_edit_register(projects)


def test_grants_never_cross_organisations(setup, organisation):
    corporate, school, people, risk = setup
    theirs = OrganisationFactory()
    their_register = Register.objects.get(organisation=theirs, slug="corporate")
    permissions.register_grant(user=people[Role.COORDINATOR], register=their_register)
    access = access_for(people[Role.COORDINATOR], organisation)
    assert their_register.id not in access.editable_register_ids
    assert not access.can_edit_register(their_register)


def test_superuser_flag_grants_nothing_inside_an_organisation(setup, organisation):
    corporate, school, people, risk = setup
    boss = UserFactory(is_superuser=True, is_staff=True)
    Membership.objects.create(user=boss, organisation=organisation, role=Role.VIEWER)
    assert not access_for(boss, organisation).can_edit_risk(risk)


def test_remove_member_takes_away_grants(setup, organisation):
    corporate, school, people, risk = setup
    membership = Membership.objects.get(user=people[Role.COORDINATOR])
    membership_remove(membership=membership)
    assert not people[Role.COORDINATOR].groups.exists()
    with pytest.raises(Exception):  # noqa: B017
        access_for(people[Role.COORDINATOR], organisation)


def test_the_last_admin_cannot_be_removed_or_demoted(setup, organisation):
    corporate, school, people, risk = setup
    admin_membership = Membership.objects.get(user=people[Role.ADMIN])
    with pytest.raises(ValidationError, match="last admin"):
        membership_change(membership=admin_membership, role=Role.VIEWER)
    with pytest.raises(ValidationError, match="last admin"):
        membership_remove(membership=admin_membership)
