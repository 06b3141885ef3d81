"""Signing in at the local OpenID Connect provider without a browser: riskreg's side runs in
Django's test client, the provider's side over real HTTP with ``requests``, and the provider's
answer (the redirect back to riskreg's callback, with its code and state) is handed to the test
client. Everything between riskreg and the provider (discovery, the token exchange, userinfo,
the ID token) is the real thing."""

from __future__ import annotations

import uuid
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

from accounts import services_sso
from accounts.sso import redirect_uri

PASSWORD = "a provider password for the tests"
CLIENT_SECRET = "client-secret-for-riskreg-tests"
TEST_CLIENT_ORIGIN = "http://testserver"


class _Forms(HTMLParser):
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


def _login_form(html: str):
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if any(name == "password" for name, _ in form["fields"]):
            return form
    return None


def unique_domain() -> str:
    return f"sso-{uuid.uuid4().hex[:10]}.example.gov.uk"


def connect(oidc_provider, organisation, *, domain: str, origin: str = TEST_CLIENT_ORIGIN, **kw):
    """Connects ``organisation`` to the local provider for ``domain`` (a client registered at the
    provider with riskreg's callback on ``origin``), as an admin would. Returns the row."""
    client_id = f"riskreg-{uuid.uuid4().hex[:8]}"
    kw.setdefault("client_secret", CLIENT_SECRET)
    provider, _ = services_sso.sso_provider_add(
        organisation=organisation,
        issuer=oidc_provider.issuer,
        client_id=client_id,
        domains=[domain],
        check_domain_owners=False,
        **kw,
    )
    callback = origin + urlsplit(redirect_uri(provider)).path
    oidc_provider.add_client(client_id, kw["client_secret"], [callback])
    return provider


def sign_in_at_provider(location: str, email: str, password: str = PASSWORD) -> str:
    """Follows riskreg's redirect to the provider as a browser would and signs in on the
    provider's own login page. Returns the URL the provider sends the person back to (riskreg's
    callback, with ``code`` and ``state``), without fetching it."""
    provider_host = urlsplit(location).netloc
    session = requests.Session()
    response = session.get(location, allow_redirects=False, timeout=10)
    signed_in = False
    for _ in range(10):
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if urlsplit(target).netloc != provider_host:
                return target
            response = session.get(target, allow_redirects=False, timeout=10)
            continue
        form = _login_form(response.text) if response.status_code == 200 else None
        if form is None or signed_in:
            raise AssertionError(f"unexpected {response.status_code} at {response.url}")
        fields = [(n, v) for n, v in form["fields"] if n not in ("login", "password", "remember")]
        response = session.post(
            urljoin(response.url, form["action"]),
            data=[*fields, ("login", email), ("password", password)],
            allow_redirects=False,
            timeout=10,
        )
        signed_in = True
    raise AssertionError("the provider never sent the person back")


def provider_url(response) -> str:
    """Where riskreg's answer to the sign-in form sends the browser: the provider's authorization
    URL, from the page that moves on by itself (a redirect would break the form's CSP)."""
    assert response.status_code == 200, response.content.decode()[:2000]
    html = response.content.decode()
    start = html.index('id="continue" href="') + len('id="continue" href="')
    return unescape(html[start : html.index('"', start)])


def sign_in(
    client,
    email: str,
    password: str = PASSWORD,
    *,
    provider_email: str | None = None,
    next_url: str = "",
):
    """The whole sign-in: riskreg's sign-in page (the address), the provider (as
    ``provider_email``, the same person unless given), the callback. Returns the callback's
    response (not followed)."""
    started = client.post("/login/" + (f"?next={next_url}" if next_url else ""), {"login": email})
    back = sign_in_at_provider(provider_url(started), provider_email or email, password)
    assert back.startswith(TEST_CLIENT_ORIGIN + "/accounts/oidc/"), back
    return client.get(back)
