"""``prime_editable_register_ids`` (the reminder digests' read of every coordinator's registers
at once) answers what each member's ``editable_register_ids`` answers alone."""

import pytest

from registers.models.organisations import Role
from registers.permissions import (
    OrganisationAccess,
    prime_editable_register_ids,
    register_grant,
)
from registers.services.register_archive import register_archive
from tests.factories import MembershipFactory, RegisterFactory, corporate_register_of

pytestmark = pytest.mark.django_db


def test_at_once_is_the_same_as_one_by_one(organisation, other_organisation):
    corporate = corporate_register_of(organisation)
    school = RegisterFactory(organisation=organisation, parent=corporate)
    gone = RegisterFactory(organisation=organisation, parent=corporate)
    elsewhere = RegisterFactory(organisation=other_organisation)
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN)
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    limited = MembershipFactory(
        organisation=organisation, role=Role.COORDINATOR, registers_limited=True
    )
    for register in (school, gone):
        register_grant(user=limited.user, register=register)
    # A grant in another organisation never counts here.
    MembershipFactory(organisation=other_organisation, user=limited.user, role=Role.COORDINATOR)
    register_grant(user=limited.user, register=elsewhere)
    bare = MembershipFactory(
        organisation=organisation, role=Role.COORDINATOR, registers_limited=True
    )
    owner = MembershipFactory(organisation=organisation, role=Role.OWNER)
    register_grant(user=owner.user, register=school)  # an owner never edits registers
    register_archive(register=gone, reason="Merged", by=admin.user)
    members = [admin, coordinator, limited, bare, owner]

    alone = {m.pk: OrganisationAccess(organisation, m).editable_register_ids for m in members}
    at_once = [OrganisationAccess(organisation, m) for m in members]
    prime_editable_register_ids(at_once)
    assert {a.membership.pk: a.editable_register_ids for a in at_once} == alone
    assert alone[limited.pk] == {school.pk}
    assert alone[bare.pk] == frozenset() and alone[owner.pk] == frozenset()
    assert gone.pk not in alone[admin.pk] and elsewhere.pk not in alone[admin.pk]
    assert at_once[0].archived_register_ids == {gone.pk}


def test_three_queries_at_most_for_any_number(organisation, django_assert_max_num_queries):
    members = [MembershipFactory(organisation=organisation, role=role) for role in Role.values * 3]
    # the first read also fills Django's content-type cache (once a process)
    prime_editable_register_ids([OrganisationAccess(organisation, m) for m in members])
    accesses = [OrganisationAccess(organisation, m) for m in members]
    with django_assert_max_num_queries(3):
        prime_editable_register_ids(accesses)
    with django_assert_max_num_queries(0):
        assert all(a.editable_register_ids is not None for a in accesses)
