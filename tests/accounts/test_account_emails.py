"""django-allauth's e-mails in the house style: each a text and an HTML part, riskreg's subject
prefix, a greeting and our footer instead of allauth's "Hello from example.com", every link
absolute from RISKREG_BASE_URL; a person is told when their password, address or second
factors change (ACCOUNT_EMAIL_NOTIFICATIONS)."""

from __future__ import annotations

import re

import pytest
from allauth.account.adapter import get_adapter
from allauth.core import context
from django.conf import settings as django_settings
from django.test import RequestFactory

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE_URL = "https://risks.example.test"
CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)
# (template prefix, extra context, subject, words the text must hold)
NOTIFICATIONS = [
    ("account/email/password_changed", {}, "Your password was changed", "was changed"),
    ("account/email/password_set", {}, "A password was set for your account", "was set"),
    ("account/email/password_reset", {}, "Your password was reset", "signed out"),
    (
        "account/email/email_changed",
        {"from_email": "old@example.test", "to_email": "new@example.test"},
        "Your e-mail address was changed",
        "from old@example.test to new@example.test",
    ),
    (
        "account/email/email_deleted",
        {"deleted_email": "spare@example.test"},
        "An e-mail address was removed from your account",
        "spare@example.test was removed",
    ),
    ("mfa/email/totp_activated", {}, "Authenticator app added", "authenticator app was set up"),
    ("mfa/email/totp_deactivated", {}, "Authenticator app removed", "app was removed"),
    ("mfa/email/webauthn_added", {}, "Security key added", "security key or passkey was added"),
    ("mfa/email/webauthn_removed", {}, "Security key removed", "passkey was removed"),
    (
        "mfa/email/recovery_codes_generated",
        {},
        "New recovery codes",
        "old codes no longer work",
    ),
]
LINK = re.compile(r"https?://\S+")
HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.RISKREG_BASE_URL = BASE_URL


def test_notifications_are_on():
    assert django_settings.ACCOUNT_EMAIL_NOTIFICATIONS is True


@pytest.mark.parametrize(("prefix", "extra", "subject", "words"), NOTIFICATIONS)
def test_each_notification_in_the_house_style(prefix, extra, subject, words, send_queued_email):
    person = UserFactory(email="ann.smith@example.test", full_name="Ann Smith")
    # A request from someone signed in elsewhere (the e-mail is about what they did), on a host
    # the e-mail must not trust.
    request = RequestFactory(HTTP_USER_AGENT=CHROME_ON_WINDOWS).get("/", HTTP_HOST="evil.test")
    request.user = person
    with send_queued_email() as outbox, context.request_context(request):
        get_adapter(request).send_notification_mail(prefix, person, extra)
    (message,) = outbox
    assert message.to == [person.email]
    assert message.subject == f"riskreg: {subject}"
    text = message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html" and html.startswith("<!DOCTYPE html>")
    assert text.startswith("Hello Ann,") and "<p>Hello Ann,</p>" in html
    assert words in text and words in html
    assert "Edge on Windows" in text and "Edge on Windows" in html
    assert "Mozilla" not in text
    for part in (text, html):
        assert "example.com" not in part and "Hello from" not in part
        assert "Thank you for using" not in part and "evil.test" not in part
    links = LINK.findall(text) + HREF.findall(html)
    assert f"{BASE_URL}/accounts/you/" in links
    assert all(link.startswith(BASE_URL) for link in links), links


def test_a_notification_after_a_reset_greets_without_a_name(send_queued_email):
    """Reset by a link, nobody is signed in: the e-mail says "Hello," and names the address."""
    from django.contrib.auth.models import AnonymousUser

    person = UserFactory(email="ann.smith@example.test", full_name="Ann Smith")
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with send_queued_email() as outbox, context.request_context(request):
        get_adapter(request).send_notification_mail("account/email/password_reset", person)
    (message,) = outbox
    assert message.body.startswith("Hello,\n")
    assert "(ann.smith@example.test)" in message.body
