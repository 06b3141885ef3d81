"""A session that ended while a form was open keeps what was typed (riskreg/unsaved.py): after
signing in again the person is back on the form with their values and told nothing was saved;
pages that cannot show their form again list the values for copying. The CSRF token is checked as
usual (its cookie outlives the session), and a token changed by signing in again in another tab
also sends the person back to their values instead of a bare 403."""

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appetite.models import AppetiteStatement
from appetite.services import appetite_statement_set
from registers.models import Register, Risk, Role
from registers.services.organisations import member_add
from riskreg.unsaved import SESSION_KEY, SIGN_IN_CHANGED, SIGNED_OUT_KEPT, SIGNED_OUT_SIGN_IN
from tests.factories import PASSWORD, CategoryFactory, RiskFactory

pytestmark = pytest.mark.django_db


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(
        organisation=organisation, email=email, role=role, full_name=name, password=PASSWORD
    ).user


@pytest.fixture
def risk(organisation):
    return RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"),
        ref="CRR07",
        title="Fire at the depot",
        positions={"current": (3, 4)},
    )


@pytest.fixture
def coordinator(organisation):
    return person(organisation, Role.COORDINATOR, "Cora Coordinator")


def edit_url(risk):
    return reverse("risk_edit", args=[risk.organisation.slug, risk.ref])


def sign_in(client, user, next_url=""):
    token = csrf_token(client.get(reverse("login")).content.decode())
    data = {"login": user.email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def typed(risk, token, **overrides):
    data = {
        "csrfmiddlewaretoken": token,
        "title": "My carefully typed new title",
        "description": "Three paragraphs\r\nof careful work",
        "kind": "threat",
        "marking": "OFFICIAL",
        "version": "1",
        "current_likelihood": "3",
        "current_impact": "4",
    }
    return data | overrides


def expire_sessions():
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(minutes=1))


def same_site_client() -> Client:
    """A browser: it names this site as the Origin of its posts (only those are kept)."""
    return Client(enforce_csrf_checks=True, HTTP_ORIGIN="http://testserver")


@pytest.fixture
def browser(coordinator):
    client = same_site_client()
    assert sign_in(client, coordinator).status_code == 302
    return client


def test_a_form_posted_after_the_session_ended_comes_back_after_signing_in(
    browser, coordinator, risk
):
    token = csrf_token(browser.get(edit_url(risk)).content.decode())
    expire_sessions()
    response = browser.post(edit_url(risk), typed(risk, token))
    assert response.status_code == 302
    login = urlsplit(response.url)
    assert login.path == reverse("login")
    next_url = parse_qs(login.query)["next"][0]
    assert next_url.startswith(edit_url(risk) + "?unsaved=")
    assert Risk.objects.get(pk=risk.pk).title == "Fire at the depot"  # nothing saved
    assert "Sign in again to get back what you typed" in browser.get(response.url).content.decode()

    signed_in = sign_in(browser, coordinator, next_url)
    assert signed_in.status_code == 302 and signed_in.url == next_url
    page = browser.get(next_url).content.decode()
    assert SIGNED_OUT_KEPT in page
    assert 'value="My carefully typed new title"' in page
    assert "of careful work" in page
    assert 'name="version" value="1"' in page  # saving again is merged as from version 1
    assert "csrfmiddlewaretoken" in page  # a fresh token, from this page
    # once only
    again = browser.get(next_url).content.decode()
    assert "My carefully typed new title" not in again and SIGNED_OUT_KEPT not in again


def test_someone_else_signing_in_on_that_browser_gets_only_what_their_access_allows(
    browser, organisation, risk
):
    viewer = person(organisation, Role.VIEWER, "Vic Viewer")
    token = csrf_token(browser.get(edit_url(risk)).content.decode())
    expire_sessions()
    response = browser.post(edit_url(risk), typed(risk, token))
    next_url = parse_qs(urlsplit(response.url).query)["next"][0]
    sign_in(browser, viewer, next_url)
    refused = browser.get(next_url)
    assert refused.status_code == 403
    assert "My carefully typed new title" not in refused.content.decode()


