"""Two-factor sign-in: an organisation's rule for who must use it (the admin's page and its
service), the middleware that holds people to it, an admin's reset of a member's second factor,
the security log of a person's own changes, and the limit on wrong codes at sign-in."""

from __future__ import annotations

import html
import logging
import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.core import ratelimit
from allauth.core.context import request_context
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from accounts.forms_second_factor import (
    CODES_LIMITED,
    RATE_ACTION,
    RECOVERY_CODE_LABEL,
    RECOVERY_CODE_WRONG,
    AuthenticateForm,
    codes_limited_message,
)
from accounts.mfa_adapter import INCORRECT_CODE, LAST_FACTOR_REQUIRED
from accounts.middleware import second_factor_required
from accounts.second_factor import RESET_REFUSED, RULE_REFUSED
from accounts.selectors_second_factor import second_factor_counts
from accounts.services_second_factor import (
    RESET_FOR_SYSTEM_ADMINISTRATORS,
    RESET_SUBJECT,
    RULE_UNKNOWN,
    second_factor_reset,
    second_factor_rule_set,
)
from registers.models import Organisation, Role, SecondFactorRule
from tests.accounts.totp import code_now, wrong_code
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.23"  # documentation range (RFC 5737)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counts and used codes live in the cache, which outlives a test's database."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]


def give_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def require(organisation, rule) -> None:
    Organisation.objects.filter(pk=organisation.pk).update(second_factor_required=rule)
    organisation.refresh_from_db()


def page(response) -> str:
    """The response's text as a person reads it (entities such as &#x27; decoded)."""
    return html.unescape(response.content.decode())


# --- the rule: service ---------------------------------------------------------------------------


def test_setting_the_rule_keeps_history_and_logs_who(organisation, admin, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    assert second_factor_rule_set(
        organisation=organisation, rule=SecondFactorRule.EVERYONE, by=admin
    )
    organisation.refresh_from_db()
    assert organisation.second_factor_required == SecondFactorRule.EVERYONE
    record = organisation.history.first()
    assert (
        record.history_change_reason == "second factor required for: Everyone in the organisation"
    )
    assert record.history_user == admin
    assert (
        f"second factor rule changed: organisation={organisation.slug} rule=everyone by={admin.pk}"
    ) in security_lines(caplog)


def test_setting_the_same_rule_again_changes_and_logs_nothing(organisation, admin, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    before = organisation.history.count()
    assert not second_factor_rule_set(
        organisation=organisation, rule=SecondFactorRule.NOBODY, by=admin
    )
    assert organisation.history.count() == before
    assert not [line for line in security_lines(caplog) if "rule changed" in line]


def test_an_unknown_rule_is_refused(organisation, admin):
    with pytest.raises(ValidationError) as error:
        second_factor_rule_set(organisation=organisation, rule="some", by=admin)
    assert error.value.message_dict == {"rule": [RULE_UNKNOWN]}


def test_counts_of_members_without_a_second_factor_take_one_query(
    organisation, admin, django_assert_num_queries
):
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    MembershipFactory(organisation=organisation, role=Role.VIEWER)
    give_totp(coordinator)
    # Recovery codes alone are not a second factor.
    RecoveryCodes.activate(admin)
    other = MembershipFactory(role=Role.ADMIN).user  # another organisation's
    give_totp(other)
    with django_assert_num_queries(1):
        counts = second_factor_counts(organisation)
    assert (counts.members, counts.members_without) == (3, 2)
    assert (counts.admins_and_coordinators, counts.admins_and_coordinators_without) == (2, 1)


# --- the rule: page --------------------------------------------------------------------------------


def test_the_admin_chooses_the_rule_on_its_page(admin_client, admin, organisation):
    MembershipFactory(organisation=organisation, role=Role.VIEWER)
    url = reverse("second_factor_settings", args=[organisation.slug])
    text = page(admin_client.get(url))
    assert "Who must sign in with a second factor" in text
    assert "2 of the 2 members have not set it up yet." in text
    assert "The one admin or risk coordinator has not set it up yet." in text
    assert "You have not set up two-factor sign-in yourself" in text

    response = admin_client.post(url, {"rule": SecondFactorRule.ADMINS_AND_COORDINATORS})
    assert response.status_code == 302
    assert response["Location"] == reverse("members", args=[organisation.slug])
    organisation.refresh_from_db()
    assert organisation.second_factor_required == SecondFactorRule.ADMINS_AND_COORDINATORS
    # The admin had none: the rule holds them too, from their very next page (decision 104).
    assert admin_client.get(response["Location"])["Location"] == reverse("second_factor_setup")
    give_totp(admin)
    members = page(admin_client.get(response["Location"]))
    assert "Admins and risk coordinators must use two-factor sign-in" in members
    assert url in members


def test_a_missing_or_unknown_choice_is_a_400_with_the_message(admin_client, organisation):
    url = reverse("second_factor_settings", args=[organisation.slug])
    for data in ({}, {"rule": "half"}):
        response = admin_client.post(url, data)
        assert response.status_code == 400
        assert RULE_UNKNOWN in page(response)
    organisation.refresh_from_db()
    assert organisation.second_factor_required == SecondFactorRule.NOBODY


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.OWNER, Role.VIEWER, Role.PANEL])
def test_only_admins_see_or_change_the_rule(client, organisation, member, role):
    client.force_login(member(role))
    url = reverse("second_factor_settings", args=[organisation.slug])
    assert client.get(url).status_code == 403
    response = client.post(url, {"rule": SecondFactorRule.NOBODY})
    assert response.status_code == 403
    assert RULE_REFUSED in page(response)
    organisation.refresh_from_db()
    assert organisation.second_factor_required == SecondFactorRule.NOBODY


