"""Password reset on django-allauth's pages: the request answers the same whatever the address,
only an account's address gets an e-mail, links work once and for an hour, a reset signs the
person out everywhere else, requests are throttled, single-sign-on-only domains get sign-in
instructions instead of a link, and the security log records requests and completions without
the address typed, the token or the password."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from allauth.account.forms import EmailAwarePasswordResetTokenGenerator
from allauth.account.utils import user_pk_to_url_str
from django.core.cache import cache
from django.urls import reverse

from accounts.forms_password import EMAIL_INVALID, PASSWORDS_DIFFER
from accounts.models import SingleSignOnDomain, SingleSignOnProvider
from accounts.password_reset import UNKNOWN_ACCOUNT
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE_URL = "https://risks.example.test"
NEW_PASSWORD = "violet-harbour-lantern-42"  # noqa: S105
RESET = "/accounts/password/reset/"
LINK = re.compile(r"^(https://risks\.example\.test/accounts/password/reset/key/\S+)$", re.M)


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.RISKREG_BASE_URL = BASE_URL
    # allauth's rate limits count in the cache: every test starts with none used.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def person(db):
    return UserFactory(email="ann.smith@example.test", full_name="Ann Smith")


def request_reset(client, email: str, **extra):
    return client.post(RESET, {"email": email}, **extra)


def link_from(message) -> str:
    (link,) = LINK.findall(message.body)
    return link


def security_lines(caplog) -> list[str]:
    """The security log's password reset lines (the factories' own lines left out)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "riskreg.security" and "password reset" in r.getMessage()
    ]


def test_sign_in_page_links_to_forgot_password(client):
    for response in (client.get("/login/"), client.post("/login/", {"login": "a@b.test"})):
        assert f'href="{reverse("account_reset_password")}"' in response.content.decode()
        assert "Forgot your password?" in response.content.decode()


def test_request_page_in_our_layout(client):
    page = client.get(RESET).content.decode()
    assert "Reset your password" in page and "govuk-header" not in page
    assert 'class="govuk-service-navigation' in page  # base.html's header
    assert 'autocomplete="email"' in page


def test_an_account_gets_a_link_by_e_mail(client, person, send_queued_email, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    with send_queued_email() as outbox:
        response = request_reset(client, "  Ann.Smith@Example.TEST ")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    (message,) = outbox
    assert message.to == ["ann.smith@example.test"]
    assert message.subject == "riskreg: Reset your password"
    link = link_from(message)
    assert "works once, for 1 hour" in message.body
    assert f"{BASE_URL}{RESET}" in message.body  # where to ask again
    assert message.body.startswith("Hello Ann,")
    html, kind = message.alternatives[0]
    assert kind == "text/html" and f'href="{link}"' in html
    for text in (message.body, html):
        assert "example.com" not in text and "Hello from" not in text
    assert security_lines(caplog) == [f"password reset requested: user={person.pk} ip=127.0.0.1"]


def test_unknown_address_gets_the_same_answer_and_no_e_mail(
    client, person, send_queued_email, caplog
):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    with send_queued_email() as outbox:
        known = request_reset(client, person.email)
        unknown = request_reset(client, "nobody@example.test")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert len(outbox) == 1 and outbox[0].to == [person.email]
    done = client.get(known["Location"]).content.decode()
    assert "If the address you entered has a riskreg account" in done
    assert "nobody@example.test" not in done
    lines = security_lines(caplog)
    assert lines[-1] == f"password reset requested: user={UNKNOWN_ACCOUNT} ip=127.0.0.1"
    assert not any("nobody" in line or person.email in line for line in lines)


def test_inactive_account_gets_nothing(client, person, send_queued_email):
    person.is_active = False
    person.save()
    with send_queued_email() as outbox:
        assert request_reset(client, person.email).status_code == 302
    assert outbox == []


def test_a_bad_address_is_explained(client):
    response = request_reset(client, "not an address")
    page = response.content.decode()
    assert "govuk-error-summary" in page and EMAIL_INVALID in page


def reset_with(client, link: str, password: str = NEW_PASSWORD, again: str | None = None):
    """Open the link (it moves the key into the session and redirects), then post the form."""
    opened = client.get(link.removeprefix(BASE_URL))
    assert opened.status_code == 302 and "set-password" in opened["Location"]
    form = client.get(opened["Location"])
    assert "Choose a new password" in form.content.decode()
    return client.post(opened["Location"], {"password1": password, "password2": again or password})


def test_the_link_sets_a_new_password_once(client, person, send_queued_email, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    with send_queued_email() as outbox:
        request_reset(client, person.email)
    link = link_from(outbox[0])
    with send_queued_email() as outbox:
        response = reset_with(client, link)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD) and not person.check_password(PASSWORD)
    # Told by e-mail, in the house style.
    (request_email, notice) = outbox  # one outbox for the whole test
    assert notice.subject == "riskreg: Your password was reset" and notice.to == [person.email]
    assert "Hello from" not in notice.body and f"{BASE_URL}/accounts/you/" in notice.body
    done = client.get(response["Location"]).content.decode()
    assert "Sign in with your new password" in done
    # Not signed in by the link: the new password is what signs in.
    assert "_auth_user_id" not in client.session
    lines = security_lines(caplog)
    assert f"password reset completed: user={person.pk} ip=127.0.0.1" in lines
    # The account's own change line names no signed-in person (not "command": it was the web).
    every = [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]
    assert f"account changed: user={person.pk}: password by=anonymous" in every
    token = link.rstrip("/").rsplit("/", 1)[-1]
    for line in lines:
        assert token not in line and NEW_PASSWORD not in line and person.email not in line

    # The same link again: spent.
    again = client.get(link.removeprefix(BASE_URL))
    page = again.content.decode()
    assert again.status_code == 200
    assert "This link no longer works" in page and "already been used" in page
    assert f'href="{RESET}"' in page and "Ask for a new link" in page
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)