def test_values_for_another_page_are_not_shown_on_this_one(browser, coordinator, organisation):
    first = RiskFactory(register=Register.objects.get(organisation=organisation, slug="corporate"))
    second = RiskFactory(register=first.register)
    token = csrf_token(browser.get(edit_url(first)).content.decode())
    expire_sessions()
    response = browser.post(edit_url(first), typed(first, token))
    next_url = parse_qs(urlsplit(response.url).query)["next"][0]
    sign_in(browser, coordinator)
    stolen = edit_url(second) + "?" + urlsplit(next_url).query
    assert "My carefully typed new title" not in browser.get(stolen).content.decode()


def test_a_page_that_cannot_show_its_form_again_lists_what_was_typed(browser, coordinator, risk):
    close = reverse("risk_close", args=[risk.organisation.slug, risk.ref])
    token = csrf_token(browser.get(close).content.decode())
    expire_sessions()
    response = browser.post(
        close,
        {"csrfmiddlewaretoken": token, "reason": "Merged into CRR08", "version": "1"},
        HTTP_REFERER=f"http://testserver{close}",
    )
    next_url = parse_qs(urlsplit(response.url).query)["next"][0]
    assert next_url.startswith("/unsaved/")
    sign_in(browser, coordinator)
    page = browser.get(next_url)
    html = page.content.decode()
    assert page.status_code == 200 and "Merged into CRR08" in html
    assert token not in html and f'href="{close}"' in html
    # another browser (another session) has nothing under that address
    other = Client()
    other.force_login(coordinator)
    assert other.get(next_url).status_code == 404


def test_a_form_posted_after_signing_in_again_in_another_tab_comes_back(browser, coordinator, risk):
    token = csrf_token(browser.get(edit_url(risk)).content.decode())
    expire_sessions()
    sign_in(browser, coordinator)  # in another tab: signing in gives a new CSRF token
    response = browser.post(edit_url(risk), typed(risk, token), HTTP_ORIGIN="http://testserver")
    assert response.status_code == 302 and "?unsaved=" in response.url
    page = browser.get(response.url).content.decode()
    assert SIGN_IN_CHANGED in page and 'value="My carefully typed new title"' in page
    assert Risk.objects.get(pk=risk.pk).title == "Fire at the depot"


