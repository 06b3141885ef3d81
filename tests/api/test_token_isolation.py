"""Every URL under /api/v1/, walked from the root resolver with a Bearer token (issue 19): what
tests/test_isolation.py does with a signed-in browser, done as a script with a token would.

1. With a token of organisation A, organisation B's objects (in the path, or named in the query
   string) are a 404 for every method, and exactly what the same URL answers when B's values are
   replaced by ones that exist nowhere; A's own answers show nothing of B. Checked for a person
   who belongs to A only, and for one who belongs to both but whose token reaches only A.
2. With a read-only token, every write method (POST, PUT, PATCH, DELETE) to A's own objects is
   a 403 where the URL takes that method (405 where it never does), and nothing is written.
3. An expired, a revoked and an unknown token are 401 everywhere, for every method.

The URL patterns and their kwargs come from tests/test_isolation.py (``url_patterns``,
``fillings``, ``cross_cases``, ``build_world``), so an endpoint added tomorrow is walked
tomorrow, and a kwarg that file cannot fill fails its own test there.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db.models import Sum
from django.urls import resolve
from django.utils import timezone
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import api_token_create, api_token_revoke
from api.throttling import TokenRateThrottle
from registers.models import Role
from tests.factories import UserFactory
from tests.test_isolation import (
    GHOST_INT,
    MARKER,
    Pattern,
    World,
    build_world,
    cross_cases,
    fillings,
    ghost_for,
    join,
    object_params,
    org_params,
    unfillable,
    url_patterns,
)

pytestmark = pytest.mark.django_db

API_PREFIX = "api/v1/"
READS = ("GET",)
WRITES = ("POST", "PUT", "PATCH", "DELETE")
# Query-string values a list endpoint may take B's objects by: each is sent with B's value and
# with one that exists nowhere, and the two answers must be the same.
QUERY_KINDS = {
    "organisation": ("organisation", "slug"),
    "register": ("register", "slug"),
    "risk": ("risk", "pk"),
    "register_id": ("register", "pk"),
    "risk_id": ("risk", "pk"),
}


@pytest.fixture(autouse=True)
def _no_throttle(monkeypatch):
    """The walk sends thousands of calls with one token; the rate is tested on its own."""
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"api": None})


def api_patterns() -> list[Pattern]:
    return [p for p in url_patterns() if p.route.startswith(API_PREFIX) and not unfillable(p)]


def call(client: APIClient, method: str, url: str):
    if method in READS:
        return client.get(url)
    return getattr(client, method.lower())(url, {}, format="json")


def readable(response) -> str:
    """The body as text; an HTML page (the docs) as its status only, since it carries a
    per-response nonce for the content security policy."""
    if response.get("Content-Type", "").startswith("text/html"):
        return ""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def methods_taken(url: str) -> set[str]:
    """The HTTP methods the view behind ``url`` answers (a DRF viewset's actions, or an
    APIView's handlers), read off the view rather than by trying them."""
    func = resolve(url.split("?", 1)[0]).func
    actions = getattr(func, "actions", None)
    if actions:
        return {method.upper() for method in actions}
    view = getattr(func, "cls", None) or getattr(func, "view_class", None)
    names = getattr(view, "http_method_names", ())
    return {name.upper() for name in names if hasattr(view, name) and name not in ("options",)}


def is_public(url: str) -> bool:
    """A view anyone may read without a token (the schema and its docs page, decision 56): it
    describes the API and holds nobody's data, so there is nothing of B to look for in it."""
    func = resolve(url.split("?", 1)[0]).func
    view = getattr(func, "cls", None) or getattr(func, "view_class", None)
    classes = getattr(view, "permission_classes", None) or []
    return bool(classes) and all(issubclass(c, AllowAny) for c in classes)


def own_urls(patterns: list[Pattern], mine: World) -> list[tuple[str, str]]:
    """Every API URL filled with A's own objects; a URL without path values gets
    ``?organisation=`` A's slug (lists need it; others ignore it)."""
    urls = []
    for pattern in patterns:
        sources = dict.fromkeys([*org_params(pattern), *object_params(pattern)], mine)
        for values, _, how in fillings(pattern, sources):
            url = pattern.url(values)
            if not pattern.params:
                url += f"?organisation={mine.organisation.slug}"
            urls.append((url, f"{pattern} [{how}]"))
    return urls


def writes_snapshot(organisation) -> dict[str, int]:
    """Rows of every model that belongs to an organisation (history included), and the sum of
    their versions where they have one: any write by the API changes one of these."""
    snapshot = {}
    for model in apps.get_models():
        fields = {field.name for field in model._meta.concrete_fields}
        if "organisation" not in fields:
            continue
        rows = model._default_manager.filter(organisation=organisation)
        snapshot[model._meta.label] = rows.count()
        if "version" in fields:
            snapshot[f"{model._meta.label}.version"] = rows.aggregate(v=Sum("version"))["v"] or 0
    return snapshot


def two_organisations(*, member_of_both: bool):
    user = UserFactory(full_name="Tester api")
    mine = build_world("Alpha", user=user, role=Role.ADMIN)
    theirs = build_world(MARKER.capitalize())
    if member_of_both:
        join(user, theirs.organisation, Role.ADMIN)
    return user, mine, theirs


def token(user, organisation, *, read_only: bool, name: str) -> str:
    _, secret = api_token_create(
        user=user, name=name, organisations=[organisation], read_only=read_only
    )
    return secret


def test_the_walk_finds_the_api():
    routes = {p.route for p in api_patterns()}
    assert "api/v1/risks/" in routes and "api/v1/risks/<int:pk>/" in routes, routes


# --- 1. another organisation's objects ---------------------------------------------------------


@pytest.mark.parametrize("member_of_both", [False, True], ids=["A only", "A and B"])
def test_no_api_url_reaches_another_organisations_objects(member_of_both):
    user, mine, theirs = two_organisations(member_of_both=member_of_both)
    # Read-write: a write that crossed organisations would not be stopped by the read-only flag.
    client = bearer(token(user, mine.organisation, read_only=False, name="walker"))
    before = writes_snapshot(theirs.organisation)
    answers: dict[tuple[str, str], tuple[int, str]] = {}

    def answer(method: str, url: str) -> tuple[int, str]:
        if (method, url) not in answers:
            response = call(client, method, url)
            answers[method, url] = (response.status_code, readable(response))
        return answers[method, url]

    failures: list[str] = []
    tried = 0
    for pattern in api_patterns():
        params = dict(pattern.params)
        if not pattern.params:
            if is_public(f"/{pattern.route}"):
                continue
            # No value in the path: B's values in the query string instead.
            for key, (kind, attribute) in QUERY_KINDS.items():
                value = getattr(getattr(theirs, kind), attribute)
                ghost = GHOST_INT if attribute == "pk" else f"no-such-{kind}"
                base = "" if key == "organisation" else f"organisation={mine.organisation.slug}&"
                url = f"/{pattern.route}?{base}{key}={value}"
                other = f"/{pattern.route}?{base}{key}={ghost}"
                tried += 1
                (got, body), (expected, ghost_body) = answer("GET", url), answer("GET", other)
                # An answer may echo the query (a next page's link): compare without it.
                if attribute == "pk":
                    same = body == ghost_body
                else:
                    same = body.replace(str(value), "?") == ghost_body.replace(str(ghost), "?")
                if got != expected or (got == 200 and not same):
                    failures.append(f"GET {url} -> {got}; {other} -> {expected}")
                if MARKER in body.lower():
                    failures.append(f"GET {url} shows organisation B's data")
            continue
        for label, sources in cross_cases(pattern, mine, theirs):
            for values, origin, how in fillings(pattern, sources):
                url = pattern.url(values)
                ghost = pattern.url(
                    {
                        kwarg: ghost_for(kwarg, params[kwarg])
                        if origin.get(kwarg) is theirs
                        else value
                        for kwarg, value in values.items()
                    }
                )
                for method in READS + WRITES:
                    tried += 1
                    (got, _), (expected, _) = answer(method, url), answer(method, ghost)
                    if got not in {404, 405} or got != expected:
                        failures.append(
                            f"{method} {url} [{pattern.name}; {label}: {how}] -> {got}; "
                            f"{ghost} -> {expected}"
                        )
    # A's own answers show nothing of B either.
    for url, label in own_urls(api_patterns(), mine):
        if is_public(url):
            continue
        status, body = answer("GET", url)
        if status == 200 and MARKER in body.lower():
            failures.append(f"GET {url} [{label}] shows organisation B's data")
    assert tried > 0
    assert writes_snapshot(theirs.organisation) == before, "a call wrote to organisation B"
    assert not failures, f"{len(failures)} of {tried} calls:\n" + "\n".join(failures)


# --- 2. a read-only token writes nothing -------------------------------------------------------


def test_a_read_only_tokens_every_write_is_403_and_writes_nothing():
    user, mine, _ = two_organisations(member_of_both=False)
    client = bearer(token(user, mine.organisation, read_only=True, name="reader"))
    before = writes_snapshot(mine.organisation)
    failures: list[str] = []
    written = 0
    for url, label in own_urls(api_patterns(), mine):
        taken = methods_taken(url)
        for method in WRITES:
            expected = 403 if method in taken else 405
            got = call(client, method, url).status_code
            written += method in taken
            if got != expected:
                failures.append(f"{method} {url} [{label}] -> {got}, expected {expected}")
    assert written > 0, "no API URL takes a write: the walk found nothing to check"
    assert not failures, "\n".join(failures)
    assert writes_snapshot(mine.organisation) == before, "a read-only token wrote"


# --- 3. expired, revoked and unknown tokens ----------------------------------------------------


def test_expired_revoked_and_unknown_tokens_are_401_everywhere(caplog):
    user, mine, _ = two_organisations(member_of_both=False)
    expired = token(user, mine.organisation, read_only=False, name="expired")
    ApiToken.objects.filter(name="expired").update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    revoked = token(user, mine.organisation, read_only=False, name="revoked")
    api_token_revoke(token=ApiToken.objects.get(name="revoked"), by=user)
    unknown = "rr_" + "x" * 43
    urls = own_urls(api_patterns(), mine)
    failures: list[str] = []
    with caplog.at_level("WARNING", logger="riskreg.security"):
        for secret in (expired, revoked, unknown):
            client = bearer(secret)
            for url, label in urls:
                for method in READS + WRITES:
                    got = call(client, method, url).status_code
                    if got != 401:
                        failures.append(f"{secret[:10]} {method} {url} [{label}] -> {got}")
    assert not failures, "\n".join(failures)
    for kind in ("expired", "revoked", "unknown"):
        assert f"api refused: {kind} token" in caplog.text
    assert expired not in caplog.text and revoked not in caplog.text
