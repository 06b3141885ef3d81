"""Setting up an authenticator app on a phone: the page offered only a QR code, which the phone
showing it cannot scan, and the key behind "I cannot scan the QR code". It now also has an
``otpauth://`` link that opens the phone's authenticator app with the same key the QR code holds,
and the key itself in view, as text that copies without the spaces between its groups."""

from __future__ import annotations

import base64
import html
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from allauth.mfa.adapter import get_adapter
from django.conf import settings
from django.urls import reverse

from tests.accounts.test_second_factor import recently_signed_in
from tests.accounts.totp import code_now
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(
    r'<a [^>]*id="authenticator_link" href="([^"]+)">Open in your authenticator app</a>'
)
QR = re.compile(r'<img src="data:image/svg\+xml;base64,([^"]+)"')
KEY = re.compile(r'<code id="authenticator_secret"[^>]*>(.*?)</code>', re.S)


def test_the_link_opens_the_app_with_the_key_the_qr_code_holds(client):
    user = UserFactory(email="val.viewer@example.test")
    client.force_login(user)
    recently_signed_in(client, user)

    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    page = response.content.decode()
    secret = client.session["mfa.totp.secret"]

    link = html.unescape(LINK.search(page).group(1))
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == f"/{user.email}"
    query = parse_qs(parts.query)
    assert query["secret"] == [secret] and query["issuer"] == [settings.MFA_TOTP_ISSUER]
    # The QR code is the drawing of exactly this address (allauth draws it, deterministically).
    qr = base64.b64decode(QR.search(page).group(1)).decode()
    assert qr == get_adapter().build_totp_svg(link)

    # The key in view, not behind a details element, whole once its tags are gone: a copy
    # pastes the key alone, which every app takes.
    key = KEY.search(page).group(1)
    assert re.sub(r"<[^>]+>", "", key) == secret
    assert "I cannot scan the QR code" not in page

    # And the app set up from the link's key is the one riskreg accepts.
    response = client.post(reverse("mfa_activate_totp"), {"code": code_now(query["secret"][0])})
    assert response.status_code == 302
