"""Single sign-on (issue 14): who gets in through an organisation's OpenID Connect provider,
the sign-in page's way there, the ``sso_provider`` command and the admin's settings page.

Sign-ins run against the real local provider (``oidc_provider``): riskreg in Django's test
client, the provider over HTTP (tests/accounts/provider_flow.py). Claims the local provider
never sends (no ``email_verified`` at all, Entra's ``xms_edov``, another issuer) are given to
``check_sign_in`` as allauth hands them over."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta
from html import unescape

import pytest
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin
from axes.models import AccessAttempt
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.utils import timezone

from accounts import secrets, services_sso, sso
from accounts.adapters import SIGN_IN_FAILED
from accounts.forms import USE_PASSWORD, USE_PASSWORD_LABEL
from accounts.management.commands.sso_provider import NO_PROVIDERS, UNKNOWN_ISSUER
from accounts.models import SingleSignOnDomain, SingleSignOnProvider
from accounts.sso import redirect_uri
from accounts.sso_settings import ADMINS_ONLY
from accounts.sso_sign_in import (
    ACCOUNT_BEYOND_CONNECTION,
    DOMAIN_NOT_COVERED,
    EMAIL_NOT_VERIFIED,
    NOT_INVITED,
    PROVIDER_GONE,
    WRONG_ISSUER,
    check_sign_in,
    email_verified,
)
from accounts.views import PROVIDER_UNREACHABLE
from registers.models import Invitation, Membership, Role, User
from registers.services.invitations import invitation_send, invitation_withdraw
from tests import factories
from tests.accounts import provider_flow
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

SECRET = "s3cret-value-that-must-never-be-shown"  # noqa: S105  a test's client secret


def text(response) -> str:
    return unescape(response.content.decode())


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]


@pytest.fixture
def domain():
    return provider_flow.unique_domain()


@pytest.fixture
def connected(oidc_provider, organisation, domain):
    """The organisation connected to the local provider for ``domain``."""
    return provider_flow.connect(oidc_provider, organisation, domain=domain)


def person_at_provider(oidc_provider, domain, name="ann", **kw) -> str:
    email = f"{name}@{domain}"
    oidc_provider.add_user(email, provider_flow.PASSWORD, name=f"{name.title()} Example", **kw)
    return email


def signed_in_user(client):
    response = client.get("/")
    user = response.wsgi_request.user
    return user if user.is_authenticated else None


# --- who gets in: through the real provider ----------------------------------------------------


def test_an_invited_person_comes_in_through_the_provider_as_the_invited_role(
    client, organisation, connected, oidc_provider, domain, caplog
):
    email = person_at_provider(oidc_provider, domain)
    invitation = invitation_send(organisation=organisation, email=email, role=Role.OWNER).invitation

    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = provider_flow.sign_in(client, email)

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = signed_in_user(client)
    assert user is not None and user.email == email
    assert user.full_name == "Ann Example"
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user, organisation=organisation).role == Role.OWNER
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.accepted_by == user
    assert EmailAddress.objects.get(user=user, email=email).verified
    assert SocialAccount.objects.filter(user=user, provider=connected.key).count() == 1
    lines = security_lines(caplog)
    assert any(
        f"single sign-on accepted: provider={connected.key} user={user.pk}" in x for x in lines
    )
    assert any("by=invitation" in x for x in lines)


def test_the_sign_in_form_moves_on_to_the_provider_with_a_page_not_a_redirect(
    client, connected, oidc_provider, domain
):
    """The sign-in page's CSP (form-action 'self') would stop a redirect to the provider."""
    response = client.post("/login/", {"login": f"someone@{domain}"})

    assert response.status_code == 200
    url = provider_flow.provider_url(response)
    assert url.startswith(oidc_provider.issuer + "/")
    assert "login_hint=someone%40" in url
    assert "code_challenge=" in url  # PKCE
    assert f'<meta http-equiv="refresh" content="0;url={url.replace("&", "&amp;")}">' in (
        response.content.decode()
    )
    assert "no-store" in response["Cache-Control"]


def test_the_person_lands_on_the_page_they_asked_for(
    client, organisation, connected, oidc_provider, domain, member
):
    email = person_at_provider(oidc_provider, domain, "ned")
    member(Role.OWNER, user__email=email)
    wanted = f"/o/{organisation.slug}/my-work/"

    response = provider_flow.sign_in(client, email, next_url=wanted)

    assert response.status_code == 302
    assert response["Location"] == wanted


def test_an_existing_member_comes_in_through_the_provider_and_again_by_the_link(
    client, organisation, connected, oidc_provider, domain, member
):
    email = person_at_provider(oidc_provider, domain, "bob")
    bob = member(Role.VIEWER, user__email=email)

    assert provider_flow.sign_in(client, email).status_code == 302
    assert signed_in_user(client) == bob
    client.logout()
    assert provider_flow.sign_in(client, email).status_code == 302

    assert signed_in_user(client) == bob
    assert SocialAccount.objects.filter(user=bob, provider=connected.key).count() == 1
    assert Membership.objects.get(user=bob, organisation=organisation).role == Role.VIEWER


def test_someone_never_invited_is_refused_with_a_page_saying_why(
    client, organisation, connected, oidc_provider, domain, caplog
):
    email = person_at_provider(oidc_provider, domain, "eve")

    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = provider_flow.sign_in(client, email)

    assert response.status_code == 403
    expected = NOT_INVITED.format(email=email, organisation=organisation.display_name)
    assert expected in text(response)
    assert signed_in_user(client) is None
    assert not User.objects.filter(email=email).exists()
    assert not SocialAccount.objects.exists()
    assert any(
        f"single sign-on refused: provider={connected.key} organisation={organisation.slug} "
        "reason=not-invited" in line
        for line in security_lines(caplog)
    )


