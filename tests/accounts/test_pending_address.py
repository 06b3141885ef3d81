"""An address a person asked to change to and has not confirmed (an unconfirmed allauth row)
finds no account: no password reset link goes to it and it does not sign in. Only the account's
sign-in address (``User.email``, whatever its case) or a confirmed row finds an account, and an
admin's change of the address (a recovery) removes every other row, pending or not, so its
confirmation link confirms nothing (decision 100). Before, allauth's look-up fell back to
unconfirmed rows when nobody had the address confirmed: whoever had added a pending address (with
a stolen session, or by a typo) kept a way back into the account after an admin's recovery."""

from __future__ import annotations

import re

import pytest
from allauth.account import app_settings as allauth_settings
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from registers.selectors.sign_in import accounts_by_sign_in_address
from tests.accounts.test_password_reset import BASE_URL, link_from, request_reset
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ANN = "ann.smith@example.test"
ANN_NEW = "ann.jones@example.test"
PENDING = "attacker@evil.test"
UNKNOWN = "nobody@example.test"
CONFIRM_LINK = re.compile(r"^https://risks\.example\.test(/accounts/confirm-email/\S+/)$", re.M)


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.RISKREG_BASE_URL = BASE_URL
    cache.clear()  # allauth's rate limits count in the cache
    yield
    cache.clear()


@pytest.fixture
def person():
    return UserFactory(email=ANN, full_name="Ann Smith")


def addresses(user) -> list[tuple]:
    return list(
        EmailAddress.objects.filter(user=user)
        .order_by("email")
        .values_list("email", "verified", "primary")
    )


def signed_in(user, email: str | None = None) -> Client:
    client = Client()
    response = client.post("/login/", {"login": email or user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def ask_to_change(client: Client, send_queued_email, new: str) -> str:
    """The e-mail page's change to ``new``: the path of the confirmation link sent to it."""
    with send_queued_email() as outbox:
        before = len(outbox)
        response = client.post(reverse("account_email"), {"email": new, "action_add": ""})
    assert response.status_code == 302, response.content.decode()[:500]
    (message,) = outbox[before:]
    assert message.to == [new]
    (link,) = CONFIRM_LINK.findall(message.body)
    return link


def resets_sent(send_queued_email, email: str):
    """The answer to a reset request for ``email``, and the e-mails it sent (the outbox holds
    the test's earlier ones too)."""
    with send_queued_email() as outbox:
        before = len(outbox)
        response = request_reset(Client(), email)
    return (response.status_code, response["Location"]), outbox[before:]


def test_after_an_admins_recovery_the_pending_address_gets_nothing(person, send_queued_email):
    """The reviewer's scenario: whoever holds a session asks to change the address to their own
    mailbox; an admin recovers the account by setting a new address in the Django admin. The
    pending address gets no reset link, and its confirmation link no longer changes anything."""
    attacker = signed_in(person)
    link = ask_to_change(attacker, send_queued_email, PENDING)
    superuser = UserFactory(is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(superuser)
    response = admin.post(
        reverse("admin:registers_user_change", args=[person.pk]),
        {
            "email": ANN_NEW,
            "full_name": person.full_name,
            "job_title": "",
            "is_active": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert addresses(person) == [(ANN_NEW, True, True)]

    answer, sent = resets_sent(send_queued_email, PENDING)
    assert sent == []
    assert answer == resets_sent(send_queued_email, UNKNOWN)[0]
    # The link sent to the pending address confirms nothing now.
    with send_queued_email() as outbox:
        before = len(outbox)
        attacker.post(link)
        Client().post(link)
    person.refresh_from_db()
    assert person.email == ANN_NEW
    assert addresses(person) == [(ANN_NEW, True, True)]
    assert outbox[before:] == []
    refused = Client().post("/login/", {"login": PENDING, "password": PASSWORD})
    assert "_auth_user_id" not in refused.wsgi_request.session
    # The recovered address gets its link.
    _, (message,) = resets_sent(send_queued_email, ANN_NEW)
    assert message.to == [ANN_NEW]
    link_from(message)


def test_a_pending_change_gets_no_reset_link_until_confirmed(person, send_queued_email):
    """The owner of a mistyped (or not yet confirmed) address gets nothing for it; the person's
    confirmed address gets the link meanwhile; once the link is followed the new address
    replaces the old, for resets and for signing in."""
    client = signed_in(person)
    link = ask_to_change(client, send_queued_email, ANN_NEW)
    assert addresses(person) == [(ANN_NEW, False, False), (ANN, True, True)]

    answer, sent = resets_sent(send_queued_email, ANN_NEW)
    assert sent == []
    assert answer == resets_sent(send_queued_email, UNKNOWN)[0]
    assert answer == resets_sent(send_queued_email, ANN.upper())[0]  # same answer, link sent
    _, (message,) = resets_sent(send_queued_email, ANN)
    assert message.to == [ANN]
    link_from(message)
    refused = Client().post("/login/", {"login": ANN_NEW, "password": PASSWORD})
    assert "_auth_user_id" not in refused.wsgi_request.session

    # Confirming the change: the new address replaces the old.
    with send_queued_email():
        assert client.post(link).status_code == 302
    person.refresh_from_db()
    assert person.email == ANN_NEW
    assert addresses(person) == [(ANN_NEW, True, True)]
    assert resets_sent(send_queued_email, ANN)[1] == []
    _, (message,) = resets_sent(send_queued_email, ANN_NEW)
    assert message.to == [ANN_NEW]
    assert signed_in(person).session["_auth_user_id"] == str(person.pk)


def test_another_accounts_pending_row_does_not_share_an_address(send_queued_email):
    """An account from before decision 96 (no allauth row) and another account's pending change
    to its address: the reset goes to the account that signs in with it, and only to it."""
    holder = UserFactory(email=ANN, sign_in_address=False)
    other = UserFactory(email="other@example.test")
    EmailAddress.objects.create(user=other, email=ANN, verified=False)
    _, sent = resets_sent(send_queued_email, ANN)
    (message,) = sent
    assert message.to == [ANN]
    assert f"/accounts/password/reset/key/{user_pk_to_url_str(holder)}-" in link_from(message)
    assert accounts_by_sign_in_address(email=ANN) == [holder]


def test_the_look_up_finds_the_sign_in_address_or_a_confirmed_row_only(person):
    confirmed = UserFactory(email="bo@example.test")
    EmailAddress.objects.create(user=confirmed, email="bo.old@example.test", verified=True)
    EmailAddress.objects.create(user=person, email=PENDING, verified=False)
    inactive = UserFactory(email="cy@example.test", is_active=False)

    assert accounts_by_sign_in_address(email=" Ann.Smith@EXAMPLE.test ") == [person]
    assert accounts_by_sign_in_address(email="BO.OLD@example.test") == [confirmed]
    assert accounts_by_sign_in_address(email=PENDING) == []
    assert accounts_by_sign_in_address(email="") == []
    assert accounts_by_sign_in_address(email="cy@example.test") == [inactive]
    assert accounts_by_sign_in_address(email="cy@example.test", is_active=True) == []


def test_allauths_flows_by_code_stay_off():
    """Signing in by a code and resetting by a code find the account through allauth's forms:
    the reset form is ours (``ACCOUNT_FORMS["reset_password"]``, which a reset by code uses too);
    a sign-in by code would need ``ACCOUNT_FORMS["request_login_code"]`` to use
    ``accounts_by_sign_in_address`` before it is turned on."""
    assert not allauth_settings.LOGIN_BY_CODE_ENABLED
    assert allauth_settings.FORMS["reset_password"].startswith("accounts.")
