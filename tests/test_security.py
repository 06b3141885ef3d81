"""Security hardening (issue 6): sign-in throttling, password hashing, session expiry, the
Content-Security-Policy, no state change on GET, CSRF everywhere, downloads, the security log,
uploads, and the pip-audit wrapper. ``check --deploy`` is in ``tests/test_deploy_check.py``; the
browser's view of the CSP in ``tests/browser/test_csp.py``."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import io
import logging
import re
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import F, Max
from django.test import Client, RequestFactory, override_settings
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse
from django.utils import timezone
from openpyxl import Workbook

from accounts.adapters import SIGN_IN_FAILED
from registers.models import Role
from reporting.models import Pack, PackStatus
from reporting.spreadsheets.reading import SpreadsheetError, read_spreadsheet
from riskreg.security import client_ip
from riskreg.settings import base as base_settings
from scoring import definition
from tests import test_isolation as isolation
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganisationFactory,
    RiskFactory,
    UserFactory,
    corporate_register_of,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
ADDRESS = "198.51.100.7"  # documentation range (RFC 5737)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sign_in(client: Client, email: str, password: str, *, ip: str = ADDRESS):
    return client.post(reverse("login"), {"login": email, "password": password}, REMOTE_ADDR=ip)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- 2. sign-in throttling (django-axes) ------------------------------------------------------


def test_five_failures_pause_sign_in_and_the_pause_ends_after_the_cool_off(client):
    user = UserFactory(email="ann@example.test")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, user.email, "not-the-password")
        assert response.status_code == 400  # the form again, with its error
        assert SIGN_IN_FAILED in response.content.decode()

    response = sign_in(client, user.email, "not-the-password")
    assert response.status_code == 429
    page = response.content.decode()
    latest = AccessAttempt.objects.aggregate(latest=Max("attempt_time"))["latest"]
    retry_at = timezone.localtime(latest + dt.timedelta(minutes=15))
    assert "Sign-in paused for 15 minutes" in page
    assert f"You can try again after <strong>{retry_at:%H:%M}</strong>" in page
    assert int(response["Retry-After"]) in range(14 * 60, 15 * 60 + 1)

    # The right password while paused is refused too, and does not restart the pause.
    response = sign_in(client, user.email, PASSWORD)
    assert response.status_code == 429 and not signed_in(client)
    assert f"after <strong>{retry_at:%H:%M}</strong>" in response.content.decode()

    # A minute short of the cool-off: still paused. Then the cool-off passes.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=14))
    assert sign_in(client, user.email, PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - dt.timedelta(minutes=1, seconds=1)
    )
    response = sign_in(client, user.email, PASSWORD)
    assert response.status_code == 302 and signed_in(client)
    # Success clears the count: the next typo starts again from one.
    assert not AccessAttempt.objects.exists()


def test_the_pause_is_for_one_account_from_one_address_whatever_the_spelling(client):
    user, colleague = UserFactory(), UserFactory()
    for spelling in (user.email.upper(), f"  {user.email} ", user.email.title()):
        sign_in(client, spelling, "wrong")
    sign_in(client, user.email, "wrong")
    assert sign_in(client, user.email, "wrong").status_code == 429  # five, however spelled
    assert sign_in(client, user.email, PASSWORD).status_code == 429
    # The same person from another address, and a colleague from the same office address.
    assert sign_in(Client(), user.email, PASSWORD, ip="203.0.113.50").status_code == 302
    assert sign_in(Client(), colleague.email, PASSWORD).status_code == 302


def test_the_login_page_still_signs_in_and_the_test_client_login_works(client):
    user = UserFactory()
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    assert Client().login(username=user.email, password=PASSWORD)


def test_production_keeps_the_strict_axes_backend():
    # Test settings swap in AxesBackendForTests (Client.login has no request); base must not.
    assert base_settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert base_settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no proxy configured: the header is the client's word
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the forged left entry is never read
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.5", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.2"),  # fewer hops than proxies: not through them all
        (1, "", "10.0.0.2"),
    ],
)
def test_client_address_behind_trusted_proxies(proxies, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(RISKREG_TRUSTED_PROXY_COUNT=proxies):
        assert client_ip(request) == expected


def test_throttling_counts_the_address_the_proxy_saw(client):
    user = UserFactory()
    with override_settings(RISKREG_TRUSTED_PROXY_COUNT=1):
        for _ in range(5):
            client.post(
                reverse("login"),
                {"login": user.email, "password": "wrong"},
                REMOTE_ADDR="10.0.0.2",
                HTTP_X_FORWARDED_FOR="203.0.113.9",
            )
        assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
        # Another client behind the same proxy is not paused.
        response = Client().post(
            reverse("login"),
            {"login": user.email, "password": PASSWORD},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="203.0.113.10",
        )
        assert response.status_code == 302


def test_a_failed_sign_in_is_stored_without_what_was_typed_into_the_form(client):
    """django-axes keeps each failed sign-in's form (``post_data``, read by superusers in the
    admin). What was typed into the e-mail box is not kept there (a password typed into it, if
    shaped like an address, reaches the check): the e-mail box is ``login`` here, not axes'
    ``username``, so it is named as sensitive too. The attempt's account is kept, for the pause."""
    typed_in_the_email_box = "Horse.Battery@staple.example"
    sign_in(client, typed_in_the_email_box, "also-typed-here")
    (attempt,) = AccessAttempt.objects.all()
    assert typed_in_the_email_box.lower() not in attempt.post_data.lower()
    assert "also-typed-here" not in attempt.post_data
    assert "login=********************" in attempt.post_data