def test_an_address_the_provider_has_not_verified_is_refused_even_if_invited(
    client, organisation, connected, oidc_provider, domain, caplog
):
    email = person_at_provider(oidc_provider, domain, "uma", email_verified=False)
    invitation = invitation_send(organisation=organisation, email=email, role=Role.OWNER).invitation

    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = provider_flow.sign_in(client, email)

    assert response.status_code == 403
    assert EMAIL_NOT_VERIFIED in text(response)
    assert signed_in_user(client) is None
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert any("reason=email-not-verified" in line for line in security_lines(caplog))


def test_an_unverified_address_is_refused_even_when_the_provider_is_trusted(
    client, organisation, oidc_provider, domain
):
    provider_flow.connect(oidc_provider, organisation, domain=domain, trust_email=True)
    email = person_at_provider(oidc_provider, domain, "uma", email_verified=False)
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)

    assert provider_flow.sign_in(client, email).status_code == 403
    assert signed_in_user(client) is None


def test_an_address_of_a_domain_the_provider_does_not_cover_is_refused(
    client, organisation, connected, oidc_provider, domain, member
):
    """The provider signs someone in under another address than the one typed at riskreg."""
    elsewhere = person_at_provider(oidc_provider, provider_flow.unique_domain(), "mal")
    member(Role.ADMIN, user__email=elsewhere)  # even a member: the domain is not this provider's

    response = provider_flow.sign_in(client, f"ann@{domain}", provider_email=elsewhere)

    assert response.status_code == 403
    assert DOMAIN_NOT_COVERED.format(
        email=elsewhere, organisation=organisation.display_name
    ) in text(response)
    assert signed_in_user(client) is None


def test_an_expired_invitation_does_not_let_anyone_in(
    client, organisation, connected, oidc_provider, domain
):
    email = person_at_provider(oidc_provider, domain)
    invitation = invitation_send(organisation=organisation, email=email, role=Role.OWNER).invitation
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    assert provider_flow.sign_in(client, email).status_code == 403
    assert not Membership.objects.filter(user__email=email).exists()


def test_the_domain_option_makes_anyone_of_the_domain_a_viewer(
    client, organisation, oidc_provider, domain, caplog
):
    provider_flow.connect(oidc_provider, organisation, domain=domain, new_members_role="viewer")
    email = person_at_provider(oidc_provider, domain, "vic")

    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        assert provider_flow.sign_in(client, email).status_code == 302

    user = signed_in_user(client)
    assert user.email == email and user.full_name == "Vic Example"
    assert Membership.objects.get(user=user, organisation=organisation).role == Role.VIEWER
    assert EmailAddress.objects.get(user=user).verified
    assert any("single sign-on made a member" in x and "by=domain" in x for x in caplog.messages)


def test_an_account_whose_address_changed_since_linking_is_refused(
    client, organisation, connected, oidc_provider, domain, member
):
    email = person_at_provider(oidc_provider, domain, "cal")
    cal = member(Role.OWNER, user__email=email)
    assert provider_flow.sign_in(client, email).status_code == 302
    client.logout()
    User.objects.filter(pk=cal.pk).update(email=f"cal.new@{domain}")

    response = provider_flow.sign_in(client, email)

    assert response.status_code == 403
    assert signed_in_user(client) is None


def test_removing_the_membership_stops_the_provider_letting_them_in(
    client, organisation, connected, oidc_provider, domain, member
):
    email = person_at_provider(oidc_provider, domain, "dan")
    dan = member(Role.OWNER, user__email=email)
    assert provider_flow.sign_in(client, email).status_code == 302
    client.logout()
    Membership.objects.filter(user=dan).delete()

    assert provider_flow.sign_in(client, email).status_code == 403
    assert signed_in_user(client) is None


def test_the_account_connections_page_lists_no_other_organisations_providers(
    client, organisation, other_organisation, connected, oidc_provider, domain, member
):
    services_sso.sso_provider_add(
        organisation=other_organisation,
        issuer="https://idp.elsewhere.example",
        client_id="c",
        client_secret=SECRET,
        domains=["elsewhere.example"],
        name="Elsewhere Entra",
    )
    email = person_at_provider(oidc_provider, domain, "ida")
    member(Role.OWNER, user__email=email)
    provider_flow.sign_in(client, email)

    page = text(client.get("/accounts/3rdparty/"))

    assert "Elsewhere Entra" not in page and "elsewhere.example" not in page
    assert connected.name in page  # their own connection, which they may see


# --- claims the local provider does not send: check_sign_in as allauth calls it ---------------


