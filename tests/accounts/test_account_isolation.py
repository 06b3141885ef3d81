"""A person's own account pages (django-allauth's, under /accounts/) show and change only their
own things: another person's security key is 404 (not theirs to rename or remove), their
sessions and e-mail addresses are not listed, and links with made-up tokens are refused without
an error. The organisation walker (tests/test_isolation.py) leaves /accounts/ to this file."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

KEY_PAGES = ("mfa_remove_webauthn", "mfa_edit_webauthn")


def signed_in(user) -> Client:
    """Signed in through the sign-in form, so allauth counts the password as just given (its
    pages that change a second factor ask for it again otherwise)."""
    client = Client()
    response = client.post(reverse("login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def security_key(user) -> Authenticator:
    return Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.WEBAUTHN,
        data={"name": f"{user.email}'s key", "credential": {}},
    )


def account_patterns() -> list[str]:
    """Every named route of django-allauth's that takes a value in its URL."""
    found = []

    def walk(resolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry, route)
            elif (
                isinstance(entry, URLPattern)
                and entry.callback.__module__.startswith("allauth.")
                and entry.pattern.regex.groups
                and entry.name
            ):
                found.append(entry.name)

    walk(get_resolver(), "")
    return found


def test_every_account_route_with_a_value_is_known_to_this_test():
    known = {
        *KEY_PAGES,
        "account_confirm_email",
        "account_reset_password_from_key",
        # allauth's OpenID Connect routes take the provider's key: tests/accounts/ single sign-on
        "openid_connect_login",
        "openid_connect_callback",
    }
    assert set(account_patterns()) <= known, set(account_patterns()) - known


@pytest.mark.parametrize("name", KEY_PAGES)
def test_another_persons_security_key_is_not_found(name):
    me, them = UserFactory(), UserFactory()
    client = signed_in(me)  # before the keys: with one, signing in would ask for it
    # changing a second factor asks for the password again first
    assert client.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 302
    mine, theirs = security_key(me), security_key(them)
    assert client.get(reverse(name, args=[mine.pk])).status_code == 200
    for method in (client.get, client.post):
        assert method(reverse(name, args=[theirs.pk])).status_code == 404
        assert method(reverse(name, args=[2_000_000_000])).status_code == 404
    assert Authenticator.objects.filter(pk=theirs.pk, data__name=theirs.data["name"]).exists()


def test_the_lists_show_only_ones_own_sessions_keys_and_addresses():
    me, them = UserFactory(), UserFactory()
    signed_in(them)
    client = signed_in(me)
    security_key(them)
    assert UserSession.objects.filter(user=them).exists()
    for name in ("usersessions_list", "mfa_list_webauthn", "mfa_index", "account_email"):
        page = client.get(reverse(name)).content.decode()
        assert them.email not in page, name


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/confirm-email/not-a-real-key/",
        "/accounts/password/reset/key/zz-not-a-real-key/",
        "/accounts/oidc/no-such-provider/login/",
        "/accounts/oidc/no-such-provider/login/callback/",
    ],
)
def test_made_up_links_are_refused_without_an_error(client, url):
    for method in (client.get, client.post):
        assert method(url).status_code < 500


def test_a_failed_or_cancelled_provider_sign_in_says_so_in_plain_words(client):
    failed = client.get(reverse("socialaccount_login_error"))
    assert failed.status_code == 401
    assert "Signing in through your organisation did not work" in failed.content.decode()
    assert "Third-Party" not in failed.content.decode()
    cancelled = client.get(reverse("socialaccount_login_cancelled")).content.decode()
    assert "Signing in was cancelled" in cancelled and "Login Cancelled" not in cancelled