def test_the_clearing_command_ends_the_pause_and_is_logged(client, caplog):
    """``clear_sign_in_failures EMAIL`` (axes' own ``axes_reset_username`` logs nothing) ends
    the pause, however the address was spelled, with the admin's line, ``by=command``."""
    user = UserFactory()
    for _ in range(5):
        sign_in(client, user.email.upper(), "wrong")
    assert sign_in(client, user.email, PASSWORD).status_code == 429
    out = io.StringIO()
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        call_command("clear_sign_in_failures", f" {user.email.title()} ", stdout=out)
    assert "cleared 1 failed sign-in record(s)" in out.getvalue()
    assert not AccessAttempt.objects.exists()
    lines = [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]
    assert any(
        line.startswith(f"sign-in failures cleared: user={user.pk} ")
        and line.endswith("by=command")
        for line in lines
    ), lines
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    out = io.StringIO()
    call_command("clear_sign_in_failures", user.email, stdout=out)
    assert "nothing to clear" in out.getvalue()


# --- 3. password hashing and validation -------------------------------------------------------


def test_passwords_are_hashed_with_argon2_and_older_hashes_upgrade():
    assert base_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=base_settings.PASSWORD_HASHERS):
        encoded = make_password("correct horse battery staple")
        assert encoded.startswith("argon2$argon2id$")
        assert check_password("correct horse battery staple", encoded)
        user = UserFactory()
        user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
        user.save()
        assert user.check_password(PASSWORD)  # verifies, and re-hashes with the first hasher
        user.refresh_from_db()
        assert user.password.startswith("argon2$")


def test_a_common_password_is_rejected_with_a_message():
    with pytest.raises(ValidationError) as refused:
        validate_password("password123")
    assert "This password is too common." in refused.value.messages


# --- 4. session inactivity --------------------------------------------------------------------


def test_a_session_idle_past_its_age_is_signed_out(client):
    membership = MembershipFactory(role=Role.VIEWER)
    client.force_login(membership.user)
    page = reverse("organisation", args=[membership.organisation.slug])
    assert client.get(page).status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    # A request pushes the expiry a working day ahead (the first after signing in does not need
    # to: the sign-in saved it; later ones once the last save is a minute old).
    left = session.expire_date - timezone.now()
    assert dt.timedelta(hours=8) - left < dt.timedelta(minutes=1)

    # Eight hours and a second without a request:
    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get(page)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- 5. Content-Security-Policy ---------------------------------------------------------------