def _request():
    request = RequestFactory().get("/accounts/oidc/x/login/callback/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = AnonymousUser()
    return request


def _sociallogin(provider, *, email, issuer=None, **claims):
    id_token = {"iss": provider.issuer if issuer is None else issuer, "sub": "42"}
    id_token.update(email=email, **claims)
    account = SocialAccount(provider=provider.key, uid="42", extra_data={"id_token": id_token})
    return SocialLogin(account=account, user=User(email=email), email_addresses=[])


def _check(provider, **claims):
    request = _request()
    sociallogin = _sociallogin(provider, **claims)
    with allauth_context.request_context(request):
        sociallogin.lookup()
        check_sign_in(request, sociallogin)
    return sociallogin


def _refusal(provider, **claims) -> str:
    with pytest.raises(ImmediateHttpResponse) as refused:
        _check(provider, **claims)
    assert refused.value.response.status_code == 403
    return text(refused.value.response)


@pytest.fixture
def entra(organisation, monkeypatch):
    """A connection as Entra ID gives one (its issuer), for check_sign_in given claims."""
    monkeypatch.setenv("RISKREG_TEST_SSO_SECRET", SECRET)
    provider, _ = services_sso.sso_provider_add(
        organisation=organisation,
        issuer="https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
        client_id="riskreg",
        client_secret_env="RISKREG_TEST_SSO_SECRET",
        domains=["entra.example.gov.uk"],
    )
    return provider


@pytest.mark.parametrize(
    ("claims", "trusted", "verified"),
    [
        ({"email_verified": True}, False, True),
        ({"email_verified": "true"}, False, True),
        ({"email_verified": False}, True, False),
        ({"email_verified": "false"}, True, False),
        ({}, False, False),
        ({}, True, True),
        ({"xms_edov": True}, False, True),
        ({"xms_edov": "1"}, True, True),  # not a yes or no: as if absent
        ({"xms_edov": False}, True, False),
        ({"email_verified": True, "xms_edov": False}, False, True),
    ],
)
def test_which_claims_vouch_for_an_address(entra, claims, trusted, verified):
    entra.trust_email = trusted
    assert email_verified(entra, [claims]) is verified


def test_a_no_from_either_answer_outweighs_a_yes(entra):
    assert email_verified(entra, [{"email_verified": True}, {"email_verified": False}]) is False


def test_entra_without_email_verified_but_with_xms_edov_lets_a_member_in(entra, member):
    ann = member(Role.OWNER, user__email="ann@entra.example.gov.uk")

    sociallogin = _check(entra, email="ann@entra.example.gov.uk", xms_edov=True)

    assert sociallogin.user == ann
    assert SocialAccount.objects.get(provider=entra.key).user == ann


def test_entra_without_any_verification_claim_is_refused_unless_trusted(entra, member):
    ann = member(Role.OWNER, user__email="ann@entra.example.gov.uk")
    assert EMAIL_NOT_VERIFIED in _refusal(entra, email="ann@entra.example.gov.uk")

    entra.trust_email = True
    entra.save()
    assert _check(entra, email="ann@entra.example.gov.uk").user == ann


def test_an_answer_from_another_issuer_is_refused(entra, member, organisation):
    member(Role.OWNER, user__email="ann@entra.example.gov.uk")

    text = _refusal(
        entra,
        email="ann@entra.example.gov.uk",
        email_verified=True,
        issuer="https://login.microsoftonline.com/another-tenant/v2.0",
    )

    assert (
        WRONG_ISSUER.format(
            organisation=organisation.display_name,
            issuer=entra.issuer,
            answered="https://login.microsoftonline.com/another-tenant/v2.0",
        )
        in text
    )


def test_an_address_riskreg_cannot_take_is_refused_not_an_error(entra):
    entra.new_members_role = Role.VIEWER
    entra.save()

    text = _refusal(entra, email="a..b@entra.example.gov.uk", email_verified=True)

    assert "not a valid e-mail address" in text
    assert not User.objects.exists()


def test_a_connection_removed_during_the_sign_in_refuses_it(entra):
    services_sso.sso_provider_remove(provider=entra)  # ``entra`` keeps its key and issuer

    assert PROVIDER_GONE in _refusal(entra, email="ann@entra.example.gov.uk", email_verified=True)


# --- the sign-in page ------------------------------------------------------------------------


def test_single_sign_on_only_answers_a_right_password_as_a_wrong_one(
    client, organisation, oidc_provider, domain, member, password
):
    """The organisation's own account is not signed in by its password, and the page says no
    more than for a wrong password (so it tells nothing of the account), counted by django-axes
    alike (decision 114, amended)."""
    provider_flow.connect(oidc_provider, organisation, domain=domain, only_way_in=True)
    member(Role.OWNER, user__email=f"pat@{domain}")

    right = client.post("/login/", {"login": f"pat@{domain}", "password": password})
    wrong = client.post("/login/", {"login": f"pat@{domain}", "password": "not-the-password"})

    assert right.status_code == wrong.status_code == 400
    assert right.context["form"].errors == wrong.context["form"].errors
    assert SIGN_IN_FAILED in text(right)
    assert signed_in_user(client) is None
    assert AccessAttempt.objects.get().failures_since_start == 2


def test_without_single_sign_on_only_a_password_still_signs_in(
    client, organisation, connected, domain, member, password
):
    pat = member(Role.OWNER, user__email=f"pat@{domain}")

    response = client.post("/login/", {"login": f"pat@{domain}", "password": password})

    assert response.status_code == 302
    assert signed_in_user(client) == pat


def test_a_provider_that_cannot_be_reached_gets_a_clear_503(client, organisation, monkeypatch):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    services_sso.sso_provider_add(
        organisation=organisation,
        issuer=f"http://127.0.0.1:{port}",
        client_id="riskreg",
        client_secret=SECRET,
        domains=["down.example.gov.uk"],
    )

    response = client.post("/login/", {"login": "ann@down.example.gov.uk"})

    assert response.status_code == 503
    expected = PROVIDER_UNREACHABLE.format(
        organisation=organisation.display_name, issuer=f"http://127.0.0.1:{port}"
    )
    assert expected in text(response)


# --- the command -----------------------------------------------------------------------------


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("sso_provider", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def secret_env(monkeypatch):
    monkeypatch.setenv("RISKREG_TEST_SSO_SECRET", SECRET)
    return "RISKREG_TEST_SSO_SECRET"


def add_args(organisation, secret_env, *extra, issuer="https://login.example.test/tenant"):
    return (
        "add",
        "--org",
        organisation.slug,
        "--issuer",
        issuer,
        "--client-id",
        "riskreg",
        "--client-secret-env",
        secret_env,
        "--domain",
        "example.test",
        *extra,
    )


def test_command_adds_lists_and_removes_a_provider(organisation, secret_env, caplog, settings):
    settings.RISKREG_BASE_URL = "https://riskreg.example.gov.uk"
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        added = run(
            *add_args(organisation, secret_env, "--domain", "Second.Example.TEST", "--only"),
            "--name",
            "Example Entra",
            "--new-members-as",
            "viewer",
        )
        listed = run("list", "--org", organisation.slug)
        removed = run(
            "remove", "--org", organisation.slug, "--issuer", "https://login.example.test/tenant/"
        )

    provider_key = organisation.slug
    uri = f"https://riskreg.example.gov.uk/accounts/oidc/{provider_key}/login/callback/"
    assert added.startswith("connected:")
    for text in (added, listed):
        assert "https://login.example.test/tenant" in text
        assert "example.test, second.example.test" in text
        assert f"key: {provider_key}" in text
        assert uri in text
        assert f"from the environment variable {secret_env}" in text
        assert "single sign-on only: yes" in text
        assert "as a viewer" in text
        assert SECRET not in text
    assert removed.startswith("removed:")
    assert not SingleSignOnProvider.objects.exists()
    assert not SingleSignOnDomain.objects.exists()
    lines = security_lines(caplog)
    for verb in ("added", "removed"):
        assert (
            f"single sign-on provider {verb}: organisation={organisation.slug} "
            "issuer=https://login.example.test/tenant by=command"
        ) in lines
    assert not any(SECRET in line for line in lines)


def test_command_adding_the_same_issuer_again_changes_it(organisation, secret_env, caplog):
    run(*add_args(organisation, secret_env, "--only"))
    key = SingleSignOnProvider.objects.get().key

    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        out = run(
            "add", "--org", organisation.slug, "--issuer", "https://login.example.test/tenant",
            "--client-id", "riskreg-2", "--client-secret-env", secret_env,
            "--domain", "other.example.test",
        )  # fmt: skip

    provider = SingleSignOnProvider.objects.get()
    assert out.startswith("changed:")
    assert (provider.key, provider.client_id, provider.only_way_in) == (key, "riskreg-2", False)
    assert list(provider.domains.values_list("domain", flat=True)) == ["other.example.test"]
    assert any("single sign-on provider changed:" in line for line in security_lines(caplog))


def test_command_trusts_addresses_only_when_told(organisation, secret_env):
    run(*add_args(organisation, secret_env))
    assert not SingleSignOnProvider.objects.get().trust_email

    out = run(*add_args(organisation, secret_env, "--trust-email"))

    assert SingleSignOnProvider.objects.get().trust_email
    assert "addresses trusted without email_verified: yes" in out


def test_command_lists_an_organisation_without_providers(organisation):
    assert run("list", "--org", organisation.slug).strip() == NO_PROVIDERS.format(
        organisation=organisation.slug
    )


def test_command_warns_in_the_list_when_the_variable_is_gone(organisation, secret_env, monkeypatch):
    run(*add_args(organisation, secret_env))
    monkeypatch.delenv(secret_env)

    assert f"warning: the environment variable {secret_env} holds no client secret" in run(
        "list", "--org", organisation.slug
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--org": "no-such-org"}, "unknown organisation 'no-such-org'"),
        ({"--issuer": "not a url"}, services_sso.ISSUER_NOT_URL.format(issuer="not a url")),
        ({"--issuer": "http://login.example.test"}, services_sso.ISSUER_NOT_HTTPS),
        ({"--issuer": "https://login.example.test/?x=1"}, services_sso.ISSUER_HAS_QUERY),
        (
            {"--issuer": "https://login.microsoftonline.com/common/v2.0"},
            services_sso.ISSUER_MULTI_TENANT.format(tenant="common"),
        ),
        ({"--client-id": " "}, services_sso.CLIENT_ID_NEEDED),
        (
            {"--client-secret-env": "RISKREG_TEST_UNSET_VARIABLE"},
            services_sso.ENVIRONMENT_VARIABLE_UNSET.format(name="RISKREG_TEST_UNSET_VARIABLE"),
        ),
        (
            {"--client-secret-env": "1-bad"},
            services_sso.ENVIRONMENT_NAME_INVALID.format(name="1-bad"),
        ),
        ({"--domain": "not a domain"}, services_sso.DOMAIN_INVALID.format(domain="not a domain")),
        ({"--domain": "192.168.0.1"}, services_sso.DOMAIN_INVALID.format(domain="192.168.0.1")),
    ],
)
def test_command_refuses_bad_input_with_a_clear_message(organisation, secret_env, change, message):
    args = list(add_args(organisation, secret_env))
    for option, value in change.items():
        args[args.index(option) + 1] = value
    assert "RISKREG_TEST_UNSET_VARIABLE" not in os.environ

    with pytest.raises(CommandError) as refused:
        run(*args)

    assert message in str(refused.value)
    assert not SingleSignOnProvider.objects.exists()


def test_command_refuses_a_domain_another_provider_covers(
    organisation, other_organisation, secret_env
):
    run(*add_args(organisation, secret_env))

    with pytest.raises(CommandError) as refused:
        run(*add_args(other_organisation, secret_env, issuer="https://idp.other.test"))

    assert services_sso.DOMAIN_TAKEN.format(domain="example.test") in str(refused.value)
    assert other_organisation.name not in str(refused.value)
    assert not other_organisation.sign_in_providers.exists()


def test_command_refuses_removing_an_issuer_it_does_not_have(organisation, secret_env):
    run(*add_args(organisation, secret_env))

    with pytest.raises(CommandError) as refused:
        run("remove", "--org", organisation.slug, "--issuer", "https://nope.example.test")

    assert UNKNOWN_ISSUER.format(
        organisation=organisation.slug, issuer="https://nope.example.test"
    ) in str(refused.value)
    assert "its connections: https://login.example.test/tenant" in str(refused.value)


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("add", "--org", "x"),
        ("list",),
        ("remove", "--org", "x"),
        ("add", "--org", "x", "--issuer", "https://a.test", "--client-id", "a",
         "--client-secret-env", "A", "--domain", "a.test", "--new-members-as", "admin"),
    ],
)  # fmt: skip
def test_command_refuses_missing_or_wrong_arguments(args):
    with pytest.raises(CommandError):
        run(*args)