def test_another_organisations_rule_is_404(admin_client, other_organisation):
    url = reverse("second_factor_settings", args=[other_organisation.slug])
    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url, {"rule": SecondFactorRule.EVERYONE}).status_code == 404
    other_organisation.refresh_from_db()
    assert other_organisation.second_factor_required == SecondFactorRule.NOBODY


def test_the_isolation_walker_covers_these_pages():
    """tests/test_isolation.py walks every URL it can fill; these must stay among them."""
    from tests.test_isolation import unfillable, url_patterns

    walked = {pattern.name for pattern in url_patterns() if not unfillable(pattern)}
    assert {"second_factor_settings", "second_factor_reset"} <= walked


# --- the middleware --------------------------------------------------------------------------------


def test_a_required_member_without_a_factor_is_sent_to_set_one_up(client, organisation, member):
    require(organisation, SecondFactorRule.EVERYONE)
    user = member(Role.VIEWER)
    client.force_login(user)
    recently_signed_in(client, user)  # else allauth asks for the password before setting up
    dashboard = reverse("organisation", args=[organisation.slug])
    response = client.get(dashboard)
    assert response.status_code == 302
    assert response["Location"] == reverse("second_factor_setup")
    assert client.get(reverse("home")).status_code == 302
    # The pages needed to set one up, or to leave, still open.
    for name in ("second_factor_setup", "mfa_index", "mfa_activate_totp", "mfa_add_webauthn"):
        assert client.get(reverse(name)).status_code == 200, name
    assert "Your organisation requires a second step" in page(
        client.get(reverse("second_factor_setup"))
    )


def test_the_admins_and_coordinators_rule_leaves_others_alone(client, organisation, member):
    require(organisation, SecondFactorRule.ADMINS_AND_COORDINATORS)
    dashboard = reverse("organisation", args=[organisation.slug])
    client.force_login(member(Role.VIEWER))
    assert client.get(dashboard).status_code == 200
    client.force_login(member(Role.COORDINATOR))
    assert client.get(dashboard)["Location"] == reverse("second_factor_setup")