EXPECTED_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def policy_of(response) -> dict[str, str]:
    directives = (part.strip() for part in response["Content-Security-Policy"].split(";"))
    return dict(part.split(" ", 1) for part in directives if part)


def test_pages_carry_the_content_security_policy(client):
    assert policy_of(client.get(reverse("login"))) == EXPECTED_POLICY
    membership = MembershipFactory(role=Role.VIEWER)
    client.force_login(membership.user)
    response = client.get(reverse("organisation", args=[membership.organisation.slug]))
    assert response.status_code == 200
    assert policy_of(response) == EXPECTED_POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "case", ["plain", "nonce", "update", "replace", "exempt", "set", "404", "debug 404"]
)
@pytest.mark.parametrize("report_only", [False, True], ids=["enforced", "with report-only"])
def test_the_cached_policy_is_django_csps_own(case, report_only, settings):
    """riskreg.security.SettingsPolicyCSPMiddleware builds the settings' policy once (issue 20):
    its headers are django-csp's CSPMiddleware's, whatever a view or template did."""
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse, HttpResponseNotFound

    from riskreg.security import SettingsPolicyCSPMiddleware

    if report_only:
        settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
            "DIRECTIVES": {"default-src": ["'none'"], "report-uri": "/csp-report/"}
        }
    settings.DEBUG = case == "debug 404"
    if case == "nonce":
        from csp.constants import NONCE

        directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
        settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**directives, "script-src": [NONCE]}}

    def view(request):
        response = (HttpResponseNotFound if "404" in case else HttpResponse)("page")
        if case == "update":
            response._csp_update = {"img-src": ["https://example.org"]}
        elif case == "replace":
            response._csp_replace = {"script-src": ["'none'"]}
        elif case == "exempt":
            response._csp_exempt = True
        elif case == "set":
            response["Content-Security-Policy"] = "default-src 'none'"
        return response

    def headers(middleware) -> dict[str, str]:
        request = RequestFactory().get("/")
        if case == "nonce":
            request._csp_nonce = "bm9uY2U="  # as a template's {{ request.csp_nonce }} leaves it
        response = middleware(request)
        return {
            name: response[name]
            for name in ("Content-Security-Policy", "Content-Security-Policy-Report-Only")
            if name in response
        }

    ours, theirs = SettingsPolicyCSPMiddleware(view), CSPMiddleware(view)
    expected = headers(theirs)
    assert headers(ours) == expected
    assert headers(ours) == expected  # from what the first built
    if case in ("plain", "nonce"):
        assert "default-src 'self'" in expected["Content-Security-Policy"]
    if case == "plain":
        assert headers(ours)["Content-Security-Policy"] is ours._built[2]  # built once
    if case == "nonce":
        assert "'nonce-bm9uY2U='" in expected["Content-Security-Policy"]
    # A changed setting (override_settings) is a changed policy.
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert headers(ours) == headers(theirs)


def web_templates() -> list[Path]:
    # PDFs (WeasyPrint) and e-mails (any email/ folder: reminders, invitations, allauth's) are
    # not served to browsers; the CSP does not apply to them.
    skip = (TEMPLATES / "reporting" / "pdf",)
    return [
        path
        for path in TEMPLATES.rglob("*.html")
        if not any(path.is_relative_to(folder) for folder in skip)
        and "email" not in path.relative_to(TEMPLATES).parts[:-1]
    ]


COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.DOTALL)


def markup(path: Path) -> str:
    """A template without its comments (which may name what they avoid, "<style>")."""
    return COMMENT.sub("", path.read_text())