def test_the_operator_may_connect_a_domain_whose_people_belong_elsewhere(
    organisation, other_organisation, secret_env
):
    factories.MembershipFactory(organisation=other_organisation, user__email="joe@example.test")

    run(*add_args(organisation, secret_env))

    assert organisation.sign_in_providers.get().domains.get().domain == "example.test"


# --- the settings page -------------------------------------------------------------------------


def settings_url(organisation, *rest) -> str:
    return f"/o/{organisation.slug}/settings/single-sign-on/" + "".join(f"{r}/" for r in rest)


def form_data(**changes) -> dict:
    data = {
        "name": "Example Entra",
        "issuer": "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
        "client_id": "riskreg-app",
        "client_secret": SECRET,
        "domains": "example.gov.uk\nschools.example.gov.uk",
        "only_way_in": "no",
        "new_members_role": "",
        "trust_email": "no",
    }
    data.update(changes)
    return data


@pytest.fixture
def admin_client(client, member):
    client.force_login(member(Role.ADMIN))
    return client


def add_on_page(admin_client, organisation, **changes):
    return admin_client.post(settings_url(organisation, "add"), form_data(**changes))


def test_an_admin_connects_a_provider_and_the_secret_is_stored_encrypted(
    admin_client, organisation, caplog, settings
):
    settings.RISKREG_BASE_URL = "https://riskreg.example.gov.uk"
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = add_on_page(admin_client, organisation)

    assert response.status_code == 302
    assert response["Location"] == settings_url(organisation)
    provider = organisation.sign_in_providers.get()
    assert provider.client_secret_env == ""
    assert SECRET not in provider.client_secret_encrypted
    assert secrets.decrypt(provider.client_secret_encrypted) == SECRET
    stored = SingleSignOnProvider.objects.filter(pk=provider.pk).values().get()
    assert not any(SECRET in str(value) for value in stored.values())
    admin = response.wsgi_request.user
    assert (
        f"single sign-on provider added: organisation={organisation.slug} "
        f"issuer={provider.issuer} by={admin.pk}"
    ) in security_lines(caplog)
    assert not any(SECRET in line for line in caplog.messages)

    page = admin_client.get(settings_url(organisation)).content.decode()
    assert "Example Entra" in page and provider.issuer in page
    assert "example.gov.uk" in page and "schools.example.gov.uk" in page
    assert redirect_uri(provider) in page
    assert redirect_uri(provider).startswith("https://riskreg.example.gov.uk/accounts/oidc/")
    assert "Stored encrypted" in page
    assert SECRET not in page and provider.client_secret_encrypted not in page


