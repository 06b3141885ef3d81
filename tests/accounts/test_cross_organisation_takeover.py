"""The security review's chain, end to end (decision 114): organisation A's admin, with A's own
identity provider, tried to take over organisation B's admin account, second factor included.

1. A connects its provider for domain D (allowed: nobody of D belonged elsewhere then);
2. B later makes alice@D its admin (B requires a second factor of admins; she has one);
3. A makes her a member of A (here directly: invitations of existing accounts change elsewhere);
4. A's admin resets her second factor, which was the account's, for every organisation;
5. A's provider asserts alice@D and riskreg signs her in, and the single sign-on session skipped
   B's second-factor rule: B's members page answered 200.

Each link is now broken on its own: the reset (4), the sign-in (5), and the session's reach (5,
``test_second_factor.test_single_sign_on_answers_only_for_its_own_organisation``)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from accounts import sso
from accounts.services_second_factor import RESET_FOR_SYSTEM_ADMINISTRATORS
from registers.models import Membership, Role, SecondFactorRule
from tests.accounts import provider_flow
from tests.accounts.test_second_factor import give_totp, require
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_an_organisations_admin_cannot_take_over_another_organisations_admin(
    organisation, other_organisation, oidc_provider, send_queued_email
):
    a, b = organisation, other_organisation
    a_admin = MembershipFactory(organisation=a, role=Role.ADMIN).user
    domain = provider_flow.unique_domain()

    # 1. A connects its own provider for D: nobody of D is a member anywhere yet.
    assert not Membership.objects.filter(user__email__iendswith=f"@{domain}").exists()
    connection = provider_flow.connect(oidc_provider, a, domain=domain)

    # 2. B makes alice@D its admin; B requires admins to have a second factor, and she has one.
    require(b, SecondFactorRule.ADMINS_AND_COORDINATORS)
    email = f"alice@{domain}"
    alice = MembershipFactory(
        organisation=b, role=Role.ADMIN, user__email=email, user__full_name="Alice Admin"
    ).user
    give_totp(alice)

    # 3. A makes her a member of A.
    in_a = MembershipFactory(organisation=a, role=Role.VIEWER, user=alice)

    # 4. A's admin tries to reset her second factor: refused, and the page names no factor.
    attacker = Client()
    attacker.force_login(a_admin)
    reset = reverse("second_factor_reset", args=[a.slug, in_a.pk])
    with send_queued_email() as outbox:
        response = attacker.post(reset)
    assert response.status_code == 403
    assert RESET_FOR_SYSTEM_ADMINISTRATORS in (response.content.decode().replace("&#x27;", "'"))
    assert b.name not in response.content.decode()
    assert Authenticator.objects.filter(user=alice).count() == 2
    assert outbox == []

    # 5. A's provider asserts alice@D, in a browser going straight to A's connection: refused.
    oidc_provider.add_user(email, provider_flow.PASSWORD, name="Alice Admin")
    browser = Client()
    members_of_b = reverse("members", args=[b.slug])

    def through_as(person: str):
        started = browser.post(sso.login_url(connection))
        return browser.get(provider_flow.sign_in_at_provider(started["Location"], person))

    assert through_as(email).status_code == 403
    response = browser.get(members_of_b)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))

    # Even had her factors gone some other way, A's provider still does not sign her in.
    Authenticator.objects.filter(user=alice).delete()
    assert through_as(email).status_code == 403
    assert browser.get(members_of_b)["Location"].startswith(reverse("login"))