def test_no_template_has_inline_script_or_event_handlers():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
    javascript_url = re.compile(r"""(href|action|src)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
    found = []
    templates = web_templates()
    assert len(templates) > 20
    for path in templates:
        text = markup(path)
        for pattern in (inline_script, handler, javascript_url):
            found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not found, found


def test_inline_styles_only_set_custom_properties():
    # The one reason style-src-attr allows 'unsafe-inline' (see CONTENT_SECURITY_POLICY).
    style = re.compile(r"""\sstyle\s*=\s*"([^"]*)\"""")
    others = []
    for path in web_templates():
        for value in style.findall(markup(path)):
            declarations = [d.strip() for d in value.split(";") if d.strip()]
            others += [f"{path.name}: {d}" for d in declarations if not d.startswith("--")]
    assert not others, others
    assert not [path.name for path in web_templates() if "<style" in markup(path)]


def test_htmx_indicator_styles_come_from_our_css():
    base = (TEMPLATES / "base.html").read_text()
    assert """content='{"includeIndicatorStyles": false}'""" in base
    assert ".htmx-indicator" in (ROOT / "static" / "css" / "riskreg.css").read_text()


# --- 6. nothing changes on GET; CSRF on every POST --------------------------------------------

# A request may save its session (riskreg/session_middleware.py): that is the one write expected.
# (allauth's table of e-mail addresses is not exempt: every account has its row from the start,
# so allauth's pages no longer copy the address into it when they read it; decision 96.)
NOT_TENANT_DATA = {"sessions.session"}


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (histories, permissions, users, packs ... all of it)."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.label_lower in NOT_TENANT_DATA:
            continue
        rows[meta.label_lower] = list(model._base_manager.order_by("pk").values_list())
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def allauth_pages() -> list[tuple[str, str]]:
    """django-allauth's own pages that take no parameter (the e-mail, password, two-factor and
    sessions pages among them): the isolation walker leaves allauth's routes to
    tests/accounts/test_account_isolation.py, but they must not write on a GET either."""
    pages = []

    def walk(resolver, inside: bool) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                module = getattr(entry.urlconf_module, "__name__", str(entry.urlconf_name))
                walk(entry, inside or module.startswith("allauth."))
            elif inside and entry.name:
                with contextlib.suppress(NoReverseMatch):  # one that takes a parameter
                    pages.append((reverse(entry.name), f"allauth {entry.name}"))

    walk(get_resolver(), False)
    return sorted(set(pages))


def admin_world():
    user, mine, theirs = isolation.setup(Role.ADMIN)
    patterns = [p for p in isolation.url_patterns() if not isolation.unfillable(p)]
    pages = isolation.own_pages(patterns, mine)
    # Downloads take their format from the query string.
    export = reverse("register_export", args=[mine.organisation.slug, mine.register.slug])
    pages += [(f"{export}?format={fmt}", f"export {fmt}") for fmt in ("xlsx", "csv")]
    return user, mine, pages


def test_no_get_request_changes_anything(client):
    user, mine, pages = admin_world()
    pages += allauth_pages()
    client.force_login(user)
    before = snapshot()
    answers = {}
    for url, label in pages:
        answers[label] = client.get(url).status_code
        answers[label + " (htmx)"] = client.get(url, HTTP_HX_REQUEST="true").status_code
    after = snapshot()
    assert sum(status == 200 for status in answers.values()) > 40, answers
    assert not changed_tables(before, after), (
        f"GET requests changed {changed_tables(before, after)}; answers: {answers}"
    )


# Views marked csrf_exempt, each with the reason; every one must check CSRF itself, which
# test_a_post_without_a_csrf_token_is_refused_everywhere proves.
CSRF_CHECKED_INSIDE = {
    # Its size-limiting upload handler must be installed before anything reads request.POST,
    # which CsrfViewMiddleware would do; the inner view is csrf_protect.
    "register_import": "upload handler first, then csrf_protect",
    # The same for the bulk invitation list's upload (registers.views.invitations).
    "member_invite_many": "upload handler first, then csrf_protect",
    # allauth's SAML endpoints (issue 14, SAML single sign-on), posted to cross-site by an
    # identity provider, so no CSRF token can come with them. The ACS takes only an answer
    # signed by the connection's certificate that answers a sign-in this browser's session
    # started (InResponseTo; tests/accounts/test_saml.py), which is what a token would prove.
    "saml_acs": "SAML: signed answer to this session's own request, not a token",
    # Single logout from the identity provider: it can only end a session, never start one.
    "saml_sls": "SAML single logout: posted by the identity provider; signs out at most",
}


def test_no_view_is_exempt_from_csrf_checks():
    exempt = []

    def walk(resolver) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry)
            elif getattr(entry.callback, "csrf_exempt", False):
                exempt.append(entry.name or str(entry.pattern))

    walk(get_resolver())
    api = [name for name in exempt if name in API_VIEWS]
    assert api, "the REST API's views are DRF views (csrf_exempt outside, checked inside)"
    assert sorted(set(exempt) - set(api)) == sorted(CSRF_CHECKED_INSIDE)


def _api_views() -> dict:
    """The REST API's views by URL name: Django REST framework marks every APIView csrf_exempt
    and checks CSRF itself, in SessionAuthentication, for a request signed in by the session
    cookie (a token request carries no cookie a forged page could borrow)."""
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.views import APIView

    views = {}

    def walk(resolver) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry)
                continue
            view = getattr(entry.callback, "cls", None)
            if view is not None and issubclass(view, APIView):
                classes = view.authentication_classes
                # Every API view that takes a session checks CSRF through DRF's class for it.
                assert all(
                    issubclass(c, SessionAuthentication) or "Session" not in c.__name__
                    for c in classes
                ), (entry.name, classes)
                views[entry.name] = view

    walk(get_resolver())
    return views


API_VIEWS = _api_views()


def test_a_post_without_a_csrf_token_is_refused_everywhere():
    user, mine, pages = admin_world()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    urls = [url for url, _ in pages] + [reverse("login"), reverse("logout")]
    urls.append(reverse("register_import", args=[mine.organisation.slug, mine.register.slug]))
    before = snapshot()
    accepted = []
    for url in urls:
        response = browser.post(url, {"title": "changed", "cancel": "1"})
        # The API refuses in DRF's words (JSON, or our 403 page for its HTML docs page); the
        # pages with our CSRF page. Either way nothing changed (the snapshot below).
        api = url.startswith("/api/")
        refused = api or b"Your form could not be sent" in response.content
        if response.status_code != 403 or not refused:
            accepted.append(f"{url} -> {response.status_code}")
    after = snapshot()
    assert len(urls) > 40
    assert not accepted, accepted
    assert not changed_tables(before, after)
    assert signed_in(browser)  # the logout without a token was refused too


# --- 7. downloads -----------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "content_type"), [("xlsx", XLSX), ("csv", "text/csv")])
def test_exports_are_attachments_that_browsers_do_not_sniff(client, fmt, content_type):
    membership = MembershipFactory(role=Role.VIEWER)
    organisation = membership.organisation
    RiskFactory(register=corporate_register_of(organisation), ref="R1", title="Fire")
    client.force_login(membership.user)
    response = client.get(
        reverse("register_export", args=[organisation.slug, "corporate"]), {"format": fmt}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert re.fullmatch(rf'attachment; filename="[\w.-]+\.{fmt}"', response["Content-Disposition"])
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_packs_are_attachments_that_browsers_do_not_sniff(client):
    from django.core.files.base import ContentFile

    membership = MembershipFactory(role=Role.PANEL)
    pack = Pack.objects.create(  # public: an uncleared panel member reads no full edition
        organisation=membership.organisation, kind="quarterly", as_of="2026-03-31", edition="public"
    )
    pack.file.save("pack.pdf", ContentFile(b"%PDF-1.7 test pack"), save=False)
    pack.status = PackStatus.READY
    pack.released_at = timezone.now()  # panel members read released packs only
    pack.save()
    client.force_login(membership.user)
    response = client.get(reverse("pack_download", args=[membership.organisation.slug, pack.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert re.fullmatch(r'attachment; filename="[\w.-]+\.pdf"', response["Content-Disposition"])
    assert response["X-Content-Type-Options"] == "nosniff"


# --- 8. the security log ----------------------------------------------------------------------


def security_messages(caplog) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "riskreg.security"]


def test_sign_in_events_are_logged_without_what_was_typed(client, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    user = UserFactory()
    caplog.clear()  # the account's creation is logged too (test_admin_accounts.py)
    sign_in(client, user.email, "Wrong-Secret-1")
    sign_in(client, "hunter2-typed-in-the-email-box@example.test", "x")
    sign_in(client, user.email, PASSWORD)
    client.post(reverse("logout"), REMOTE_ADDR=ADDRESS)
    assert security_messages(caplog) == [
        (logging.WARNING, f"sign-in failed: user={user.pk} ip={ADDRESS}"),
        (logging.WARNING, f"sign-in failed: user=unknown-account ip={ADDRESS}"),
        (logging.INFO, f"sign-in succeeded: user={user.pk} ip={ADDRESS}"),
        (logging.INFO, f"signed out: user={user.pk} ip={ADDRESS}"),
    ]
    for typed in ("Wrong-Secret-1", "hunter2", PASSWORD):
        assert typed not in caplog.text


def test_a_lockout_is_logged(client, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    user = UserFactory()
    for _ in range(5):
        sign_in(client, user.email, "wrong")
    assert (logging.WARNING, f"sign-in locked out: user={user.pk} ip={ADDRESS}") in (
        security_messages(caplog)
    )


def test_refusals_are_logged_with_user_organisation_and_what(client, caplog):
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    viewer = MembershipFactory(organisation=mine, role=Role.VIEWER).user
    RiskFactory(
        register=corporate_register_of(mine),
        ref="R1",
        title="Secret title",
        description="Secret cause",
    )
    RiskFactory(register=corporate_register_of(theirs), ref="T1", title="Their secret title")
    client.force_login(viewer)
    caplog.set_level(logging.INFO, logger="riskreg.security")
    caplog.clear()  # the sign-in

    assert client.get(reverse("risk_edit", args=[mine.slug, "R1"])).status_code == 403
    assert client.get(reverse("risk", args=[theirs.slug, "T1"])).status_code == 404
    assert client.get(reverse("risk", args=[mine.slug, "T1"])).status_code == 404
    assert security_messages(caplog) == [
        (
            logging.WARNING,
            f"refused: user={viewer.pk} organisation={mine.slug}: forbidden (risk_edit): "
            f"Your role does not let you edit this risk. [GET '/o/{mine.slug}/risks/R1/edit/']",
        ),
        (
            logging.WARNING,
            f"refused: user={viewer.pk} organisation={theirs.slug}: "
            "not a member of the organisation (or it does not exist)",
        ),
        (
            logging.WARNING,
            f"refused: user={viewer.pk} organisation={mine.slug}: no risk 'T1' in the organisation",
        ),
    ]
    for text in ("Secret title", "Secret cause", "Their secret title"):
        assert text not in caplog.text


# --- 9. uploads -------------------------------------------------------------------------------


def workbook_bytes(rows, *, formulas=()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for ref, formula in formulas:
        sheet[ref] = formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_openpyxl_parses_workbooks_with_defusedxml():
    from openpyxl import DEFUSEDXML

    assert DEFUSEDXML is True


def test_a_formula_linking_another_workbook_is_refused_never_followed():
    data = workbook_bytes(
        [["ref", "title"], ["R1", "placeholder"]],
        formulas=[("B2", "='[budget.xlsx]Sheet1'!A1")],
    )
    sheet = read_spreadsheet(data=data, filename="links.xlsx")
    assert [str(problem) for problem in sheet.problems] == [
        "row 2: title: formulas are not accepted, paste values"
    ]


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>"""