def test_the_page_says_where_an_environment_secret_comes_from_never_its_value(
    admin_client, organisation, secret_env
):
    run(*add_args(organisation, secret_env))

    page = admin_client.get(settings_url(organisation)).content.decode()

    assert f"From the environment variable {secret_env}" in page
    assert SECRET not in page


def test_the_page_warns_when_the_web_server_cannot_read_the_secret(
    admin_client, organisation, secret_env, monkeypatch
):
    run(*add_args(organisation, secret_env))
    monkeypatch.delenv(secret_env)

    page = text(admin_client.get(settings_url(organisation)))

    assert "Nobody can sign in through this connection" in page
    assert f"the environment variable {secret_env} holds no client secret" in page


def test_the_change_page_never_shows_the_secret_and_blank_keeps_it(admin_client, organisation):
    add_on_page(admin_client, organisation)
    provider = organisation.sign_in_providers.get()
    token = provider.client_secret_encrypted
    url = settings_url(organisation, provider.pk)

    page = admin_client.get(url).content.decode()
    assert SECRET not in page and token not in page
    assert "Leave blank to keep the current secret (stored encrypted)" in page

    response = admin_client.post(url, form_data(client_secret="", only_way_in="yes"))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.client_secret_encrypted == token and provider.only_way_in

    admin_client.post(url, form_data(client_secret="a-new-secret"))
    provider.refresh_from_db()
    assert secrets.decrypt(provider.client_secret_encrypted) == "a-new-secret"