def test_a_member_with_a_factor_passes(client, organisation, member):
    require(organisation, SecondFactorRule.EVERYONE)
    user = member(Role.VIEWER)
    give_totp(user)
    client.force_login(user)
    assert client.get(reverse("organisation", args=[organisation.slug])).status_code == 200


def connection(organisation, key: str = "org-oidc"):
    """A connection of ``organisation`` to an identity provider, as allauth's record of a
    sign-in names it (its key)."""
    from accounts.models import SingleSignOnProvider

    return SingleSignOnProvider.objects.create(
        organisation=organisation,
        key=key,
        name="Entra",
        issuer=f"https://{key}.example.test",
        client_id="riskreg",
        client_secret_env="UNUSED_IN_THESE_TESTS",
    )


def signed_in_by_provider(client, user, key: str = "org-oidc") -> None:
    """The session as allauth leaves it after a sign-in through the connection ``key``."""
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "socialaccount", "at": time.time(), "provider": key, "uid": "abc"}
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.pop("riskreg_second_factor", None)  # not yet worked out for this session
    session.save()


def test_a_session_signed_in_through_single_sign_on_is_not_asked(client, organisation, member):
    require(organisation, SecondFactorRule.EVERYONE)
    connection(organisation)
    user = member(Role.VIEWER)
    signed_in_by_provider(client, user)
    assert client.get(reverse("organisation", args=[organisation.slug])).status_code == 200
    # The same person signing in with a password is asked.
    client.logout()
    client.force_login(user)
    assert client.get(reverse("organisation", args=[organisation.slug])).status_code == 302


@pytest.mark.parametrize("cache_shared", [True, False])
def test_single_sign_on_answers_only_for_its_own_organisation(
    client, organisation, other_organisation, member, settings, cache_shared
):
    """Another organisation of the person's that requires a second factor never trusted the
    first one's provider: its rule holds as after a password (decision 114)."""
    settings.RISKREG_PAGE_CACHE = cache_shared
    require(organisation, SecondFactorRule.EVERYONE)
    connection(organisation)
    user = member(Role.VIEWER)
    strict = MembershipFactory(organisation=other_organisation, role=Role.ADMIN, user=user)
    require(other_organisation, SecondFactorRule.NOBODY)
    signed_in_by_provider(client, user)
    ours = reverse("organisation", args=[organisation.slug])
    assert client.get(ours).status_code == 200

    # As B's admin would on its page (which renews the kept answer's token).
    second_factor_rule_set(
        organisation=other_organisation, rule=SecondFactorRule.ADMINS_AND_COORDINATORS, by=user
    )
    assert client.get(reverse("members", args=[other_organisation.slug]))["Location"] == (
        reverse("second_factor_setup")
    )
    assert client.get(ours)["Location"] == reverse("second_factor_setup")
    # With one set up, both open (allauth asks for it at every sign-in once there is one).
    give_totp(user)
    assert client.get(reverse("members", args=[other_organisation.slug])).status_code == 200
    assert strict.role == Role.ADMIN


def test_a_removed_connection_no_longer_answers_for_its_organisation(client, organisation, member):
    require(organisation, SecondFactorRule.EVERYONE)
    provider = connection(organisation)
    user = member(Role.VIEWER)
    signed_in_by_provider(client, user)
    provider.delete()
    assert client.get(reverse("organisation", args=[organisation.slug]))["Location"] == (
        reverse("second_factor_setup")
    )


