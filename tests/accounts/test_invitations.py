"""The invitation acceptance page (accounts/invitations.py): who invited whom to what, the name
and password form, signing in through allauth's flow, single sign-on offered where the
organisation has it, plain refusals for links that cannot be used, and the throttle."""

from __future__ import annotations

import html
import logging
from datetime import timedelta

import pytest
from allauth.account.authentication import get_authentication_records
from allauth.account.models import EmailAddress
from allauth.core.internal.ratelimit import parse_rates
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.forms_invitations import NAME_NEEDED, PASSWORDS_DIFFER
from accounts.invitations import ACCEPT_THROTTLED, OTHER_ADDRESS, SSO_ONLY
from accounts.models import SingleSignOnProvider
from registers.models import Invitation, Membership, Role, User
from registers.services.invitations import (
    ALREADY_HAS_ACCOUNT,
    INVITATION_EXPIRED,
    INVITATION_UNKNOWN,
    INVITATION_USED,
    INVITATION_WITHDRAWN,
    invitation_accept,
    invitation_send,
    invitation_withdraw,
)
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Heron-lantern-47-quay"  # noqa: S105


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth counts attempts in the cache: no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin(organisation):
    return MembershipFactory(
        organisation=organisation, role=Role.ADMIN, user__full_name="Ada Admin"
    ).user


@pytest.fixture
def sent(organisation, admin, send_queued_email):
    """An invitation to be a risk owner and its link's path (from the e-mail)."""
    with send_queued_email() as outbox:
        invitation = invitation_send(
            organisation=organisation,
            email="nia.new@example.org",
            role=Role.OWNER,
            invited_by=admin,
        ).invitation
    (message,) = outbox
    link = next(line for line in message.body.splitlines() if "/invitations/" in line)
    return invitation, link.split(settings.RISKREG_BASE_URL.rstrip("/"), 1)[1]


def form(**fields) -> dict:
    return {
        "full_name": "Nia New",
        "job_title": "Head of Assurance",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **fields,
    }


def text(response) -> str:
    return html.unescape(" ".join(response.content.decode().split()))


def test_the_page_says_who_invited_them_to_what(client, sent, organisation, admin):
    invitation, path = sent
    response = client.get(path)
    page = text(response)
    assert response.status_code == 200
    assert f"Join {organisation.display_name} on riskreg" in page
    assert f"Ada Admin ({admin.email}) has invited you to join {organisation.name}" in page
    assert "as a risk owner or manager." in page
    assert "nia.new@example.org" in page
    for field in ("id_full_name", "id_job_title", "id_password1", "id_password2"):
        assert f'id="{field}"' in page
    assert 'autocomplete="new-password"' in page
    assert "Sign in with" not in page  # no single sign-on for this domain
    assert not User.objects.filter(email="nia.new@example.org").exists()  # GET changes nothing


def test_an_ordinary_sign_in_still_says_who_signed_in(client):
    user = MembershipFactory(user__full_name="Ola Ordinary").user
    response = client.post(
        reverse("login"), {"login": user.email, "password": PASSWORD}, follow=True
    )
    banners = [str(message) for message in response.context["messages"]]
    assert any(banner.startswith("Successfully signed in as Ola Ordinary") for banner in banners)