def test_single_sign_on_only_names_its_exception_on_the_form_and_the_settings_page(
    admin_client, organisation
):
    """Those the provider may not sign in (decision 114) keep their password, so the pages do
    not say that nobody of the domains can use one (decision 114, amended)."""
    add_on_page(admin_client, organisation)
    provider = organisation.sign_in_providers.get()
    url = settings_url(organisation, provider.pk)
    form = text(admin_client.get(url))
    assert "also belongs to another organisation on riskreg" in form
    assert "must use riskreg's second factor" in form

    admin_client.post(url, form_data(client_secret="", only_way_in="yes"))
    page = text(admin_client.get(settings_url(organisation)))
    assert (
        "Single sign-on only: people of these domains cannot sign in with a password, except "
        "anyone who also belongs to another organisation on riskreg or runs riskreg"
    ) in page


def test_a_form_with_problems_answers_400_and_does_not_echo_the_secret(admin_client, organisation):
    response = add_on_page(admin_client, organisation, issuer="ftp://x", domains="no_domain")

    assert response.status_code == 400
    page = text(response)
    assert services_sso.ISSUER_NOT_URL.format(issuer="ftp://x") in page
    assert services_sso.DOMAIN_INVALID.format(domain="no_domain") in page
    assert SECRET not in page
    assert not SingleSignOnProvider.objects.exists()


def test_a_new_connection_needs_a_secret(admin_client, organisation):
    response = add_on_page(admin_client, organisation, client_secret="")

    assert response.status_code == 400
    assert services_sso.CREDENTIAL_NEEDED in text(response)


def test_the_page_does_not_add_a_second_connection_to_the_same_issuer(admin_client, organisation):
    add_on_page(admin_client, organisation)

    response = add_on_page(admin_client, organisation, domains="other.gov.uk")

    assert response.status_code == 400
    assert "is already connected to" in text(response)
    assert organisation.sign_in_providers.count() == 1


def test_an_admin_cannot_take_a_domain_whose_people_belong_to_other_organisations(
    admin_client, organisation, other_organisation
):
    factories.MembershipFactory(organisation=other_organisation, user__email="joe@example.gov.uk")

    response = add_on_page(admin_client, organisation, domains="example.gov.uk")

    assert response.status_code == 400
    assert services_sso.DOMAIN_MEMBERS_ELSEWHERE.format(domain="example.gov.uk") in text(response)
    assert not SingleSignOnProvider.objects.exists()


def _superuser(organisation, other_organisation, email):
    return factories.UserFactory(email=email, is_superuser=True)


def _staff(organisation, other_organisation, email):
    return factories.UserFactory(email=email, is_staff=True)


def _superuser_and_member_here(organisation, other_organisation, email):
    return factories.MembershipFactory(
        organisation=organisation, user__email=email, user__is_superuser=True
    ).user


def _superusers_confirmed_address(organisation, other_organisation, email):
    root = factories.UserFactory(email="root@riskreg.example.org", is_superuser=True)
    EmailAddress.objects.create(user=root, email=email, verified=True)


def _invited_elsewhere(organisation, other_organisation, email):
    invitation_send(organisation=other_organisation, email=email, role=Role.VIEWER)


@pytest.mark.parametrize(
    "someone",
    [
        _superuser,
        _staff,
        _superuser_and_member_here,
        _superusers_confirmed_address,
        _invited_elsewhere,
    ],
)
def test_an_admin_cannot_take_a_domain_of_anyone_the_connection_could_not_vouch_for(
    admin_client, organisation, other_organisation, secret_env, someone
):
    """The sign-in page sends every address of a connected domain to its provider, which could
    then ask a system administrator, or someone invited elsewhere, for their riskreg password
    (decision 133). One message whoever it is: the page says no more than that."""
    someone(organisation, other_organisation, "root@example.test")

    response = add_on_page(admin_client, organisation, domains="example.test")

    assert response.status_code == 400
    page = text(response)
    assert services_sso.DOMAIN_MEMBERS_ELSEWHERE.format(domain="example.test") in page
    assert "root@" not in page
    assert not SingleSignOnProvider.objects.exists()
    # The server's operator vouches for the domain instead (decision 31).
    run(*add_args(organisation, secret_env))
    assert organisation.sign_in_providers.get().domains.get().domain == "example.test"


def test_a_domain_is_refused_on_the_change_page_too_and_freed_by_the_invitation_going(
    admin_client, organisation, other_organisation
):
    add_on_page(admin_client, organisation, domains="example.gov.uk")
    provider = organisation.sign_in_providers.get()
    invitation = invitation_send(
        organisation=other_organisation, email="ivy@example.test", role=Role.VIEWER
    ).invitation

    refused = admin_client.post(
        settings_url(organisation, provider.pk), form_data(domains="example.gov.uk\nexample.test")
    )

    assert refused.status_code == 400
    assert services_sso.DOMAIN_MEMBERS_ELSEWHERE.format(domain="example.test") in text(refused)
    assert list(provider.domains.values_list("domain", flat=True)) == ["example.gov.uk"]
    invitation_withdraw(invitation=invitation)
    admin_client.post(
        settings_url(organisation, provider.pk), form_data(domains="example.gov.uk\nexample.test")
    )
    assert set(provider.domains.values_list("domain", flat=True)) == {
        "example.gov.uk",
        "example.test",
    }