@pytest.mark.parametrize("cache_shared", [True, False])
def test_single_sign_on_only_asks_a_password_session_for_a_second_factor(
    client, organisation, other_organisation, member, settings, cache_shared
):
    """An organisation that chose "single sign-on only" asked for more than a password: someone
    its provider may not sign in, who so signs in with a password, must have and use riskreg's
    second factor, whatever its rule (decision 114, amended)."""
    settings.RISKREG_PAGE_CACHE = cache_shared
    require(organisation, SecondFactorRule.NOBODY)
    require(other_organisation, SecondFactorRule.NOBODY)
    provider = connection(organisation)
    provider.domains.create(domain="sso.example.test")
    user = member(Role.VIEWER, user__email="pat@sso.example.test")
    MembershipFactory(organisation=other_organisation, role=Role.VIEWER, user=user)
    elsewhere = member(Role.ADMIN)  # an address of a domain the connection does not cover
    MembershipFactory(organisation=other_organisation, role=Role.VIEWER, user=elsewhere)
    client.force_login(user)
    ours = reverse("organisation", args=[organisation.slug])
    assert client.get(ours).status_code == 200
    assert not second_factor_required(user)

    provider.only_way_in = True
    provider.save()  # as the connection's page does; renews the organisation's token

    assert client.get(ours)["Location"] == reverse("second_factor_setup")
    assert second_factor_required(user)
    assert not second_factor_required(elsewhere)
    give_totp(user)
    assert client.get(ours).status_code == 200
    client.force_login(elsewhere)
    assert client.get(ours).status_code == 200


def test_single_sign_on_only_does_not_ask_a_session_its_provider_signed_in(
    client, organisation, member
):
    require(organisation, SecondFactorRule.NOBODY)
    provider = connection(organisation)
    provider.domains.create(domain="sso.example.test")
    provider.only_way_in = True
    provider.save()
    user = member(Role.VIEWER, user__email="sam@sso.example.test")
    signed_in_by_provider(client, user)
    assert client.get(reverse("organisation", args=[organisation.slug])).status_code == 200
    assert not second_factor_required(user)  # the provider's own, signed in only there


# --- reset ---------------------------------------------------------------------------------------


def reset_url(organisation, membership) -> str:
    return reverse("second_factor_reset", args=[organisation.slug, membership.pk])


def test_an_admin_resets_a_members_second_factor(
    admin_client, admin, organisation, caplog, send_queued_email
):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    membership = MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__full_name="Rosa Diaz"
    )
    person = membership.user
    secret = give_totp(person)
    member_page = page(admin_client.get(reverse("member", args=[organisation.slug, membership.pk])))
    assert "Two-factor sign-in" in member_page
    assert "Authenticator app" in member_page
    assert reset_url(organisation, membership) in member_page

    confirm = admin_client.get(reset_url(organisation, membership))
    assert confirm.status_code == 200
    assert "Reset Rosa Diaz's two-factor sign-in?" in page(confirm)
    assert Authenticator.objects.filter(user=person).count() == 2  # GET changes nothing

    with send_queued_email() as outbox:
        response = admin_client.post(reset_url(organisation, membership))
    assert response.status_code == 302
    assert response["Location"] == reverse("member", args=[organisation.slug, membership.pk])
    assert not Authenticator.objects.filter(user=person).exists()
    assert (
        f"second factor reset: user={person.pk} organisation={organisation.slug} by={admin.pk}"
    ) in security_lines(caplog)
    assert secret not in caplog.text

    (email,) = outbox
    assert email.to == [person.email]
    assert email.subject == RESET_SUBJECT
    assert admin.email in email.body
    assert "/accounts/second-factor/" in email.body  # nobody requires one: how to set one up
    html = email.alternatives[0][0]
    assert "reset your two-factor sign-in" in html
    assert "Two-factor sign-in was reset" not in email.body  # the subject is not repeated
    after = page(admin_client.get(reverse("member", args=[organisation.slug, membership.pk])))
    assert "Rosa Diaz's two-factor sign-in was reset" in after
    assert reset_url(organisation, membership) not in after  # nothing left to reset


def test_the_email_says_a_new_factor_is_required_where_it_is(
    admin, organisation, send_queued_email
):
    require(organisation, SecondFactorRule.EVERYONE)
    person = MembershipFactory(organisation=organisation, role=Role.VIEWER).user
    give_totp(person)
    with send_queued_email() as outbox:
        assert second_factor_reset(user=person, organisation=organisation, by=admin) == 2
    assert "you will be asked to set one up again" in outbox[0].body