def test_a_cross_site_post_is_still_refused(browser, risk):
    response = browser.post(
        edit_url(risk), typed(risk, "forged" * 6), HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("sign_out", ["logout", "account_logout"])
def test_signing_out_is_not_typing_lost(browser, risk, sign_out):
    """Signing out posts only a token and, from some pages, ``next``: no typing to keep, and
    "You were signed out before your changes were saved" would be false (decision 133)."""
    token = csrf_token(browser.get(edit_url(risk)).content.decode())

    response = browser.post(
        reverse(sign_out), {"csrfmiddlewaretoken": token, "next": "//evil.example/"}
    )

    assert response.status_code == 302
    assert "unsaved" not in response.url and "evil" not in response.url
    assert SESSION_KEY not in browser.session
    assert SIGNED_OUT_SIGN_IN not in browser.get(response.url, follow=True).content.decode()


def signed_out_and_back(client, user, url, data):
    """Post ``data`` to ``url`` after the session ended, sign in again by ``next``: the page."""
    data = {"csrfmiddlewaretoken": csrf_token(client.get(url).content.decode())} | data
    expire_sessions()
    response = client.post(url, data)
    assert response.status_code == 302
    next_url = parse_qs(urlsplit(response.url).query)["next"][0]
    assert next_url.startswith(url + "?unsaved=")  # back to the form, not the copying page
    signed_in = sign_in(client, user, next_url)
    assert signed_in.status_code == 302 and signed_in.url == next_url
    page = client.get(next_url)
    assert page.status_code == 200
    again = client.get(next_url).content.decode()
    assert SIGNED_OUT_KEPT not in again  # once only
    return page.content.decode(), again


def test_the_risk_add_page_brings_the_typed_values_back(browser, coordinator, organisation):
    url = reverse("risk_create", args=[organisation.slug, "corporate"])
    page, again = signed_out_and_back(
        browser,
        coordinator,
        url,
        {
            "ref": "CRR42",
            "title": "My carefully typed new risk",
            "description": "Three paragraphs\r\nof careful work",
            "kind": "threat",
            "marking": "OFFICIAL",
            "current_likelihood": "3",
            "current_impact": "4",
        },
    )
    assert SIGNED_OUT_KEPT in page
    assert 'value="My carefully typed new risk"' in page and "of careful work" in page
    assert 'value="CRR42"' in page
    assert "My carefully typed new risk" not in again
    assert not Risk.objects.filter(title="My carefully typed new risk").exists()


def test_the_review_page_brings_the_typed_values_back(browser, coordinator, risk):
    url = reverse("risk_review", args=[risk.organisation.slug, risk.ref])
    page, again = signed_out_and_back(
        browser,
        coordinator,
        url,
        {
            "outcome": "unchanged",
            "note": "Walked the depot with the fire officer",
            "version": str(risk.version),
            "current_likelihood": "3",
            "current_impact": "4",
        },
    )
    assert SIGNED_OUT_KEPT in page
    assert "Walked the depot with the fire officer" in page
    assert "Walked the depot with the fire officer" not in again
    assert Risk.objects.get(pk=risk.pk).version == risk.version  # nothing saved


def test_the_appetite_statement_page_brings_the_typed_values_back(organisation):
    admin = person(organisation, Role.ADMIN, "Ada Admin")
    statement = appetite_statement_set(
        organisation=organisation,
        category=CategoryFactory(organisation=organisation, name="Finance", position=1),
        tolerance=12,
        rationale="Prudent",
    )
    client = same_site_client()
    assert sign_in(client, admin).status_code == 302
    url = reverse("appetite_statement_edit", args=[organisation.slug, statement.pk])
    page, again = signed_out_and_back(
        client,
        admin,
        url,
        {
            "level": "",
            "tolerance": "15",
            "warning": "",
            "rationale": "Audit Committee asked for a bolder stance",
            "reason": "Annual review",
            "version": str(statement.version),
        },
    )
    assert SIGNED_OUT_KEPT in page
    assert "Audit Committee asked for a bolder stance" in page
    assert "Audit Committee asked for a bolder stance" not in again
    assert AppetiteStatement.objects.get(pk=statement.pk).tolerance == 12


# --- another site's post (decision 122) --------------------------------------------------------


def test_another_sites_post_to_a_form_keeps_nothing_and_writes_no_session(risk):
    """A browser sends another site's post without the session cookie (SameSite): signed out
    as far as the app can tell. Keeping its values wrote a new session over the person's, and
    showed its text to them as "what you typed"."""
    client = Client()  # the CSRF check aside: what the middleware does with the post
    response = client.post(
        edit_url(risk),
        typed(risk, "", title="Your account is locked: call 0800 000 000"),
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 302
    assert urlsplit(response.url).path == reverse("login")
    assert "unsaved" not in response.url
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    "name, args",
    [("register_import", ["corporate"]), ("member_invite_many", [])],
)
def test_the_upload_pages_check_another_sites_post_before_the_sign_in(
    organisation, coordinator, name, args
):
    """The two pages that check CSRF themselves (after their upload limit) checked it after
    sending the visitor to sign in: another site's post met the sign-in page, not a refusal."""
    url = reverse(name, args=[organisation.slug, *args])
    forged = Client(enforce_csrf_checks=True)
    response = forged.post(url, {"rows": "Phishing text"}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert not Session.objects.exists()
    # A post from this site whose session ended still keeps what was typed, as before.
    client = same_site_client()
    assert sign_in(client, coordinator).status_code == 302
    token = csrf_token(client.get(url).content.decode())
    expire_sessions()
    response = client.post(url, {"csrfmiddlewaretoken": token, "rows": "ann@example.test"})
    assert response.status_code == 302
    assert "unsaved" in parse_qs(urlsplit(response.url).query)["next"][0]


def test_the_back_link_never_leaves_the_site(browser, coordinator, risk):
    """A Referer on this host whose path starts with two slashes (``//evil.example/x``) would be
    a link to another site as the copying page's "back" (attacker review, 2026-12-07)."""
    close = reverse("risk_close", args=[risk.organisation.slug, risk.ref])
    token = csrf_token(browser.get(close).content.decode())
    expire_sessions()
    response = browser.post(
        close,
        {"csrfmiddlewaretoken": token, "reason": "Merged into CRR08", "version": "1"},
        HTTP_REFERER="http://testserver//evil.example/x",
    )
    next_url = parse_qs(urlsplit(response.url).query)["next"][0]
    sign_in(browser, coordinator)
    html = browser.get(next_url).content.decode()
    assert "Merged into CRR08" in html
    assert "evil.example" not in html