def test_a_domain_another_organisation_connected_is_refused_without_naming_it(
    admin_client, organisation, other_organisation, secret_env
):
    run(*add_args(other_organisation, secret_env))

    response = add_on_page(admin_client, organisation, domains="example.test")

    assert response.status_code == 400
    page = text(response)
    assert services_sso.DOMAIN_TAKEN.format(domain="example.test") in page
    assert other_organisation.name not in page


def test_changing_the_issuer_forgets_the_links_to_the_old_one(admin_client, organisation, member):
    add_on_page(admin_client, organisation)
    provider = organisation.sign_in_providers.get()
    SocialAccount.objects.create(user=member(Role.OWNER), provider=provider.key, uid="1")

    admin_client.post(settings_url(organisation, provider.pk), form_data(name="Renamed"))
    assert SocialAccount.objects.count() == 1  # same issuer: the links stay
    admin_client.post(
        settings_url(organisation, provider.pk), form_data(issuer="https://idp.example.gov.uk")
    )

    assert not SocialAccount.objects.exists()


def test_an_admin_removes_a_connection_after_confirming(admin_client, organisation, member, caplog):
    add_on_page(admin_client, organisation)
    provider = organisation.sign_in_providers.get()
    SocialAccount.objects.create(user=member(Role.OWNER), provider=provider.key, uid="1")
    url = settings_url(organisation, provider.pk, "remove")

    confirm = admin_client.get(url)
    assert confirm.status_code == 200
    assert "Stop signing in with Example Entra?" in confirm.content.decode()
    assert SECRET not in confirm.content.decode()
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = admin_client.post(url)

    assert response.status_code == 302
    assert not SingleSignOnProvider.objects.exists()
    assert not SocialAccount.objects.exists()
    assert any("single sign-on provider removed:" in line for line in security_lines(caplog))


def test_the_members_page_links_to_single_sign_on(admin_client, organisation):
    page = admin_client.get(f"/o/{organisation.slug}/members/").content.decode()

    assert f'href="{settings_url(organisation)}"' in page


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.OWNER, Role.VIEWER, Role.PANEL])
def test_only_admins_reach_the_pages(client, organisation, member, role, secret_env):
    run(*add_args(organisation, secret_env))
    provider = organisation.sign_in_providers.get()
    client.force_login(member(role))

    for url in (
        settings_url(organisation),
        settings_url(organisation, "add"),
        settings_url(organisation, provider.pk),
        settings_url(organisation, provider.pk, "remove"),
    ):
        for response in (client.get(url), client.post(url, form_data())):
            assert response.status_code == 403, url
            assert ADMINS_ONLY in text(response)
    assert SingleSignOnProvider.objects.count() == 1


def test_another_organisations_admin_gets_not_found(
    client, organisation, other_organisation, secret_env
):
    run(*add_args(organisation, secret_env))
    provider = organisation.sign_in_providers.get()
    outsider = factories.MembershipFactory(organisation=other_organisation, role=Role.ADMIN).user
    client.force_login(outsider)

    for url in (
        settings_url(organisation),
        settings_url(organisation, provider.pk),
        settings_url(organisation, provider.pk, "remove"),
        # their own organisation's address with this organisation's connection
        settings_url(other_organisation, provider.pk),
        settings_url(other_organisation, provider.pk, "remove"),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, form_data()).status_code == 404, url
    assert SingleSignOnProvider.objects.get() == provider


def test_signed_out_people_are_sent_to_sign_in(client, organisation):
    response = client.get(settings_url(organisation))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_list_page_queries_do_not_grow_with_connections(admin_client, organisation):
    services_sso.sso_provider_add(
        organisation=organisation,
        issuer="https://idp-0.example.gov.uk",
        client_id="c",
        client_secret=SECRET,
        domains=["d0.example.gov.uk"],
    )

    def grow():
        for n in range(1, 4):
            services_sso.sso_provider_add(
                organisation=organisation,
                issuer=f"https://idp-{n}.example.gov.uk",
                client_id="c",
                client_secret=SECRET,
                domains=[f"d{n}.example.gov.uk", f"e{n}.example.gov.uk"],
            )

    url = settings_url(organisation)
    few, many = assert_same_queries(lambda: admin_client.get(url), grow, at_most=12)
    assert many.content.decode().count('govuk-summary-card__title"') == 4


# --- an account that is more than the organisation's (decision 114) ----------------------------


def sign_in_through(client, provider, email: str):
    """Straight to the connection's own login URL, as anyone may go (not the sign-in page, which
    asks such an account for its password), then the provider, then the callback."""
    started = client.post(sso.login_url(provider))
    assert started.status_code == 302
    back = provider_flow.sign_in_at_provider(started["Location"], email)
    return client.get(back)


def test_a_member_of_another_organisation_is_not_signed_in_by_the_provider(
    client, organisation, other_organisation, connected, oidc_provider, domain, member, caplog
):
    """Whoever controls an organisation's provider could otherwise sign in as a person another
    organisation made its admin, and reach that organisation (the security review's chain)."""
    email = person_at_provider(oidc_provider, domain, "amy")
    amy = member(Role.VIEWER, user__email=email)
    factories.MembershipFactory(organisation=other_organisation, user=amy, role=Role.ADMIN)

    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = sign_in_through(client, connected, email)

    assert response.status_code == 403
    page = text(response)
    assert (
        ACCOUNT_BEYOND_CONNECTION.format(email=email, organisation=organisation.display_name)
        in page
    )
    assert other_organisation.name not in page and other_organisation.slug not in page
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.exists()
    assert any(
        f"single sign-on refused: provider={connected.key} organisation={organisation.slug} "
        f"reason=account-beyond-connection user={amy.pk}" in line
        for line in security_lines(caplog)
    )
    assert not any(
        other_organisation.slug in line
        for line in security_lines(caplog)
        if line.startswith("single sign-on")
    )


