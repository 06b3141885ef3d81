"""The authenticator app set-up page names the entry as the app will list it: the issuer the
``otpauth://`` address carries (``MFA_TOTP_ISSUER``, from ``RISKREG_TOTP_ISSUER``) and the
account, not "riskreg" whatever the installation calls itself; the pages that turn the app off
and ask for its code name the same entry."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.templatetags.riskreg_accounts import otpauth_account
from tests.accounts.test_authenticator_setup import LINK
from tests.accounts.test_second_factor import give_totp, recently_signed_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ISSUER = "Essex Police & Crime Commissioner"


def text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@override_settings(MFA_TOTP_ISSUER=ISSUER)
def test_the_set_up_page_names_the_issuer_its_address_carries(client):
    user = UserFactory(email="val.viewer@example.test")
    client.force_login(user)
    recently_signed_in(client, user)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    link = html.unescape(LINK.search(response.content.decode()).group(1))
    assert parse_qs(urlsplit(link).query)["issuer"] == [ISSUER]  # what the app will list

    page = text(response)
    assert f"Account {ISSUER} (val.viewer@example.test)" in page
    assert f"Add {ISSUER} to the app in one of these ways" in page
    assert f"Type the code the app shows for {ISSUER}." in page
    assert f"The 6-digit code the app shows for {ISSUER} after you have added it." in page
    assert "riskreg (" not in page and "Add riskreg" not in page
    assert f'alt="QR code that adds {html.escape(ISSUER)} to' in response.content.decode()


@override_settings(MFA_TOTP_ISSUER=ISSUER)
def test_the_page_turning_it_off_names_the_same_entry(client):
    user = UserFactory()
    give_totp(user)
    client.force_login(user)
    recently_signed_in(client, user)
    response = client.get(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert f"You can delete the {ISSUER} entry from the app afterwards." in text(response)


@override_settings(MFA_TOTP_ISSUER=ISSUER)
def test_asking_for_a_code_again_names_it_too(client):
    user = UserFactory()
    give_totp(user)
    client.force_login(user)
    response = client.get(reverse("mfa_reauthenticate"))
    assert response.status_code == 200
    page = text(response)
    assert f"type the code your authenticator app shows for {ISSUER} now." in page
    assert f"The 6-digit code your authenticator app shows for {ISSUER} now" in page
    assert "for riskreg" not in page


def test_an_address_is_read_as_an_app_reads_it():
    plain = otpauth_account("otpauth://totp/ann%40example.test?secret=AB&issuer=Met%20Risk")
    assert (plain.issuer, plain.label) == ("Met Risk", "ann@example.test")
    prefixed = otpauth_account("otpauth://totp/WMP%3A%20ann%40example.test?secret=AB")
    assert (prefixed.issuer, prefixed.label) == ("WMP", "ann@example.test")
    assert (otpauth_account("").issuer, otpauth_account(None).label) == ("", "")