def test_a_workbook_with_xml_entities_is_refused_clearly():
    original = workbook_bytes([["ref", "title"], ["R1", "Fire"]])
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(bomb, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = BOMB.encode()
            target.writestr(item, data)
    # defusedxml refuses the entity declarations outright (nothing is expanded) ...
    from defusedxml import EntitiesForbidden
    from openpyxl import load_workbook

    with pytest.raises(ValueError, match="Unable to read workbook") as refused:
        load_workbook(io.BytesIO(bomb.getvalue()), read_only=True)
    cause = refused.value.__cause__ or refused.value.__context__
    assert isinstance(cause, EntitiesForbidden)
    # ... and the importer, which reads sheets through the same defused parser, turns that
    # into its message for a damaged file.
    with pytest.raises(SpreadsheetError, match=r"could not be read.*may be damaged") as refused:
        read_spreadsheet(data=bomb.getvalue(), filename="bomb.xlsx")
    assert isinstance(refused.value.__context__, EntitiesForbidden)


def test_a_form_body_over_the_limit_is_refused(client):
    membership = MembershipFactory(role=Role.ADMIN)
    RiskFactory(register=corporate_register_of(membership.organisation), ref="R1")
    client.force_login(membership.user)
    url = reverse("risk_edit", args=[membership.organisation.slug, "R1"])
    response = client.post(url, {"description": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    assert response.status_code == 400
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == settings.RISKREG_MAX_UPLOAD_BYTES


def test_scheme_files_are_size_limited_and_parsed_as_data(tmp_path, organisation):
    huge = tmp_path / "huge.json"
    huge.write_text(" " * (definition.MAX_FILE_BYTES + 1))
    with pytest.raises(CommandError, match=r"too large for a scheme file \(at most 262,144\)"):
        call_command("load_scheme", str(huge), "--org", organisation.slug)
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 200_000)
    with pytest.raises(CommandError, match="nested too deeply"):
        call_command("load_scheme", str(nested), "--org", organisation.slug)
    assert organisation.schemes.count() == 1  # nothing stored


# --- 10. pip-audit ----------------------------------------------------------------------------


def pip_audit_script():
    spec = importlib.util.spec_from_file_location("pip_audit_ci", ROOT / ".ci" / "pip_audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_projects_triaged_exceptions_are_well_formed():
    script = pip_audit_script()
    for entry in script.triaged(ROOT / "pyproject.toml"):
        assert entry["id"].strip() and entry["reason"].strip()


def test_a_triaged_exception_without_a_reason_is_refused(tmp_path):
    script = pip_audit_script()
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.riskreg.pip-audit]\nignore = [{id = "GHSA-1"}, {id = "", reason = "x"}]\n'
    )
    with pytest.raises(script.AuditError) as refused:
        script.triaged(pyproject)
    assert "ignore entry 1: reason is missing or empty" in str(refused.value)
    assert "ignore entry 2: id is missing or empty" in str(refused.value)
    pyproject.write_text(
        '[tool.riskreg.pip-audit]\nignore = [{id = "GHSA-1", reason = "dev tool only"}]\n'
    )
    command = script.pip_audit_command(script.triaged(pyproject))
    assert command[command.index("--ignore-vuln") + 1] == "GHSA-1"
    assert {"--skip-editable", "--strict", "--local"} <= set(command)


class _NotFound(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_an_unreachable_vulnerability_service_fails_the_audit_loudly(tmp_path, capsys):
    script = pip_audit_script()
    server = HTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        api = f"http://127.0.0.1:{server.server_port}/pypi"
        assert script.main(["--json-api", api]) == 2
    finally:
        server.shutdown()
        server.server_close()
    error = capsys.readouterr().err
    assert "FAILED" in error and "answered HTTP 404" in error and "nothing was audited" in error
    # Nothing listening at all: the same loud failure.
    assert script.main(["--json-api", f"http://127.0.0.1:{server.server_port}/pypi"]) == 2
    assert "did not answer" in capsys.readouterr().err


# --- sign-in attempts in the admin ------------------------------------------------------------


def test_only_a_superuser_sees_sign_in_attempts_in_the_admin(client):
    # Attempts name accounts of every organisation; an organisation admin must not read them.
    UserFactory(email="someone@other.example")
    sign_in(Client(), "someone@other.example", "wrong")
    org_admin = MembershipFactory(role=Role.ADMIN).user
    org_admin.is_staff = True
    org_admin.save()
    client.force_login(org_admin)
    attempts = reverse("admin:axes_accessattempt_changelist")
    assert client.get(attempts).status_code == 403
    assert "someone@other.example" not in client.get(reverse("admin:index")).content.decode()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert "someone@other.example" in client.get(attempts).content.decode()