def test_an_invitation_does_not_let_the_provider_take_another_organisations_member(
    client, organisation, other_organisation, connected, oidc_provider, domain
):
    email = person_at_provider(oidc_provider, domain, "ava")
    ava = factories.MembershipFactory(
        organisation=other_organisation, user__email=email, role=Role.ADMIN
    ).user
    # Made directly: how an invitation of an existing account is answered is changing elsewhere.
    Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=Role.VIEWER,
        token_hash=uuid.uuid4().hex,
        expires_at=timezone.now() + timedelta(days=7),
    )

    assert sign_in_through(client, connected, email).status_code == 403
    assert signed_in_user(client) is None
    assert not Membership.objects.filter(user=ava, organisation=organisation).exists()


def test_a_link_made_before_the_person_joined_another_organisation_stops_working(
    client, organisation, other_organisation, connected, oidc_provider, domain, member
):
    email = person_at_provider(oidc_provider, domain, "abe")
    abe = member(Role.OWNER, user__email=email)
    assert provider_flow.sign_in(client, email).status_code == 302
    client.logout()
    factories.MembershipFactory(organisation=other_organisation, user=abe, role=Role.VIEWER)

    assert sign_in_through(client, connected, email).status_code == 403
    assert signed_in_user(client) is None


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_the_installations_administrators_are_not_signed_in_by_the_provider(
    client, organisation, connected, oidc_provider, domain, member, flag
):
    email = person_at_provider(oidc_provider, domain, "root")
    member(Role.ADMIN, user__email=email, **{f"user__{flag}": True})

    assert sign_in_through(client, connected, email).status_code == 403
    assert signed_in_user(client) is None


def test_a_new_account_and_an_account_of_the_organisation_alone_still_come_in(
    client, organisation, other_organisation, connected, oidc_provider, domain, member
):
    factories.MembershipFactory(organisation=other_organisation, role=Role.ADMIN)  # not theirs
    email = person_at_provider(oidc_provider, domain, "ora")
    ora = member(Role.OWNER, user__email=email)
    assert sign_in_through(client, connected, email).status_code == 302
    assert signed_in_user(client) == ora


def test_the_address_step_is_decided_by_the_domain_alone(
    client, organisation, other_organisation, oidc_provider, domain, member
):
    """Whether an address has an account, and whether it is also another organisation's, is
    not told by where the address step leads (decision 114, amended): everyone of the domain
    goes to the provider, but a superuser's or a staff account (decision 133, below)."""
    provider_flow.connect(oidc_provider, organisation, domain=domain, only_way_in=True)
    pat = member(Role.OWNER, user__email=f"pat@{domain}")
    factories.MembershipFactory(organisation=other_organisation, user=pat, role=Role.VIEWER)
    member(Role.OWNER, user__email=f"ora@{domain}")

    for name in ("pat", "ora", "nobody"):
        page = text(client.post("/login/", {"login": f"{name}@{domain}"}))
        assert 'id="continue"' in page and 'name="password"' not in page, name


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_the_address_step_never_sends_a_system_administrator_to_the_provider(
    client, organisation, oidc_provider, domain, member, flag
):
    """A connection may hold a domain of such an account made after it was connected (or one
    the server's operator connected). Its provider may never sign them in; sent there, they
    met an organisation's page asking for their password (decision 133)."""
    provider_flow.connect(oidc_provider, organisation, domain=domain, only_way_in=True)
    member(Role.OWNER, user__email=f"root@{domain}", **{f"user__{flag}": True})

    page = text(client.post("/login/", {"login": f"Root@{domain.upper()}"}))

    assert 'name="password"' in page and 'id="continue"' not in page


def test_anyone_may_choose_the_password_step_and_such_an_account_signs_in_there(
    client,
    organisation,
    other_organisation,
    oidc_provider,
    domain,
    member,
    password,
    send_queued_email,
):
    """The provider may not sign them in, so riskreg's own password (and second factor) does;
    the connection's "single sign-on only" binds the organisation's own accounts alone."""
    provider_flow.connect(oidc_provider, organisation, domain=domain, only_way_in=True)
    pat = member(Role.OWNER, user__email=f"pat@{domain}")
    factories.MembershipFactory(organisation=other_organisation, user=pat, role=Role.VIEWER)
    member(Role.OWNER, user__email=f"ora@{domain}")

    assert USE_PASSWORD_LABEL in text(client.get("/login/"))
    for name in ("pat", "ora", "nobody"):
        asked = text(client.post("/login/", {"login": f"{name}@{domain}", USE_PASSWORD: "1"}))
        assert 'name="password"' in asked and 'id="continue"' not in asked, name
    response = client.post("/login/", {"login": f"pat@{domain}", "password": password})
    assert response.status_code == 302
    assert signed_in_user(client) == pat
    client.logout()
    with send_queued_email() as outbox:
        client.post("/accounts/password/reset/", {"email": pat.email})
    assert "/accounts/password/reset/key/" in outbox[0].body