def test_nothing_to_reset_sends_and_logs_nothing(
    admin_client, organisation, caplog, send_queued_email
):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    membership = MembershipFactory(organisation=organisation, role=Role.OWNER)
    assert "nothing to reset" in page(admin_client.get(reset_url(organisation, membership)))
    with send_queued_email() as outbox:
        response = admin_client.post(reset_url(organisation, membership), follow=True)
    assert "had no two-factor sign-in to reset" in page(response)
    assert outbox == []
    assert not [line for line in security_lines(caplog) if "second factor reset" in line]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.OWNER, Role.VIEWER, Role.PANEL])
def test_only_admins_reset(client, organisation, member, role):
    membership = MembershipFactory(organisation=organisation, role=Role.OWNER)
    give_totp(membership.user)
    client.force_login(member(role))
    assert client.get(reset_url(organisation, membership)).status_code == 403
    response = client.post(reset_url(organisation, membership))
    assert response.status_code == 403
    assert RESET_REFUSED in page(response)
    assert Authenticator.objects.filter(user=membership.user).count() == 2


def test_another_organisations_member_is_404(admin_client, organisation, other_organisation):
    theirs = MembershipFactory(organisation=other_organisation, role=Role.OWNER)
    give_totp(theirs.user)
    # Their member under our organisation's address, and under theirs.
    assert admin_client.post(reset_url(organisation, theirs)).status_code == 404
    assert admin_client.post(reset_url(other_organisation, theirs)).status_code == 404
    assert admin_client.get(reset_url(other_organisation, theirs)).status_code == 404
    assert Authenticator.objects.filter(user=theirs.user).count() == 2


def test_an_admin_may_not_reset_a_superusers(admin_client, admin, organisation, caplog):
    membership = MembershipFactory(
        organisation=organisation, role=Role.VIEWER, user__is_superuser=True
    )
    give_totp(membership.user)
    member_page = page(admin_client.get(reverse("member", args=[organisation.slug, membership.pk])))
    assert RESET_FOR_SYSTEM_ADMINISTRATORS in member_page
    assert "superuser" not in member_page.lower()
    assert reset_url(organisation, membership) not in member_page
    caplog.set_level(logging.INFO, logger="riskreg.security")
    response = admin_client.post(reset_url(organisation, membership))
    assert response.status_code == 403
    assert Authenticator.objects.filter(user=membership.user).count() == 2
    assert (
        f"refused: user={admin.pk} organisation={organisation.slug}: second factor reset of "
        f"user {membership.user.pk}"
    ) in security_lines(caplog)


def test_a_superuser_member_may_reset_anyones_a_superusers_too(client, organisation):
    superuser = MembershipFactory(
        organisation=organisation, role=Role.VIEWER, user__is_superuser=True
    ).user
    other_superuser = MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__is_superuser=True
    )
    give_totp(other_superuser.user)
    client.force_login(superuser)
    assert client.post(reset_url(organisation, other_superuser)).status_code == 302
    assert not Authenticator.objects.filter(user=other_superuser.user).exists()


def test_the_reset_service_refuses_a_superusers_for_an_admin(admin, organisation):
    person = MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__is_superuser=True
    ).user
    give_totp(person)
    with pytest.raises(ValidationError) as error:
        second_factor_reset(user=person, organisation=organisation, by=admin)
    assert error.value.messages == [RESET_FOR_SYSTEM_ADMINISTRATORS]


def test_the_member_page_says_when_two_factor_sign_in_is_off(admin_client, organisation):
    membership = MembershipFactory(organisation=organisation, role=Role.OWNER)
    text = page(admin_client.get(reverse("member", args=[organisation.slug, membership.pk])))
    assert "Two-factor sign-in" in text
    assert ">Off<" in text
    assert reset_url(organisation, membership) not in text


