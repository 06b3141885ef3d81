"""Sign-in throttling per address across accounts (riskreg.security.ThrottleHandler): one address
trying passwords on many accounts is paused after RISKREG_LOGIN_ADDRESS_FAILURE_LIMIT failures
in the cool-off, on top of the pause per account and address (decision 13). The limit is well
above the per-account one, so one person's typos never pause a shared office address; the
pause ends by itself. Everything goes through the real login form."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.test import Client
from django.urls import reverse

from riskreg.security import ADDRESS_PAUSED
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

OFFICE = "198.51.100.20"  # documentation range (RFC 5737)
ELSEWHERE = "203.0.113.9"


def sign_in(email: str, password: str, *, ip: str = OFFICE):
    return Client().post(reverse("login"), {"login": email, "password": password}, REMOTE_ADDR=ip)


def spray(accounts, per_account: int, *, ip: str = OFFICE) -> list[int]:
    """Wrong passwords, ``per_account`` on each account, as a password spray does."""
    return [
        sign_in(account.email, f"guess-{n}", ip=ip).status_code
        for account in accounts
        for n in range(per_account)
    ]


def test_the_per_address_limit_is_markedly_higher_than_the_per_account_one():
    assert settings.RISKREG_LOGIN_ADDRESS_FAILURE_LIMIT >= 4 * settings.AXES_FAILURE_LIMIT


def test_one_address_trying_many_accounts_is_paused(settings):
    limit = settings.RISKREG_LOGIN_ADDRESS_FAILURE_LIMIT
    per_account = settings.AXES_FAILURE_LIMIT - 1  # never enough to pause any one account
    accounts = UserFactory.create_batch(-(-limit // per_account))
    statuses = spray(accounts, per_account)
    # every failure before the limit is an ordinary "wrong password"; the limit-th pauses
    assert statuses[: limit - 1] == [400] * (limit - 1)
    assert statuses[limit - 1] == 429

    # any account from that address now, even with the right password: paused, saying why
    bystander = UserFactory()
    response = sign_in(bystander.email, PASSWORD)
    assert response.status_code == 429
    assert ADDRESS_PAUSED in response.content.decode()
    # the advice fits a paused address (colleagues too), not a forgotten password
    assert "they are paused too" in response.content.decode()
    assert "forgotten" not in response.content.decode()
    assert int(response["Retry-After"]) in range(14 * 60, 15 * 60 + 1)
    # the same accounts from elsewhere are not locked out
    assert sign_in(bystander.email, PASSWORD, ip=ELSEWHERE).status_code == 302
    assert sign_in(accounts[0].email, PASSWORD, ip=ELSEWHERE).status_code == 302

    # a pause, never a lockout: once the cool-off has passed the address signs in again
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    )
    assert sign_in(bystander.email, PASSWORD).status_code == 302


def test_a_shared_office_is_not_paused_by_typos_below_the_limit(settings):
    """Several people behind one address each mistyping (one of them until paused): colleagues
    still sign in."""
    limit = settings.RISKREG_LOGIN_ADDRESS_FAILURE_LIMIT
    typist = UserFactory()
    assert spray([typist], settings.AXES_FAILURE_LIMIT)[-1] == 429  # that person is paused
    others = UserFactory.create_batch(3)
    spray(others, 2)
    assert AccessAttempt.objects.filter(ip_address=OFFICE).count() == 4
    failures = settings.AXES_FAILURE_LIMIT + 6
    assert failures < limit
    colleague = UserFactory()
    assert sign_in(colleague.email, PASSWORD).status_code == 302
    assert sign_in(typist.email, PASSWORD).status_code == 429  # still their own pause


def test_a_colleagues_success_does_not_clear_the_address_count(settings):
    limit = settings.RISKREG_LOGIN_ADDRESS_FAILURE_LIMIT
    per_account = settings.AXES_FAILURE_LIMIT - 1
    accounts = UserFactory.create_batch(-(-limit // per_account))
    spray(accounts[:-1], per_account)
    assert sign_in(UserFactory().email, PASSWORD).status_code == 302
    statuses = spray(accounts[-1:], per_account)
    assert 429 in statuses
