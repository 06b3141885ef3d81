"""A write that changes whether someone must set up a second factor reaches their open session on
its very next request (decision 104): the middleware keeps its "nothing needed" answer only under
the person's and their organisations' second-factor tokens, which those writes renew. No time
travel: each test is one request after the write."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.services_second_factor import second_factor_reset
from registers.models import Role, SecondFactorRule
from registers.services.memberships import membership_role_set
from registers.services.organisations import member_add, membership_remove
from tests.accounts.test_second_factor import give_totp, require
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

SETUP = reverse("second_factor_setup")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def browsing(user, organisation) -> tuple[Client, str]:
    """A signed-in session of ``user`` that has already been let through once."""
    client = Client()
    client.force_login(user)
    dashboard = reverse("organisation", args=[organisation.slug])
    assert client.get(dashboard).status_code == 200
    assert client.get(dashboard).status_code == 200  # the answer kept, still let through
    return client, dashboard


def test_a_new_rule_reaches_a_signed_in_coordinator_at_once(
    organisation, django_capture_on_commit_callbacks
):
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    give_totp(admin)
    client, dashboard = browsing(coordinator, organisation)

    admin_client = Client()
    admin_client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("second_factor_settings", args=[organisation.slug]),
            {"rule": SecondFactorRule.ADMINS_AND_COORDINATORS},
        )
    assert response.status_code == 302

    assert client.get(dashboard)["Location"] == SETUP


def test_a_role_change_into_a_covered_role_reaches_the_session_at_once(
    organisation, django_capture_on_commit_callbacks
):
    require(organisation, SecondFactorRule.ADMINS_AND_COORDINATORS)
    membership = MembershipFactory(organisation=organisation, role=Role.VIEWER)
    client, dashboard = browsing(membership.user, organisation)

    with django_capture_on_commit_callbacks(execute=True):
        membership_role_set(membership=membership, role=Role.COORDINATOR, registers_limited=False)

    assert client.get(dashboard)["Location"] == SETUP


def test_a_reset_reaches_the_session_at_once(organisation, django_capture_on_commit_callbacks):
    require(organisation, SecondFactorRule.ADMINS_AND_COORDINATORS)
    membership = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    give_totp(membership.user)
    client, dashboard = browsing(membership.user, organisation)

    with django_capture_on_commit_callbacks(execute=True):
        assert second_factor_reset(user=membership.user, organisation=organisation) == 2

    assert client.get(dashboard)["Location"] == SETUP


def test_joining_an_organisation_that_requires_it_reaches_the_session_at_once(
    organisation, django_capture_on_commit_callbacks
):
    membership = MembershipFactory(organisation=organisation, role=Role.VIEWER)
    strict = OrganisationFactory()
    require(strict, SecondFactorRule.EVERYONE)
    client, dashboard = browsing(membership.user, organisation)

    with django_capture_on_commit_callbacks(execute=True):
        member_add(organisation=strict, email=membership.user.email, role=Role.VIEWER, notify=False)

    assert client.get(dashboard)["Location"] == SETUP


def test_a_write_in_an_uncommitted_transaction_is_read_by_that_transaction(organisation):
    """The session reads the write before it commits only in the writer's own transaction (the
    test's), as every generation token does; after the commit everyone reads it (above)."""
    membership = MembershipFactory(organisation=organisation, role=Role.VIEWER)
    require(organisation, SecondFactorRule.ADMINS_AND_COORDINATORS)
    client, dashboard = browsing(membership.user, organisation)
    membership_role_set(membership=membership, role=Role.ADMIN, registers_limited=False)
    assert client.get(dashboard)["Location"] == SETUP


def test_leaving_the_organisation_that_required_it_lets_the_person_through(
    organisation, other_organisation, django_capture_on_commit_callbacks
):
    """ "Needed" is never kept, so this was always at once; kept so it stays so."""
    require(organisation, SecondFactorRule.EVERYONE)
    strict = MembershipFactory(organisation=organisation, role=Role.VIEWER)
    MembershipFactory(organisation=other_organisation, role=Role.VIEWER, user=strict.user)
    client = Client()
    client.force_login(strict.user)
    other_page = reverse("organisation", args=[other_organisation.slug])
    assert client.get(other_page)["Location"] == SETUP
    with django_capture_on_commit_callbacks(execute=True):
        membership_remove(membership=strict)
    assert client.get(other_page).status_code == 200


def test_a_kept_answer_costs_no_query(organisation, django_assert_num_queries):
    """The kept answer is read from the session and the cache, never the database."""
    from django.test import RequestFactory

    from accounts.middleware import SecondFactorRequiredMiddleware

    membership = MembershipFactory(organisation=organisation, role=Role.VIEWER)
    client, dashboard = browsing(membership.user, organisation)
    request = RequestFactory().get(dashboard)
    request.user = membership.user
    request.session = client.session
    request.session.keys()  # the session's own read, which every page pays anyway
    passed = SecondFactorRequiredMiddleware(lambda request: "through")
    with django_assert_num_queries(0):
        assert passed(request) == "through"


def test_without_the_shared_cache_every_page_works_it_out(organisation, settings):
    """One process's token would not reach the others: nothing is kept, so even a write that
    sends no signal reaches the session on its next page."""
    settings.RISKREG_PAGE_CACHE = False
    client, dashboard = browsing(MembershipFactory(organisation=organisation).user, organisation)
    require(organisation, SecondFactorRule.EVERYONE)  # QuerySet.update: no signal
    assert client.get(dashboard)["Location"] == SETUP