# --- a person's own changes, logged ------------------------------------------------------------------


def recently_signed_in(client, user) -> None:
    """allauth asks for the password again before two-factor changes unless the person typed it
    again within the last few minutes (a sign-in does not count); record that they did."""
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email, "reauthenticated": True}
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def activate_totp(client) -> str:
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": code_now(secret)})
    assert response.status_code == 302, page(response)
    return secret


def test_adding_replacing_and_removing_factors_is_logged_without_secrets(
    client, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    user = UserFactory()
    client.force_login(user)
    recently_signed_in(client, user)
    # allauth signals additions once the transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        secret = activate_totp(client)
    lines = security_lines(caplog)
    assert f"second factor added: user={user.pk} type=totp ip=127.0.0.1" in lines
    assert f"second factor added: user={user.pk} type=recovery_codes ip=127.0.0.1" in lines

    codes = RecoveryCodes(
        Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("mfa_generate_recovery_codes")).status_code == 302
    assert f"second factor replaced: user={user.pk} type=recovery_codes ip=127.0.0.1" in (
        security_lines(caplog)
    )

    assert client.post(reverse("mfa_deactivate_totp")).status_code == 302
    lines = security_lines(caplog)
    assert f"second factor removed: user={user.pk} type=totp ip=127.0.0.1" in lines
    assert f"second factor removed: user={user.pk} type=recovery_codes ip=127.0.0.1" in lines
    for secret_text in (secret, *codes):
        assert secret_text not in caplog.text


def test_a_required_person_cannot_turn_off_their_only_factor(client, organisation, member):
    require(organisation, SecondFactorRule.EVERYONE)
    user = member(Role.VIEWER)
    give_totp(user)
    client.force_login(user)
    recently_signed_in(client, user)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert LAST_FACTOR_REQUIRED in page(response)
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_setting_up_an_app_takes_a_forced_person_to_the_dashboard_at_once(
    client, organisation, member
):
    require(organisation, SecondFactorRule.EVERYONE)
    user = member(Role.VIEWER)
    client.force_login(user)
    recently_signed_in(client, user)
    dashboard = reverse("organisation", args=[organisation.slug])
    assert client.get(dashboard).status_code == 302
    activate_totp(client)
    assert client.get(dashboard).status_code == 200


# --- codes at sign-in ---------------------------------------------------------------------------


def password_step(client, user):
    response = client.post(
        reverse("login"), {"login": user.email, "password": PASSWORD}, REMOTE_ADDR=ADDRESS
    )
    assert response["Location"] == reverse("mfa_authenticate")
    return response


def type_code(client, code: str):
    return client.post(reverse("mfa_authenticate"), {"code": code}, REMOTE_ADDR=ADDRESS)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_wrong_code_is_refused_with_a_clear_message_and_logged(client, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    user = UserFactory()
    secret = give_totp(user)
    password_step(client, user)
    response = type_code(client, wrong_code(secret))
    assert response.status_code == 400
    assert INCORRECT_CODE in page(response)
    assert not signed_in(client)
    assert f"second factor code wrong: user={user.pk} type=totp ip={ADDRESS}" in (
        security_lines(caplog)
    )
    assert type_code(client, code_now(secret)).status_code == 302
    assert signed_in(client)


def test_the_sixth_wrong_code_is_refused_even_when_right(client, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    user = UserFactory()
    secret = give_totp(user)
    password_step(client, user)
    for _ in range(5):
        response = type_code(client, wrong_code(secret))
        assert INCORRECT_CODE in page(response)
    response = type_code(client, code_now(secret))
    assert not signed_in(client)
    assert codes_limited_message() in page(response)
    assert "Wait 15 minutes" in codes_limited_message()
    assert f"second factor codes limited: user={user.pk} ip={ADDRESS}" in security_lines(caplog)
    # Counted per account, not per address: another address is held back the same way.
    other = client.post(
        reverse("mfa_authenticate"), {"code": code_now(secret)}, REMOTE_ADDR="203.0.113.5"
    )
    assert CODES_LIMITED.split(".")[0] in page(other)
    assert not signed_in(client)


def test_a_right_code_clears_the_count_of_wrong_ones(client):
    user = UserFactory()
    secret = give_totp(user)
    password_step(client, user)
    for _ in range(4):
        type_code(client, wrong_code(secret))
    assert type_code(client, code_now(secret)).status_code == 302
    # Cleared: the next sign-in gets its own five tries.
    request = RequestFactory().post("/")
    assert ratelimit.consume(request, action=RATE_ACTION, key=f"user-{user.pk}", dry_run=True)


def test_a_recovery_code_signs_in_and_counts_like_a_code(client):
    user = UserFactory()
    give_totp(user)
    codes = RecoveryCodes(
        Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()
    password_step(client, user)
    assert type_code(client, codes[0]).status_code == 302
    assert signed_in(client)


def test_without_an_app_the_box_asks_for_a_recovery_code_and_says_so_when_wrong(rf):
    """Someone whose second factor is a security key types a recovery code when they have not
    got the key; the box and its message speak of recovery codes, not of an app."""
    user = UserFactory()
    codes = RecoveryCodes.activate(user).get_unused_codes()
    request = rf.post("/accounts/2fa/authenticate/", REMOTE_ADDR=ADDRESS)
    with request_context(request):
        form = AuthenticateForm(user=user, data={"code": "12345678"})
        assert form.fields["code"].label == RECOVERY_CODE_LABEL
        assert not form.is_valid()
        assert form.errors["code"] == [RECOVERY_CODE_WRONG]
        assert AuthenticateForm(user=user, data={"code": codes[0]}).is_valid()


def test_the_app_key_and_recovery_seed_are_stored_encrypted(settings):
    user = UserFactory()
    secret = give_totp(user)  # an app and recovery codes
    app = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    codes = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    assert secret not in str(app.data) and app.data["secret"].startswith("gAAAA")  # Fernet
    assert codes.data["seed"].startswith("gAAAA")
    assert TOTP(app).validate_code(code_now(secret))
    # a key that no longer opens them refuses the codes (an admin resets), never a 500
    settings.RISKREG_SECRETS_KEY = "another-installation-key"
    assert not TOTP(app).validate_code(code_now(secret))


def test_the_command_resets_when_nobody_can_on_the_page(
    organisation, caplog, send_queued_email, capsys
):
    from django.core.management import CommandError, call_command

    caplog.set_level(logging.INFO, logger="riskreg.security")
    person = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    give_totp(person)
    with send_queued_email() as outbox:
        call_command("reset_second_factor", "--org", organisation.slug, "--email", person.email)
    assert not Authenticator.objects.filter(user=person).exists()
    assert (
        f"second factor reset: user={person.pk} organisation={organisation.slug} by=command"
    ) in security_lines(caplog)
    (email,) = outbox
    assert "A system administrator of riskreg reset your two-factor sign-in" in email.body
    assert "reset" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no account"):
        call_command("reset_second_factor", "--org", organisation.slug, "--email", "x@y.test")
    stranger = UserFactory()
    with pytest.raises(CommandError):
        call_command("reset_second_factor", "--org", organisation.slug, "--email", stranger.email)


# --- whose second factor an organisation's admin may reset (decision 114) -------------------------


def test_an_admin_may_not_reset_someone_who_also_belongs_to_another_organisation(
    admin_client, admin, organisation, other_organisation, caplog
):
    """A second factor is the account's: a reset deletes it for every organisation, so another
    organisation's admin (who may have invited the person for this) cannot weaken it."""
    membership = MembershipFactory(
        organisation=organisation, role=Role.VIEWER, user__full_name="Alice Shared"
    )
    MembershipFactory(organisation=other_organisation, role=Role.ADMIN, user=membership.user)
    give_totp(membership.user)
    refusal = RESET_FOR_SYSTEM_ADMINISTRATORS

    member_page = page(admin_client.get(reverse("member", args=[organisation.slug, membership.pk])))
    assert refusal in member_page
    assert reset_url(organisation, membership) not in member_page
    assert "Authenticator app" not in member_page  # on or off, never which (decision 114)
    confirm = admin_client.get(reset_url(organisation, membership))
    assert confirm.status_code == 403
    assert refusal in page(confirm)
    assert "authenticator app" not in page(confirm).lower()
    assert "recovery codes" not in page(confirm)
    caplog.set_level(logging.INFO, logger="riskreg.security")
    response = admin_client.post(reset_url(organisation, membership))

    assert response.status_code == 403
    assert refusal in page(response)
    assert other_organisation.name not in page(response)
    assert other_organisation.slug not in page(response)
    assert Authenticator.objects.filter(user=membership.user).count() == 2
    assert (
        f"refused: user={admin.pk} organisation={organisation.slug}: second factor reset of "
        f"user {membership.user.pk}"
    ) in security_lines(caplog)
    with pytest.raises(ValidationError) as error:
        second_factor_reset(user=membership.user, organisation=organisation, by=admin)
    assert error.value.messages == [refusal]


def test_the_member_page_never_says_the_member_belongs_elsewhere_nor_why_it_may_not_reset(
    admin_client, organisation, other_organisation
):
    """Shown even with nothing to reset (else its presence would tell of recovery codes), in
    words that do not say why: decision 113, never say whether an address has an account
    elsewhere (decision 114, amended)."""
    membership = MembershipFactory(organisation=organisation, role=Role.VIEWER)
    MembershipFactory(organisation=other_organisation, role=Role.VIEWER, user=membership.user)
    staff = MembershipFactory(organisation=organisation, role=Role.VIEWER, user__is_staff=True)

    for shown in (membership, staff):
        text = page(admin_client.get(reverse("member", args=[organisation.slug, shown.pk])))
        assert RESET_FOR_SYSTEM_ADMINISTRATORS in text
        assert "another organisation" not in text
        assert "administration pages" not in text


def test_an_admin_may_not_reset_a_staff_accounts(admin, organisation):
    person = MembershipFactory(organisation=organisation, role=Role.OWNER, user__is_staff=True).user
    give_totp(person)
    with pytest.raises(ValidationError) as error:
        second_factor_reset(user=person, organisation=organisation, by=admin)
    assert error.value.messages == [RESET_FOR_SYSTEM_ADMINISTRATORS]
    assert Authenticator.objects.filter(user=person).count() == 2


def test_the_installations_administrators_reset_a_shared_account(
    organisation, other_organisation, client
):
    """The way the refusal names: a superuser on the page, or the command."""
    membership = MembershipFactory(organisation=organisation, role=Role.VIEWER)
    MembershipFactory(organisation=other_organisation, role=Role.VIEWER, user=membership.user)
    give_totp(membership.user)
    superuser = MembershipFactory(
        organisation=organisation, role=Role.ADMIN, user__is_superuser=True
    ).user
    client.force_login(superuser)
    assert client.post(reset_url(organisation, membership)).status_code == 302
    assert not Authenticator.objects.filter(user=membership.user).exists()

    give_totp(membership.user)
    from django.core.management import call_command

    call_command(
        "reset_second_factor", "--org", other_organisation.slug, "--email", membership.user.email
    )
    assert not Authenticator.objects.filter(user=membership.user).exists()


def test_an_account_of_the_organisation_alone_is_still_reset_by_its_admin(
    admin, organisation, other_organisation
):
    person = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    MembershipFactory(organisation=other_organisation, role=Role.ADMIN)  # someone else's
    give_totp(person)
    assert second_factor_reset(user=person, organisation=organisation, by=admin) == 2
