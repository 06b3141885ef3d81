"""API tokens in the browser (issue 19, "Access"): a person makes a token on their account page and
sees it once, uses it, sees when it was last used, watches it expire and revokes it; an
organisation admin sees the live tokens reaching the organisation and takes the organisation off
one. Another person's token is a 404; every POST is CSRF-checked; the lists' queries are flat."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.forms import DAYS_MESSAGE
from api.models import ApiToken
from api.services import (
    MAX_DAYS_MESSAGE,
    MIN_DAYS_MESSAGE,
    NAME_MISSING_MESSAGE,
    NAME_TAKEN_MESSAGE,
    NO_ORGANISATION_MESSAGE,
    api_token_revoke,
)
from api.views_tokens import ADMINS_ONLY
from registers.models import Role
from tests.factories import MembershipFactory
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

TOKENS = reverse("account_api_tokens")


def _signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def _create(client, chosen, **fields):
    data = {
        "name": "Power BI",
        "expires_days": "90",
        "access": "read-only",
        "organisations": [o.pk for o in chosen],
        **fields,
    }
    return client.post(TOKENS, data)


def _risks(api, secret, organisation):
    return api(secret).get(f"/api/v1/risks/?organisation={organisation.slug}")


def _settings(organisation) -> str:
    return reverse("settings_api_tokens", args=[organisation.slug])


def _admin_revoke(organisation, token) -> str:
    return reverse("settings_api_token_revoke", args=[organisation.slug, token.pk])


# --- a person's own tokens ---------------------------------------------------------------------


def test_the_account_page_links_to_the_tokens_page(organisation, member):
    client = _signed_in(member(Role.VIEWER))
    page = client.get(reverse("account")).content.decode()
    assert f'href="{TOKENS}"' in page


def test_a_token_made_on_the_page_is_shown_once_stored_hashed_and_logged_without_it(
    organisation, member, api, caplog
):
    user = member(Role.COORDINATOR)
    client = _signed_in(user)
    form = client.get(TOKENS)
    assert form.status_code == 200
    assert "You have no API tokens." in form.content.decode()
    with caplog.at_level("INFO", logger="riskreg.security"):
        response = _create(client, [organisation], name="Board dashboard", expires_days="30")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=user)
    page = response.content.decode()
    secret = page.split('id="api-token" type="text" value="', 1)[1].split('"', 1)[0]
    assert secret.startswith(token.prefix) and len(secret) > 30
    assert "will not be shown again" in page and "copy" in page.lower()
    # Stored as its sha256 only; in no log line and not in the session.
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert "api token created" in caplog.text and f"token={token.pk}" in caplog.text
    assert secret not in caplog.text
    assert secret not in str(dict(client.session.items()))
    # Its settings are what the form said.
    assert token.name == "Board dashboard" and token.read_only
    assert list(token.organisations.all()) == [organisation]
    days = (token.expires_at - timezone.now()).total_seconds() / 86400
    assert 29.9 < days <= 30
    # The next page lists the token by its prefix, never the secret again.
    listing = client.get(TOKENS).content.decode()
    assert "Board dashboard" in listing and token.prefix in listing
    assert secret not in listing
    assert "Read only" in listing and "Live" in listing and "Never" in listing
    # And it works.
    assert _risks(api, secret, organisation).status_code == 200


def test_the_last_used_date_is_shown_after_the_token_is_used(organisation, member, api):
    user = member(Role.VIEWER)
    client = _signed_in(user)
    response = _create(client, [organisation], access="read-write")
    secret = response.content.decode().split('value="rr_', 1)[1].split('"', 1)[0]
    assert _risks(api, "rr_" + secret, organisation).status_code == 200
    token = ApiToken.objects.get(user=user)
    assert token.last_used_at is not None and not token.read_only
    listing = client.get(TOKENS).content.decode()
    assert timezone.localtime(token.last_used_at).strftime("%H:%M") in listing
    assert "Never" not in listing
    assert "Read and write" in listing


def test_an_expired_token_is_listed_as_expired_without_a_revoke_link_and_refused(
    organisation, member, token_for, api
):
    user = member(Role.VIEWER)
    token, secret = token_for(user, [organisation])
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(hours=1))
    listing = _signed_in(user).get(TOKENS).content.decode()
    assert "Expired" in listing
    assert reverse("account_api_token_revoke", args=[token.pk]) not in listing
    assert _risks(api, secret, organisation).status_code == 401


def test_a_token_revoked_on_the_page_is_refused_and_the_revoke_is_logged(
    organisation, member, token_for, api, caplog
):
    user = member(Role.VIEWER)
    token, secret = token_for(user, [organisation], name="nightly")
    client = _signed_in(user)
    url = reverse("account_api_token_revoke", args=[token.pk])
    assert url in client.get(TOKENS).content.decode()
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Revoke the token “nightly”?" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None  # a GET only asks
    with caplog.at_level("INFO", logger="riskreg.security"):
        response = client.post(url)
    assert response.status_code == 302 and response["Location"] == TOKENS
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert f"api token revoked: token={token.pk}" in caplog.text and f"by={user.pk}" in caplog.text
    assert _risks(api, secret, organisation).status_code == 401
    listing = client.get(TOKENS).content.decode()
    assert "Revoked" in listing and url not in listing
    # A second POST (another tab) changes nothing and says so.
    again = client.post(url, follow=True)
    assert "was already revoked" in again.content.decode()


def test_another_persons_token_cannot_be_seen_or_revoked(organisation, member, token_for, caplog):
    me, them = member(Role.ADMIN), member(Role.VIEWER)
    theirs, _ = token_for(them, [organisation], name="theirs")
    client = _signed_in(me)
    assert "theirs" not in client.get(TOKENS).content.decode()
    url = reverse("account_api_token_revoke", args=[theirs.pk])
    ghost = reverse("account_api_token_revoke", args=[2_000_000_000])
    with caplog.at_level("WARNING", logger="riskreg.security"):
        for method in (client.get, client.post):
            assert method(url).status_code == 404
            assert method(ghost).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert f"no API token {theirs.pk} of theirs" in caplog.text


def test_signed_out_people_are_sent_to_sign_in(organisation, member, token_for):
    token, _ = token_for(member(Role.VIEWER), [organisation])
    for url in (TOKENS, reverse("account_api_token_revoke", args=[token.pk])):
        assert Client().get(url).status_code == 302
        assert Client().post(url).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is None and ApiToken.objects.count() == 1


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": ""}, NAME_MISSING_MESSAGE),
        ({"expires_days": "366"}, MAX_DAYS_MESSAGE),
        ({"expires_days": "0"}, MIN_DAYS_MESSAGE),
        ({"expires_days": "soon"}, DAYS_MESSAGE),
        ({"organisations": []}, NO_ORGANISATION_MESSAGE),
        ({"access": "admin"}, "Choose whether the token may only read or may also write."),
    ],
)
def test_bad_input_is_a_400_with_the_rules_message_and_makes_nothing(
    organisation, member, fields, message
):
    client = _signed_in(member(Role.VIEWER))
    response = _create(client, [organisation], **fields)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert message.replace("'", "&#x27;") in page
    assert ApiToken.objects.count() == 0


def test_an_organisation_the_person_is_not_a_member_of_cannot_be_chosen(
    organisation, other_organisation, member
):
    client = _signed_in(member(Role.ADMIN))
    response = _create(client, [organisation, other_organisation])
    assert response.status_code == 400
    assert other_organisation.name not in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_a_live_tokens_name_cannot_be_used_twice(organisation, member, token_for):
    user = member(Role.VIEWER)
    token_for(user, [organisation], name="Power BI")
    response = _create(_signed_in(user), [organisation], name="Power BI")
    assert response.status_code == 400
    expected = NAME_TAKEN_MESSAGE.format(name="Power BI").replace("'", "&#x27;")
    assert expected in response.content.decode()
    assert ApiToken.objects.count() == 1


def test_the_form_offers_each_of_the_persons_organisations_and_no_other(
    organisation, other_organisation, member
):
    user = member(Role.VIEWER)
    third = MembershipFactory(role=Role.OWNER).organisation
    MembershipFactory(user=user, organisation=other_organisation, role=Role.PANEL)
    page = _signed_in(user).get(TOKENS).content.decode()
    assert organisation.display_name in page and other_organisation.display_name in page
    assert third.display_name not in page
    assert f'value="{third.pk}"' not in page


def test_a_person_in_no_organisation_is_told_so(db):
    from tests.factories import UserFactory

    client = _signed_in(UserFactory())
    page = client.get(TOKENS).content.decode()
    assert "You do not belong to any yet." in page
    assert _create(client, []).status_code == 400


def test_the_tokens_list_runs_the_same_queries_for_one_token_or_many(
    organisation, other_organisation, member, token_for
):
    user = member(Role.OWNER)
    MembershipFactory(user=user, organisation=other_organisation, role=Role.VIEWER)
    token_for(user, [organisation], name="first")
    client = _signed_in(user)

    def grow():
        for n in range(5):
            token, _ = token_for(user, [organisation, other_organisation], name=f"more {n}")
            if n % 2:
                api_token_revoke(token=token, by=user)

    before, after = assert_same_queries(lambda: client.get(TOKENS), grow, at_most=15)
    assert before.status_code == after.status_code == 200
    assert "more 4" in after.content.decode()


# --- an organisation admin's page --------------------------------------------------------------


def test_the_settings_page_links_to_the_organisations_tokens(organisation, member):
    client = _signed_in(member(Role.ADMIN))
    page = client.get(reverse("settings_home", args=[organisation.slug])).content.decode()
    assert f'href="{_settings(organisation)}"' in page


def test_an_admin_sees_the_live_tokens_reaching_the_organisation_and_nothing_else(
    organisation, other_organisation, member, token_for
):
    admin = member(Role.ADMIN)
    owner = member(Role.OWNER, user__full_name="Olu Owner")
    MembershipFactory(user=owner, organisation=other_organisation, role=Role.VIEWER)
    live, _ = token_for(owner, [organisation], name="live one", read_only=False)
    expired, _ = token_for(owner, [organisation], name="expired one")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    revoked, _ = token_for(owner, [organisation], name="revoked one")
    api_token_revoke(token=revoked, by=owner)
    elsewhere, _ = token_for(owner, [other_organisation], name="elsewhere one")
    page = _signed_in(admin).get(_settings(organisation)).content.decode()
    assert "Olu Owner" in page and "live one" in page and live.prefix in page
    assert "Read and write" in page and "Never" in page
    for name in ("expired one", "revoked one", "elsewhere one"):
        assert name not in page
    # Only this organisation is named, not the others a person's token may reach.
    assert other_organisation.name not in page


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.OWNER, Role.VIEWER, Role.PANEL])
def test_only_admins_see_or_revoke_the_organisations_tokens(
    organisation, member, token_for, role, caplog
):
    token, _ = token_for(member(Role.OWNER), [organisation])
    client = _signed_in(member(role))
    with caplog.at_level("WARNING", logger="riskreg.security"):
        assert client.get(_settings(organisation)).status_code == 403
        assert client.get(_admin_revoke(organisation, token)).status_code == 403
        assert client.post(_admin_revoke(organisation, token)).status_code == 403
    assert ADMINS_ONLY in caplog.text
    token.refresh_from_db()
    assert token.revoked_at is None and token.organisations.count() == 1


def test_a_non_member_gets_404(organisation, other_organisation, member, token_for):
    token, _ = token_for(member(Role.OWNER), [organisation])
    stranger = MembershipFactory(organisation=other_organisation, role=Role.ADMIN).user
    client = _signed_in(stranger)
    assert client.get(_settings(organisation)).status_code == 404
    assert client.post(_admin_revoke(organisation, token)).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_admin_revoke_takes_only_their_organisation_off_a_token_reaching_others(
    organisation, other_organisation, member, token_for, api, caplog
):
    admin = member(Role.ADMIN)
    owner = member(Role.OWNER)
    MembershipFactory(user=owner, organisation=other_organisation, role=Role.VIEWER)
    token, secret = token_for(owner, [organisation, other_organisation], name="both")
    client = _signed_in(admin)
    confirm = client.get(_admin_revoke(organisation, token))
    assert confirm.status_code == 200
    assert other_organisation.name not in confirm.content.decode()
    with caplog.at_level("INFO", logger="riskreg.security"):
        response = client.post(_admin_revoke(organisation, token))
    assert response.status_code == 302 and response["Location"] == _settings(organisation)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert list(token.organisations.all()) == [other_organisation]
    assert (
        f"api token organisation removed: token={token.pk}" in caplog.text
        and f"organisation={organisation.slug} by={admin.pk}" in caplog.text
    )
    assert _risks(api, secret, organisation).status_code == 404
    assert _risks(api, secret, other_organisation).status_code == 200
    assert (
        _admin_revoke(organisation, token)
        not in client.get(_settings(organisation)).content.decode()
    )
    # The owner sees what their token still reaches.
    owner_page = _signed_in(owner).get(TOKENS).content.decode()
    assert other_organisation.display_name in owner_page and "Live" in owner_page
    # Gone from this organisation's reach, it is a 404 here now.
    assert client.post(_admin_revoke(organisation, token)).status_code == 404


def test_an_admin_revoke_of_a_token_reaching_only_their_organisation_revokes_it(
    organisation, member, token_for, api, caplog
):
    admin = member(Role.ADMIN)
    token, secret = token_for(member(Role.OWNER), [organisation])
    with caplog.at_level("INFO", logger="riskreg.security"):
        _signed_in(admin).post(_admin_revoke(organisation, token))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert f"api token revoked: token={token.pk}" in caplog.text and f"by={admin.pk}" in caplog.text
    assert _risks(api, secret, organisation).status_code == 401


def test_an_admin_cannot_reach_a_token_of_another_organisation_or_a_dead_one(
    organisation, other_organisation, member, token_for
):
    admin = member(Role.ADMIN)
    owner = member(Role.OWNER)
    MembershipFactory(user=owner, organisation=other_organisation, role=Role.VIEWER)
    elsewhere, _ = token_for(owner, [other_organisation], name="elsewhere")
    expired, _ = token_for(owner, [organisation], name="expired")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    client = _signed_in(admin)
    for token in (elsewhere, expired):
        for method in (client.get, client.post):
            assert method(_admin_revoke(organisation, token)).status_code == 404
    elsewhere.refresh_from_db()
    assert list(elsewhere.organisations.all()) == [other_organisation]


def test_the_organisations_token_list_runs_the_same_queries_for_one_token_or_many(
    organisation, member, token_for
):
    admin = member(Role.ADMIN)
    token_for(member(Role.OWNER), [organisation], name="first")
    client = _signed_in(admin)

    def grow():
        for n in range(5):
            token_for(member(Role.VIEWER), [organisation], name=f"more {n}")

    before, after = assert_same_queries(
        lambda: client.get(_settings(organisation)), grow, at_most=15
    )
    assert before.status_code == after.status_code == 200
    assert "more 4" in after.content.decode()


# --- CSRF --------------------------------------------------------------------------------------


def test_every_post_needs_the_csrf_token(organisation, member, token_for):
    admin = member(Role.ADMIN)
    mine, _ = token_for(admin, [organisation], name="mine")
    theirs, _ = token_for(member(Role.OWNER), [organisation], name="theirs")
    strict = _signed_in(admin, enforce_csrf_checks=True)
    assert _create(strict, [organisation], name="forged").status_code == 403
    assert strict.post(reverse("account_api_token_revoke", args=[mine.pk])).status_code == 403
    assert strict.post(_admin_revoke(organisation, theirs)).status_code == 403
    assert not ApiToken.objects.filter(name="forged").exists()
    for token in (mine, theirs):
        token.refresh_from_db()
        assert token.revoked_at is None and token.organisations.count() == 1
    # With the token from the form, the same POST goes through.
    page = strict.get(TOKENS).content.decode()
    csrf = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = _create(strict, [organisation], name="real", csrfmiddlewaretoken=csrf)
    assert response.status_code == 200
    assert ApiToken.objects.filter(name="real").exists()