def test_an_expired_link_says_so(client, person):
    # allauth's own generator (ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR), run as if an hour and a
    # minute ago: the link the e-mail of that time held.
    class AnHourAndAMinuteAgo(EmailAwarePasswordResetTokenGenerator):
        def _now(self):
            return dt.datetime.now() - dt.timedelta(minutes=61)  # noqa: DTZ005  as Django's

    token = AnHourAndAMinuteAgo().make_token(person)
    url = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(person), "key": token},
    )
    response = client.get(url)
    page = response.content.decode()
    assert "This link no longer works" in page and "it has expired" in page
    assert "Ask for a new link" in page
    # A link made now works.
    fresh = EmailAwarePasswordResetTokenGenerator().make_token(person)
    url = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(person), "key": fresh},
    )
    assert client.get(url).status_code == 302


def test_mismatched_passwords_are_explained(client, person, send_queued_email):
    with send_queued_email() as outbox:
        request_reset(client, person.email)
    response = reset_with(client, link_from(outbox[0]), again="something-else-entirely-9")
    page = response.content.decode()
    assert "govuk-error-summary" in page and PASSWORDS_DIFFER in page
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_a_reset_signs_out_every_other_session(
    client, django_user_model, person, send_queued_email
):
    from django.test import Client

    elsewhere, another = Client(), Client()
    elsewhere.force_login(person)
    another.login(username=person.email, password=PASSWORD)
    for other in (elsewhere, another):
        assert other.get(reverse("account")).status_code == 200
    with send_queued_email() as outbox:
        request_reset(client, person.email)
    reset_with(client, link_from(outbox[0]))
    for other in (elsewhere, another):
        response = other.get(reverse("account"))
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_too_many_requests_from_one_address(client, person, send_queued_email):
    with send_queued_email() as outbox:
        for n in range(20):
            assert request_reset(client, f"someone{n}@example.test").status_code == 302
        refused = request_reset(client, person.email)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Too many requests" in page and "no e-mail has been sent" in page
    assert outbox == []
    # Another address is not held back by this one.
    assert request_reset(client, person.email, REMOTE_ADDR="10.1.2.3").status_code == 302


def test_too_many_requests_for_one_account(client, person, send_queued_email):
    with send_queued_email() as outbox:
        for n in range(5):
            response = request_reset(client, person.email, REMOTE_ADDR=f"10.0.0.{n + 1}")
            assert response.status_code == 302
        refused = request_reset(client, person.email.upper(), REMOTE_ADDR="10.0.0.99")
    assert refused.status_code == 429
    assert len(outbox) == 5
    # The same for an address with no account, so the limit tells nothing either.
    for n in range(5):
        request_reset(client, "nobody@example.test", REMOTE_ADDR=f"10.0.1.{n + 1}")
    assert request_reset(client, "nobody@example.test").status_code == 429


def test_too_many_reset_links_from_one_address(client):
    """Guessing links: posting new passwords with made-up keys (opening a link is not counted)."""
    url = reverse("account_reset_password_from_key", kwargs={"uidb36": "1", "key": "guess"})
    guess = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    for _ in range(20):
        assert "This link no longer works" in client.post(url, guess).content.decode()
    refused = client.post(url, guess)
    assert refused.status_code == 429
    assert "open the link in your e-mail again" in refused.content.decode()


@pytest.fixture
def sso_only(db):
    organisation = OrganisationFactory(name="Example Police", slug="police")
    provider = SingleSignOnProvider.objects.create(
        organisation=organisation,
        key="police-entra",
        name="Microsoft Entra ID",
        issuer="https://login.example.test/police/v2.0",
        client_id="riskreg",
        client_secret_env="POLICE_SECRET",
        only_way_in=True,
    )
    SingleSignOnDomain.objects.create(provider=provider, domain="police.example.test")
    return provider


def test_single_sign_on_only_gets_sign_in_instructions(client, sso_only, send_queued_email, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    officer = MembershipFactory(
        organisation=sso_only.organisation, user__email="pc.jones@police.example.test"
    ).user
    with send_queued_email() as outbox:
        response = request_reset(client, officer.email)
    assert response["Location"] == reverse("account_reset_password_done")
    (message,) = outbox
    assert message.subject == "riskreg: How to sign in to riskreg"
    assert "/password/reset/key/" not in message.body
    assert "Example Police signs you in with its own sign-in service (Microsoft Entra ID)" in (
        message.body
    )
    assert f"{BASE_URL}/login/" in message.body
    assert f'href="{BASE_URL}/login/"' in message.alternatives[0][0]
    assert security_lines(caplog) == [f"password reset requested: user={officer.pk} ip=127.0.0.1"]


def test_single_sign_on_that_allows_passwords_gets_a_link(client, sso_only, send_queued_email):
    sso_only.only_way_in = False
    sso_only.save()
    officer = UserFactory(email="pc.jones@police.example.test")
    with send_queued_email() as outbox:
        request_reset(client, officer.email)
    assert LINK.search(outbox[0].body)


def test_an_account_made_without_a_password_gets_in_by_a_reset(client, send_queued_email):
    """add_member without --password or --invite makes an account with no usable password (the
    README points such people to "Forgot your password?")."""
    from django.core.management import call_command

    organisation = OrganisationFactory()
    call_command("add_member", "--org", organisation.slug, "--email", "new@example.test",
                 "--role", "viewer")  # fmt: skip
    with send_queued_email() as outbox:
        request_reset(client, "new@example.test")
    link = link_from(outbox[-1])
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    signed_in = client.post(
        reverse("login"), {"login": "new@example.test", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