def test_accepting_signs_them_in_on_the_dashboard(client, sent, organisation, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    invitation, path = sent
    response = client.post(path, form())
    assert response.status_code == 302
    assert response.url == reverse("organisation", args=[organisation.slug])
    dashboard = client.get(response.url)
    assert dashboard.status_code == 200
    user = User.objects.get(email="nia.new@example.org")
    assert dashboard.wsgi_request.user == user
    banners = [str(message) for message in dashboard.context["messages"]]
    # One banner: allauth's "Successfully signed in as ..." said it again.
    assert banners == [f"Welcome to {organisation.display_name}: you are a risk owner or manager."]
    assert user.full_name == "Nia New" and user.job_title == "Head of Assurance"
    assert user.check_password(NEW_PASSWORD)
    assert Membership.objects.get(user=user, organisation=organisation).role == Role.OWNER
    assert EmailAddress.objects.get(user=user).verified
    # allauth's own bookkeeping ran: the session records how they signed in.
    records = get_authentication_records(dashboard.wsgi_request, user)
    assert [record["method"] for record in records] == ["password"]
    lines = [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]
    assert any(
        line.startswith(f"invitation accepted: invitation={invitation.pk}") for line in lines
    )
    token = path.rstrip("/").rsplit("/", 1)[1]
    # (django-axes logs the path of the request that signs someone in, with the token: by then
    # it is spent. riskreg's own security log never holds it.)
    assert not any(token in line for line in lines)
    # The link is spent.
    again = Client().get(path)
    assert again.status_code == 410 and INVITATION_USED in text(again)


@pytest.mark.parametrize(
    ("fields", "message", "anchor"),
    [
        ({"password2": "something-else-entirely-9"}, PASSWORDS_DIFFER, "id_password2"),
        (
            {"password1": "password", "password2": "password"},
            "This password is too",
            "id_password1",
        ),
        (
            {"password1": "nia.new@example.org", "password2": "nia.new@example.org"},
            "too similar",
            "id_password1",
        ),
        ({"full_name": ""}, NAME_NEEDED, "id_full_name"),
    ],
)
def test_bad_input_is_shown_in_the_error_summary(client, sent, fields, message, anchor):
    invitation, path = sent
    response = client.post(path, form(**fields))
    page = text(response)
    assert response.status_code == 400
    assert "There is a problem" in page
    assert message in page
    assert f'href="#{anchor}"' in page
    assert not User.objects.filter(email="nia.new@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_expired_link_410(client, sent, organisation):
    invitation, path = sent
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    for response in (client.get(path), client.post(path, form())):
        assert response.status_code == 410
        assert INVITATION_EXPIRED.format(organisation=organisation.display_name) in text(response)
    assert not User.objects.filter(email="nia.new@example.org").exists()


def test_withdrawn_link_410(client, sent, organisation):
    invitation, path = sent
    invitation_withdraw(invitation=invitation)
    for response in (client.get(path), client.post(path, form())):
        assert response.status_code == 410
        assert INVITATION_WITHDRAWN.format(organisation=organisation.display_name) in (
            text(response)
        )
    assert not User.objects.filter(email="nia.new@example.org").exists()


def test_used_link_410(client, sent):
    invitation, path = sent
    invitation_accept(invitation=invitation, full_name="Nia", password=NEW_PASSWORD)
    response = client.get(path)
    assert response.status_code == 410 and INVITATION_USED in text(response)


def test_an_older_or_made_up_link_404(client, sent, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    for path in ("/invitations/not-a-real-token/", sent[1][:-5] + "AAAA/"):
        for response in (client.get(path), client.post(path, form())):
            assert response.status_code == 404
            assert INVITATION_UNKNOWN in text(response)
    assert "invitation link refused: invitation=- reason=unknown" in caplog.text
    assert not User.objects.filter(email="nia.new@example.org").exists()


def test_someone_signed_in_is_told_it_is_for_another_address(client, sent, organisation):
    invitation, path = sent
    someone = MembershipFactory(organisation=organisation, role=Role.VIEWER).user
    client.force_login(someone)
    for response in (client.get(path), client.post(path, form())):
        assert response.status_code == 403
        assert OTHER_ADDRESS.format(invited=invitation.email, current=someone.email) in (
            text(response)
        )
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not User.objects.filter(email="nia.new@example.org").exists()


def test_an_account_made_since_signs_in_then_joins(client, sent, organisation):
    invitation, path = sent
    person = UserFactory(email="nia.new@example.org", full_name="Nia Already")
    page = client.get(path)
    assert ALREADY_HAS_ACCOUNT.format(email=invitation.email) in text(page)
    assert f'href="{reverse("login")}?next={path}"' in page.content.decode().replace("%2F", "/")
    assert client.post(path, form()).status_code == 200  # no account made, nothing accepted
    client.force_login(person)
    assert "Join " in text(client.get(path))
    response = client.post(path)
    assert response.url == reverse("organisation", args=[organisation.slug])
    assert Membership.objects.get(user=person, organisation=organisation).role == Role.OWNER
    person.refresh_from_db()
    assert person.check_password(PASSWORD) and person.full_name == "Nia Already"


def provider_for(organisation, domain: str, **fields) -> SingleSignOnProvider:
    provider = SingleSignOnProvider.objects.create(
        organisation=organisation,
        key=f"{organisation.slug}-sso",
        name="Example Entra ID",
        issuer=f"https://login.{domain}/v2.0",
        client_id="client",
        client_secret_encrypted="not-a-real-secret",
        **fields,
    )
    provider.domains.create(domain=domain)
    return provider


def test_single_sign_on_is_offered_where_the_organisation_has_it(client, sent, organisation):
    invitation, path = sent
    provider_for(organisation, "example.org")
    page = client.get(path).content.decode()
    assert "Sign in with Example Entra ID" in page
    assert f'action="{reverse("login")}"' in page
    assert f'name="login" value="{invitation.email}"' in page
    assert 'id="id_password1"' in page  # a password is still allowed


def test_single_sign_on_only_hides_the_password_form(client, sent, organisation):
    invitation, path = sent
    provider_for(organisation, "example.org", only_way_in=True)
    page = client.get(path).content.decode()
    assert "Sign in with Example Entra ID" in page and 'id="id_password1"' not in page
    response = client.post(path, form())
    assert SSO_ONLY.format(
        organisation=organisation.display_name, domain="example.org", provider="Example Entra ID"
    ) in text(response)
    assert not User.objects.filter(email="nia.new@example.org").exists()


def test_another_organisations_provider_is_not_offered(client, sent, other_organisation):
    provider_for(other_organisation, "example.org")
    page = client.get(sent[1]).content.decode()
    assert "Sign in with" not in page and 'id="id_password1"' in page


def test_acceptance_is_throttled_per_address(client, sent, caplog):
    invitation, path = sent
    (rate,) = parse_rates(settings.ACCOUNT_RATE_LIMITS["invitation_accept"])
    assert rate.per == "ip"
    for _ in range(rate.amount):
        assert client.post(path, form(password2="does-not-match-1")).status_code == 400
    response = client.post(path, form())
    assert response.status_code == 429
    assert ACCEPT_THROTTLED in text(response)
    assert "invitation acceptance throttled: ip=127.0.0.1" in caplog.text
    # Another address is not paused, and the page itself still opens.
    assert client.get(path).status_code == 200
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.post(path, form()).status_code == 302
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_posts_are_csrf_checked(sent):
    invitation, path = sent
    client = Client(enforce_csrf_checks=True)
    response = client.post(path, form())
    assert response.status_code == 403
    assert not User.objects.filter(email="nia.new@example.org").exists()


def test_the_password_hint_is_the_one_every_password_page_gives(client, sent):
    from accounts.forms_password import NEW_PASSWORD_HINT

    _, path = sent
    page = client.get(path).content.decode()
    assert NEW_PASSWORD_HINT in page
    assert "can’t be entirely numeric" not in page  # Django's validator texts, run together
