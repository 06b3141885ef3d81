"""The local OpenID Connect provider that single sign-on is tested against is a real one: it
answers discovery and JWKS over HTTP, signs people in on its own login page, and hands out ID
tokens signed with the key it publishes."""

import os
import re
import secrets
import socket
import uuid
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import pytest
import requests

from tests.oidc_provider.server import LocalOidcProvider

CLIENT_SECRET = "client-secret-for-the-fixture-tests"
REDIRECT_URI = "http://localhost:8000/accounts/oidc/example/login/callback/"
PASSWORD = "correct horse battery staple"


class _Forms(HTMLParser):
    """The forms of a page: each one's action and the (name, value) pairs a browser would send
    (checkboxes only when checked)."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": []})
        elif tag == "input" and self.forms and attrs.get("name"):
            if attrs.get("type") == "checkbox" and "checked" not in attrs:
                return
            self.forms[-1]["fields"].append((attrs["name"], attrs.get("value") or ""))


def _form_with(html, field):
    """The one form on the page that has an input named ``field``, or None."""
    parser = _Forms()
    parser.feed(html)
    forms = [form for form in parser.forms if any(name == field for name, _ in form["fields"])]
    assert len(forms) <= 1, html
    return forms[0] if forms else None


def _unique_email():
    return f"person-{uuid.uuid4().hex[:12]}@example.gov.uk"


@pytest.fixture
def client_id(oidc_provider):
    client_id = f"riskreg-{uuid.uuid4().hex[:8]}"
    oidc_provider.add_client(client_id, CLIENT_SECRET, [REDIRECT_URI])
    return client_id


def _discovery(provider):
    response = requests.get(provider.discovery_url, timeout=10)
    assert response.status_code == 200
    return response.json()


def _sign_in_and_authorise(provider, client_id, *, email, password, state, nonce):
    """Drives the authorization code flow as a browser would, up to the redirect back to the
    client, signing in on the login page and granting consent when asked. Returns that redirect's
    query parameters (without fetching the redirect URI) and the pages met on the way."""
    config = _discovery(provider)
    session = requests.Session()
    response = session.get(
        config["authorization_endpoint"],
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
        },
        allow_redirects=False,
        timeout=10,
    )
    pages = []
    for _ in range(10):
        if response.status_code in (301, 302, 303, 307, 308):
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(REDIRECT_URI):
                return parse_qs(urlsplit(location).query), pages
            response = session.get(location, allow_redirects=False, timeout=10)
            continue
        login = _form_with(response.text, "password") if response.status_code == 200 else None
        consent = _form_with(response.text, "request") if response.status_code == 200 else None
        if login and "login" not in pages:
            pages.append("login")
            form = login
            fields = [
                (name, value)
                for name, value in login["fields"]
                if name not in ("login", "password", "remember")
            ]
            fields += [("login", email), ("password", password)]
        elif consent and "consent" not in pages:
            pages.append("consent")
            fields = [*consent["fields"], ("action", "grant")]
            form = consent
        else:
            pytest.fail(f"unexpected {response.status_code} at {response.url}:\n{response.text}")
        response = session.post(
            urljoin(response.url, form["action"]),
            data=fields,
            allow_redirects=False,
            timeout=10,
        )
    pytest.fail("the flow never redirected back to the client")


def _exchange_code(provider, client_id, code):
    config = _discovery(provider)
    response = requests.post(
        config["token_endpoint"],
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        auth=(client_id, CLIENT_SECRET),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _verified_id_token_claims(provider, client_id, id_token):
    """The ID token's claims, after checking its RS256 signature against the provider's JWKS,
    its audience, issuer and expiry."""
    jwks = requests.get(_discovery(provider)["jwks_uri"], timeout=10).json()
    kid = jwt.get_unverified_header(id_token)["kid"]
    key = jwt.PyJWKSet.from_dict(jwks)[kid]
    return jwt.decode(
        id_token,
        key=key.key,
        algorithms=["RS256"],
        audience=client_id,
        issuer=provider.issuer,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )


def _sign_in(provider, client_id, email):
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    returned, pages = _sign_in_and_authorise(
        provider, client_id, email=email, password=PASSWORD, state=state, nonce=nonce
    )
    assert returned["state"] == [state]
    tokens = _exchange_code(provider, client_id, returned["code"][0])
    claims = _verified_id_token_claims(provider, client_id, tokens["id_token"])
    assert claims["nonce"] == nonce
    userinfo = requests.get(
        _discovery(provider)["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert userinfo.status_code == 200, userinfo.text
    return claims, userinfo.json(), pages


def test_discovery_names_the_provider_as_issuer(oidc_provider):
    config = _discovery(oidc_provider)

    assert config["issuer"] == oidc_provider.issuer
    assert config["authorization_endpoint"].startswith(oidc_provider.issuer + "/")
    assert {"openid", "email", "profile"} <= set(config["scopes_supported"])


def test_jwks_publishes_an_rsa_signing_key(oidc_provider):
    jwks = requests.get(_discovery(oidc_provider)["jwks_uri"], timeout=10).json()

    assert len(jwks["keys"]) == 1
    assert jwks["keys"][0]["kty"] == "RSA"
    assert jwks["keys"][0]["kid"]


def test_authorization_code_flow_gives_a_signed_id_token_with_a_verified_email(
    oidc_provider, client_id
):
    email = _unique_email()
    sub = oidc_provider.add_user(email, PASSWORD, name="Ann Example")

    claims, userinfo, pages = _sign_in(oidc_provider, client_id, email)

    assert pages == ["login"]  # the client skips the consent screen
    assert claims["sub"] == sub
    assert claims["email"] == email
    assert claims["email_verified"] is True
    assert claims["name"] == "Ann Example"
    assert claims["given_name"] == "Ann"
    assert claims["family_name"] == "Example"
    assert userinfo["sub"] == sub
    assert userinfo["email"] == email
    assert userinfo["email_verified"] is True


def test_an_unverified_address_is_reported_unverified(oidc_provider, client_id):
    email = _unique_email()
    oidc_provider.add_user(email, PASSWORD, email_verified=False)

    claims, userinfo, _ = _sign_in(oidc_provider, client_id, email)

    assert claims["email"] == email
    assert claims.get("email_verified", False) is False
    assert userinfo.get("email_verified", False) is False


def test_a_client_that_asks_for_consent_gets_it_on_the_consent_screen(oidc_provider):
    client_id = f"riskreg-{uuid.uuid4().hex[:8]}"
    oidc_provider.add_client(client_id, CLIENT_SECRET, [REDIRECT_URI], skip_consent=False)
    email = _unique_email()
    oidc_provider.add_user(email, PASSWORD)

    claims, _, pages = _sign_in(oidc_provider, client_id, email)

    assert pages == ["login", "consent"]
    assert claims["email"] == email


def test_a_wrong_password_is_refused_on_the_login_page(oidc_provider, client_id):
    email = _unique_email()
    oidc_provider.add_user(email, PASSWORD)
    session = requests.Session()
    authorize = session.get(
        _discovery(oidc_provider)["authorization_endpoint"],
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid email",
        },
        timeout=10,
    )
    assert urlsplit(authorize.url).path == "/accounts/login/"
    form = _form_with(authorize.text, "password")

    response = session.post(
        urljoin(authorize.url, form["action"]),
        data={**dict(form["fields"]), "login": email, "password": "not the password"},
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code == 200
    assert "not correct" in response.text
    assert _form_with(response.text, "password")


def test_a_token_signed_by_another_key_is_rejected(oidc_provider, client_id):
    """The verification above is real: a token with the provider's kid but another key's
    signature does not verify against the published JWKS."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    jwks = requests.get(_discovery(oidc_provider)["jwks_uri"], timeout=10).json()
    forged = jwt.encode(
        {"iss": oidc_provider.issuer, "aud": client_id, "sub": "1", "exp": 2**31, "iat": 0},
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": jwks["keys"][0]["kid"]},
    )

    with pytest.raises(jwt.InvalidSignatureError):
        _verified_id_token_claims(oidc_provider, client_id, forged)


def test_stop_ends_the_provider_and_removes_its_directory():
    provider = LocalOidcProvider().start()
    issuer, directory, process = provider.issuer, provider.directory, provider._process
    port = provider.port
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", issuer)

    provider.stop()

    assert process.poll() is not None
    with pytest.raises(ProcessLookupError):  # nothing of gunicorn's process group is left
        os.killpg(process.pid, 0)
    assert not directory.exists()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 2):
        pass
