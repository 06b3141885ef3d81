"""Nothing crosses organisations, for every role (issue 3, "Who may do what").

1. Every URL pattern of the project (walked from the root resolver, so a URL added tomorrow is
   covered tomorrow) is requested with GET and POST by a member of organisation A, in each role,
   with organisation B's things mixed in: B's slug with B's objects, B's slug with A's objects,
   A's slug with B's objects, and A's slug and objects with one of B's (B's control under A's
   risk). The answer must be a refusal (B's slug: 404, or 405 for a method the URL never takes;
   A's slug: 404, or 403/405 where A's page is already known to the user) and exactly what the
   same URL answers when B's values are replaced by ones that exist nowhere, so it tells the user
   nothing about B.
2. No page of A lists or counts anything of B: every page reachable with A's own objects shows
   no trace of B, and reads exactly the same after B grows.

URL kwargs are filled generically by name (``KWARG_OBJECTS`` and ``KWARG_VALUES``; a bare ``pk``
takes its kind from the path segment before it, "controls/<int:pk>"). A pattern with a kwarg
this file does not know FAILS the test, so a new URL cannot go untested: add its kwarg below
(and, if it names a new kind of object, build one in ``build_world``).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from appetite.services import appetite_statement_set
from registers import permissions
from registers.models import Objective, Organisation, Register, RiskLink, Role
from registers.services.comments import comment_add
from registers.services.organisations import member_add, membership_change
from registers.services.reviews import review_record
from tests.factories import (
    ActionFactory,
    CategoryFactory,
    ControlFactory,
    MembershipFactory,
    OrganisationFactory,
    RegisterFactory,
    RiskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_api_throttle(monkeypatch):
    """One person walks every API URL in a test: more calls than a token's rate allows (the
    rate is tested in tests/api/test_throttling.py)."""
    from api.throttling import TokenRateThrottle

    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"api": None})


# Routes (as written in urls.py, after their include prefix) that are not organisation data.
EXCLUDED_PREFIXES = ("admin/", "login/", "logout/", "static/", "media/", "__debug__/")
# django-allauth's pages are a person's own account (password, e-mail addresses, two factors,
# sessions), not organisation data: tests/accounts/test_account_isolation.py walks them person
# against person. riskreg's own pages under /accounts/ are walked here like every other, but
# for its wrappers of allauth's SAML metadata and finishing views, at allauth's own paths (a
# connection's public metadata; an answer to this browser's own sign-in): allauth's, as before.
EXCLUDED_MODULES = ("allauth.", "accounts.saml_endpoints")


def _excluded_module(entry) -> bool:
    if isinstance(entry, URLResolver):
        module = getattr(entry.urlconf_module, "__name__", str(entry.urlconf_name))
    else:
        module = getattr(entry.callback, "__module__", "") or ""
    return module.startswith(EXCLUDED_MODULES)


# kwarg name -> the kind of object it names (an attribute of World). A name ending in _pk, _id,
# _ref or _slug is looked up without that ending. "pk" and "id" could name anything, so they are
# tried with every kind in GENERIC_KINDS.
KWARG_OBJECTS = {
    "org": "organisation",
    "organisation": "organisation",
    "register": "register",
    "parent": "register",
    "ref": "risk",
    "risk": "risk",
    "control": "control",
    "action": "action",
    "member": "membership",
    "membership": "membership",
    "user": "member_user",
    "owner": "member_user",
    "review": "review",
    "category": "category",
    "objective": "objective",
    "link": "link",
    "scheme": "scheme",
    "version": "scheme_version",
    "level": "appetite_level",
    "statement": "appetite_statement",
    "appetite": "appetite_statement",
    "history": "risk_history",
    "upload": "upload",
    "job": "import_job",
    "escalation": "escalation",
    "report": "pack",
    "invitation": "invitation",
    "provider": "sso_provider",
    "notice": "notice",
    "indicator": "indicator",
    "evidence": "evidence",
    "comment": "comment",
    "api_token": "api_token",
}
GENERIC_KINDS = (
    "register",
    "risk",
    "control",
    "action",
    "membership",
    "review",
    "category",
    "objective",
    "link",
    "appetite_statement",
    "upload",
)
# kwargs that name no object: every value listed is tried (guesses for URLs still being written).
KWARG_VALUES = {
    "format": ("csv", "xlsx"),
    "fmt": ("csv", "xlsx"),
    "kind": ("quarterly", "committee"),
    "pack": ("quarterly", "committee"),
    "position": ("current", "inherent", "target"),
    # Kept form values live in the browser's own session: a guessed token is "not found".
    "token": ("AAAAAAAAAAAAAAAAAAAAAA",),
}

OTHER_ORG_ALLOWED = {404, 405}
OWN_ORG_ALLOWED = {403, 404, 405}
GHOST_INT = 2_000_000_000
MARKER = "zorblax"  # in every name of organisation B, so a leak is easy to spot


# --- URL patterns ------------------------------------------------------------------------------

PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Pattern:
    route: str  # the full route, e.g. "o/<slug:org>/risks/<str:ref>/"
    name: str | None
    params: tuple[tuple[str, str], ...]  # (kwarg, converter)
    problem: str = ""  # why the test cannot build this URL, if it cannot

    def url(self, values: dict) -> str:
        return "/" + PARAM.sub(lambda m: str(values[m["name"]]), self.route)

    def __str__(self) -> str:
        return f"{self.name or '(unnamed)'} /{self.route}"


def url_patterns() -> list[Pattern]:
    found: list[Pattern] = []

    def walk(resolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            raw = str(entry.pattern)
            route = prefix + raw
            if route.lstrip("^").startswith(EXCLUDED_PREFIXES) or _excluded_module(entry):
                continue
            if not isinstance(entry.pattern, RoutePattern):
                found.append(Pattern(route, getattr(entry, "name", None), (), "regex pattern"))
                continue
            if isinstance(entry, URLResolver):
                walk(entry, route)
                continue
            params = tuple((m["name"], m["converter"] or "str") for m in PARAM.finditer(route))
            found.append(Pattern(route, entry.name, params))

    walk(get_resolver(), "")
    return found


def object_kind(kwarg: str) -> str | None:
    if kwarg in KWARG_OBJECTS:
        return KWARG_OBJECTS[kwarg]
    for ending in ("_pk", "_id", "_ref", "_slug"):
        if kwarg.endswith(ending) and kwarg.removesuffix(ending) in KWARG_OBJECTS:
            return KWARG_OBJECTS[kwarg.removesuffix(ending)]
    return None


def unfillable(pattern: Pattern) -> list[str]:
    problems = [pattern.problem] if pattern.problem else []
    for kwarg, converter in pattern.params:
        # "ref" is a risk's reference (registers/refs.py): any stored ref, as "str" is.
        if converter not in {"int", "slug", "str", "path", "ref"}:
            problems.append(f"{kwarg}: converter {converter!r}")
        elif kwarg in ("pk", "id") and converter != "int":
            problems.append(f"{kwarg}: a {converter} pk")
        elif kwarg not in ("pk", "id") and kwarg not in KWARG_VALUES and not object_kind(kwarg):
            problems.append(f"{kwarg}: unknown kwarg")
    return problems


# --- two organisations -------------------------------------------------------------------------


@dataclass
class World:
    tag: str
    organisation: Organisation
    register: Register  # a register whose slug only this organisation has
    risk: object
    control: object
    action: object
    membership: object  # some other member
    member_user: object
    review: object
    category: object
    objective: object
    link: object
    scheme: object
    scheme_version: object
    appetite_level: object
    appetite_statement: object
    risk_history: object
    upload: object  # a spreadsheet waiting for its import to be confirmed
    escalation: object = None  # a request to move the risk up to the parent register
    pack: object = None  # a released public edition: every member finds it (decision 125)
    invitation: object = None  # an invitation to be a viewer, not yet accepted
    sso_provider: object = None  # a single sign-on connection (accounts.SingleSignOnProvider)
    import_job: object = None  # a big import being checked in the background (its uploader's)
    notice: object = None  # a notification to the risk's owner (a person's own, not the org's)
    indicator: object = None  # a key risk indicator of the risk, with a reading
    evidence: object = None  # a file of assurance evidence on the risk's control
    comment: object = None  # a comment in the thread of the risk's control
    api_token: object = None  # an API token of the risk's owner reaching the organisation


def released_public_pack(organisation, *, as_of: str):
    """A released public edition, ready to download: listed on the Reports page and Your
    reports of every member, whatever their role (decision 125)."""
    pack = apps.get_model("reporting", "Pack")(
        organisation=organisation,
        kind="quarterly",
        edition="public",
        as_of=as_of,
        status="ready",
        size=9,
        pages=1,
        released_at=timezone.now(),
    )
    pack.file.save(f"pack-{organisation.slug}-{as_of}.pdf", ContentFile(b"%PDF-1.7 "), save=False)
    pack.save()
    return pack


def build_world(tag: str, *, user=None, role: str | None = None) -> World:
    """An organisation with one of everything; every name carries ``tag``. With ``user``, they
    join in ``role`` and own the risk, control and action (so "my risks" shows them)."""
    organisation = OrganisationFactory(slug=f"{tag.lower()}-org", name=f"{tag} Constabulary")
    if user is not None:
        join(user, organisation, role)
    member = MembershipFactory(
        organisation=organisation,
        role=Role.OWNER,
        user__full_name=f"{tag} Person",
        user__email=f"person@{tag.lower()}.example",
    )
    owner = user or member.user
    register = RegisterFactory(
        organisation=organisation, slug=f"{tag.lower()}-school", name=f"{tag} School register"
    )
    category = CategoryFactory(organisation=organisation, name=f"{tag} Category")
    objective = Objective.objects.create(
        organisation=organisation, code=f"{tag[:3].upper()}1", name=f"{tag} objective"
    )
    risk = RiskFactory(
        register=register,
        ref=f"{tag[:3].upper()}1",
        title=f"{tag} risk title",
        description=f"{tag} risk description",
        category=category,
        owner=owner,
        positions={"inherent": (5, 5), "current": (4, 4), "target": (2, 2)},
        objectives=[objective],
    )
    other_risk = RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"),
        ref=f"{tag[:3].upper()}2",
        title=f"{tag} second risk",
        positions={"current": (2, 3)},
    )
    control = ControlFactory(risk=risk, description=f"{tag} control", owner=owner)
    action = ActionFactory(
        risk=risk,
        description=f"{tag} action",
        owner=owner,
        due_date=timezone.localdate() - dt.timedelta(days=3),
    )
    review = review_record(
        risk=risk, user=owner, expected_version=risk.version, note=f"{tag} review note"
    )
    risk.refresh_from_db()
    link = RiskLink.objects.create(
        organisation=organisation, from_risk=risk, to_risk=other_risk, note=f"{tag} link"
    )
    scheme = organisation.schemes.get(is_default=True)
    level = organisation.appetite_levels.first()
    statement = appetite_statement_set(
        organisation=organisation, category=category, level=level, tolerance=10, warning=6
    )
    # By model, not by the import service, so this file does not follow that service's changes.
    upload = apps.get_model("reporting", "ImportUpload").objects.create(
        organisation=organisation,
        register=register,
        user=owner,
        filename=f"{tag} upload.csv",
        data=f"ref,title\n{tag[:3].upper()}7,{tag} imported risk\n".encode(),
        size=40,
        sha256="0" * 64,
    )
    import_job = apps.get_model("reporting", "ImportJob").objects.create(
        organisation=organisation,
        register=register,
        user=owner,
        upload=upload,
        filename=upload.filename,
        rows_total=1,
        status="checked",
        preview={"created": 1, "lines": [f"row 2: would create {tag[:3].upper()}7 {tag} risk"]},
    )
    escalation = apps.get_model("registers", "Escalation").objects.create(
        organisation=organisation,
        risk=risk,
        direction="up",
        from_register=register,
        to_register=register.parent,
        reason=f"{tag} escalation reason",
        requested_by=owner,
    )
    return World(
        tag=tag,
        organisation=organisation,
        register=register,
        risk=risk,
        control=control,
        action=action,
        membership=member,
        member_user=member.user,
        review=review,
        category=category,
        objective=objective,
        link=link,
        scheme=scheme,
        scheme_version=scheme.current_version,
        appetite_level=level,
        appetite_statement=statement,
        risk_history=risk.history.first(),
        upload=upload,
        escalation=escalation,
        pack=released_public_pack(organisation, as_of="2026-03-31"),
        # By model, not by the invitation service (which e-mails): the link is never needed.
        invitation=apps.get_model("registers", "Invitation").objects.create(
            organisation=organisation,
            email=f"invited@{tag.lower()}.example",
            role=Role.VIEWER,
            invited_by=owner,
            token_hash=f"{tag.lower():0<64}",
            expires_at=timezone.now() + dt.timedelta(days=7),
        ),
        sso_provider=sso_provider_of(organisation, tag),
        import_job=import_job,
        notice=apps.get_model("registers", "Notice").objects.create(
            organisation=organisation,
            user=owner,
            kind="comment",
            event_key=f"{tag.lower()}-notice",
            risk=risk,
            title=f"{tag} notice",
            url=f"/o/{organisation.slug}/risks/{risk.ref}/",
            delivery="never",
        ),
        indicator=indicator_of(risk, owner, tag),
        evidence=evidence_of(risk, owner, control, tag),
        comment=comment_add(risk=risk, user=member.user, body=f"{tag} comment", control=control),
        api_token=api_token_of(organisation, owner, tag),
    )


def api_token_of(organisation: Organisation, owner, tag: str):
    """A read-write API token of the risk's owner reaching the organisation (issue 19)."""
    from api.services import api_token_create

    token, _ = api_token_create(
        user=owner, name=f"{tag} token", organisations=[organisation], read_only=False
    )
    return token


def evidence_of(risk, owner, control, tag: str):
    """A file of assurance evidence on the risk's control (issue 18)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registers.services.evidence import evidence_add

    upload = SimpleUploadedFile(f"{tag} audit.txt", f"{tag} evidence".encode())
    return evidence_add(risk=risk, user=owner, upload=upload, control=control, line=3)


def indicator_of(risk, owner, tag: str):
    """A key risk indicator of the risk, with one reading (issue 18)."""
    from registers.services.indicators import indicator_add, reading_record

    indicator = indicator_add(
        user=owner, risk=risk, name=f"{tag} indicator", amber_from=5, red_from=10, owner=owner
    )
    reading_record(
        user=owner,
        indicator=indicator,
        taken_on=timezone.localdate(),
        value=7,
        note=f"{tag} reading note",
    )
    return indicator


def sso_provider_of(organisation: Organisation, tag: str):
    """A single sign-on connection with a domain (by model, as the upload above is)."""
    provider = apps.get_model("accounts", "SingleSignOnProvider").objects.create(
        organisation=organisation,
        key=f"{tag.lower()}-sso",
        name=f"{tag} sign-in",
        issuer=f"https://login.{tag.lower()}.example/v2.0",
        client_id=f"{tag.lower()}-client",
        client_secret_encrypted="not-a-real-token",
    )
    provider.domains.create(domain=f"{tag.lower()}.example")
    return provider


def grow(world: World) -> None:
    """Give B more of everything that A's pages might count: risks in every band, overdue and
    due reviews, breaches, overdue actions, closed risks, members of every role, registers."""
    organisation = world.organisation
    tag = MARKER.capitalize()
    extra = RegisterFactory(
        organisation=organisation, slug="zorblax-project", name=f"{tag} project", level="project"
    )
    long_ago = timezone.localdate() - dt.timedelta(days=800)
    for n, position in enumerate([(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (5, 4), (3, 5)]):
        risk = RiskFactory(
            register=extra if n % 2 else world.register,
            ref=f"ZOR{10 + n}",
            title=f"{tag} grown risk {n}",
            owner=world.member_user,
            manager=world.member_user,
            category=world.category,
            positions={"current": position, "target": (1, 1), "inherent": (5, 5)},
            reviewed_on=long_ago,
        )
        ActionFactory(
            risk=risk,
            description=f"{tag} grown action {n}",
            owner=world.member_user,
            due_date=long_ago,
        )
    RiskFactory(
        register=world.register,
        ref="ZOR99",
        title=f"{tag} closed risk",
        status="closed",
        closed_reason="fully mitigated",
        positions={"current": (1, 1)},
    )
    for as_of in ("2026-06-30", "2026-09-30"):  # more packs: every member's Reports page lists
        released_public_pack(organisation, as_of=as_of)
    for role in Role.values:
        member_add(
            organisation=organisation,
            email=f"{role}@grown.{MARKER}.example",
            role=role,
            full_name=f"{tag} grown {role}",
        )


# --- A's users, one per role -------------------------------------------------------------------

ROLES = [
    Role.ADMIN,
    Role.COORDINATOR,
    "coordinator-limited",
    Role.OWNER,
    Role.VIEWER,
    Role.PANEL,
]


def join(user, organisation: Organisation, role: str) -> None:
    limited = role == "coordinator-limited"
    membership = member_add(
        organisation=organisation,
        email=user.email,
        role=Role.COORDINATOR if limited else role,
    )
    if limited:
        membership_change(membership=membership, role=Role.COORDINATOR, registers_limited=True)


def setup(role: str):
    user = UserFactory(full_name=f"Tester {role}")
    mine = build_world("Alpha", user=user, role=role)
    if role == "coordinator-limited":
        permissions.register_grant(user=user, register=mine.register)
    theirs = build_world(MARKER.capitalize())
    return user, mine, theirs


@pytest.fixture(scope="module", params=ROLES)
def _role_worlds_once(request, django_db_setup, django_db_blocker):
    """A's tester in a role, A's world and B's, built once for that role's two tests below inside
    a transaction rolled back after them. Each test runs in a savepoint of it (pytest-django's
    ``db``), so what one test changes (B grown, anything a request wrote) is gone before the
    next. pytest runs the two tests of a role one after the other."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield request.param, setup(request.param)
        transaction.set_rollback(True)


@pytest.fixture
def role_worlds(_role_worlds_once, db):
    """(role, (user, mine, theirs)) for one test."""
    return _role_worlds_once


# --- filling kwargs ----------------------------------------------------------------------------


def value_for(obj, kwarg: str, converter: str):
    if converter == "int":
        return obj.history_id if kwarg.startswith("history") else obj.pk
    if isinstance(obj, Organisation | Register):
        return obj.slug
    if hasattr(obj, "ref"):
        return obj.ref
    return str(getattr(obj, "history_id", None) or obj.pk)


def ghost_for(kwarg: str, converter: str):
    return GHOST_INT if converter == "int" else f"no-such-{kwarg.replace('_', '-')}"


def object_params(pattern: Pattern) -> list[str]:
    return [
        kwarg
        for kwarg, _ in pattern.params
        if kwarg not in KWARG_VALUES and object_kind(kwarg) != "organisation"
    ]


def org_params(pattern: Pattern) -> list[str]:
    return [kwarg for kwarg, _ in pattern.params if object_kind(kwarg) == "organisation"]


def pk_kinds(pattern: Pattern, kwarg: str) -> tuple[str, ...]:
    """What a bare pk names: the kind the path segment before it names ("controls/<int:pk>"
    is a control), else every kind (each is tried)."""
    before = pattern.route.split(f":{kwarg}>")[0].rsplit("<", 1)[0].rstrip("/").rsplit("/", 1)
    segment = before[-1].replace("-", "_")
    for name in (segment, segment.removesuffix("s")):
        if object_kind(name):
            return (object_kind(name),)
    return GENERIC_KINDS


def fillings(pattern: Pattern, sources: dict[str, World]):
    """Every way to fill the pattern's kwargs, each object kwarg taken from the world that
    ``sources`` names for it. Yields (values, {kwarg: world it came from}, description)."""
    choices = []
    for kwarg, converter in pattern.params:
        if kwarg in KWARG_VALUES:
            choices.append([(kwarg, value, None, value) for value in KWARG_VALUES[kwarg]])
            continue
        world = sources[kwarg]
        kinds = pk_kinds(pattern, kwarg) if kwarg in ("pk", "id") else (object_kind(kwarg),)
        choices.append(
            [
                (kwarg, value_for(getattr(world, kind), kwarg, converter), world, kind)
                for kind in kinds
            ]
        )
    for combination in itertools.product(*choices):
        yield (
            {kwarg: value for kwarg, value, _, _ in combination},
            {kwarg: world for kwarg, _, world, _ in combination if world is not None},
            ", ".join(
                f"{kwarg}={'' if world is None else world.tag + ' '}{label}"
                for kwarg, _, world, label in combination
            ),
        )


def cross_cases(pattern: Pattern, mine: World, theirs: World):
    """(description, sources) for each way of mixing B into a URL that A's member may use."""
    orgs, objects = org_params(pattern), object_params(pattern)

    def sources(org_world, object_world, **overrides):
        return {
            **dict.fromkeys(orgs, org_world),
            **dict.fromkeys(objects, object_world),
            **overrides,
        }

    yield "B's organisation and objects", sources(theirs, theirs)
    if orgs and objects:
        yield "B's organisation, A's objects", sources(theirs, mine)
        yield "A's organisation, B's objects", sources(mine, theirs)
        if len(objects) > 1:
            for kwarg in objects:
                yield (
                    f"A's organisation and objects but B's {kwarg}",
                    sources(mine, mine, **{kwarg: theirs}),
                )


# --- 1. every URL, every role, another organisation's objects ----------------------------------


def test_every_url_pattern_is_known_to_this_test():
    unknown = {str(p): unfillable(p) for p in url_patterns() if unfillable(p)}
    assert not unknown, (
        "URL patterns whose kwargs the isolation test cannot fill (add them to KWARG_OBJECTS or "
        f"KWARG_VALUES in tests/test_isolation.py): {unknown}"
    )


@pytest.fixture
def _sessions_and_counts_as_in_production(settings):
    """Sessions and the header's unread count kept as production keeps them with its shared
    cache (``cached_db`` sessions, the count cached per person: decision 68), where the test
    settings read both from the database on every request. This walk asks only for status codes,
    about 1,400 requests a role, most of them refused: reading the session and counting on each
    one was about an eighth of the walk's CPU (0.6 queries a request). The count's isolation is
    walked by the next test, which compares whole pages and keeps counting each time."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.RISKREG_NOTICE_COUNT_CACHE = True


def test_no_url_reaches_another_organisations_objects(
    _sessions_and_counts_as_in_production, client, role_worlds
):
    role, (user, mine, theirs) = role_worlds
    client.force_login(user)
    patterns = [p for p in url_patterns() if p.params and not unfillable(p)]
    assert any(p.name == "risk" for p in patterns), "the walk found no organisation URLs"
    answers: dict[tuple[str, str], int] = {}

    def status(method: str, url: str) -> int:
        if (method, url) not in answers:
            response = client.get(url) if method == "GET" else client.post(url, {})
            answers[method, url] = response.status_code
        return answers[method, url]

    failures: list[str] = []
    tried = 0
    for pattern in patterns:
        params = dict(pattern.params)
        for label, sources in cross_cases(pattern, mine, theirs):
            for values, origin, how in fillings(pattern, sources):
                url = pattern.url(values)
                # The same URL with each of B's values replaced by one that exists nowhere: the
                # answer must not tell the two apart.
                ghost = pattern.url(
                    {
                        kwarg: ghost_for(kwarg, params[kwarg])
                        if origin.get(kwarg) is theirs
                        else value
                        for kwarg, value in values.items()
                    }
                )
                other_org = any(origin.get(kwarg) is theirs for kwarg in org_params(pattern))
                allowed = OTHER_ORG_ALLOWED if other_org else OWN_ORG_ALLOWED
                for method in ("GET", "POST"):
                    got, expected = status(method, url), status(method, ghost)
                    tried += 1
                    if got not in allowed or got != expected:
                        failures.append(
                            f"{method} {url} [{pattern.name}; {label}: {how}] -> {got}; "
                            f"{ghost} -> {expected}; allowed {sorted(allowed)}"
                        )
    assert tried > 0
    assert not failures, f"{len(failures)} of {tried} requests as {role}:\n" + "\n".join(failures)


# --- 2. nothing of B listed or counted on A's pages --------------------------------------------

TOKEN = re.compile(r"[A-Za-z0-9]{64}")  # CSRF tokens change per response
CLOCK = re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b")
TEXT_TYPES = ("text/", "application/json", "application/xml")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def readable(response) -> str | None:
    """The response as text to compare; None for formats this test cannot read (PDF)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if kind.startswith(TEXT_TYPES):
        text = content.decode(response.charset or "utf-8", errors="replace")
    elif kind.startswith(XLSX):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)
        text = "\n".join(
            "\t".join("" if cell is None else str(cell) for cell in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    else:
        return None
    return CLOCK.sub("hh:mm", TOKEN.sub("token", text))


def own_pages(patterns: list[Pattern], mine: World) -> list[tuple[str, str]]:
    pages = []
    for pattern in patterns:
        sources = dict.fromkeys([*org_params(pattern), *object_params(pattern)], mine)
        for values, _, how in fillings(pattern, sources):
            pages.append((pattern.url(values), f"{pattern} [{how}]" if values else str(pattern)))
    return pages


def test_nothing_of_another_organisation_is_listed_or_counted(client, role_worlds):
    role, (user, mine, theirs) = role_worlds
    client.force_login(user)
    patterns = [p for p in url_patterns() if not unfillable(p)]
    pages = own_pages(patterns, mine)

    def read_all() -> dict[str, str]:
        seen = {}
        for url, label in pages:
            # Followed: "/" opens the dashboard of a person's one organisation.
            response = client.get(url, follow=True)
            if response.status_code != 200:
                continue
            text = readable(response)
            if text is not None:
                seen[label] = text
        return seen

    before = read_all()
    slug = mine.organisation.slug
    # healthz: the public health check (no kwargs) is walked like any page and must stay the same
    # whatever B does.
    for must in (
        "home /",
        "organisation /o/<slug:org>/",
        "register /o/<slug:org>/registers/",
        "healthz /healthz",
    ):
        assert any(label.startswith(must) for label in before), f"{must} did not answer 200"
    register_page = next(text for label, text in before.items() if label.startswith("register "))
    assert mine.risk.ref in register_page or mine.risk.title in register_page
    # Every role's Reports page and Your reports list A's released public pack (decision 125):
    # the walk below checks that B's packs never join them.
    download = f"/o/{slug}/reports/{mine.pack.pk}/download/"
    for must in ("packs /o/<slug:org>/reports/", "my_packs /reports/"):
        page = next((text for label, text in before.items() if label.startswith(must)), None)
        assert page is not None, f"{must} did not answer 200 for a {role}"
        assert download in page, f"{must} does not list the pack for a {role}"

    leaks = [label for label, text in before.items() if MARKER in text.lower()]
    assert not leaks, f"pages of {slug} show organisation B's data to a {role}: {leaks}"

    grow(theirs)
    after = read_all()
    assert after.keys() == before.keys()
    changed = [label for label in before if before[label] != after[label]]
    leaks = [label for label, text in after.items() if MARKER in text.lower()]
    assert not leaks, f"pages of {slug} show organisation B's data to a {role}: {leaks}"
    assert not changed, (
        f"pages of {slug} changed when only organisation B changed (something of B is counted) "
        f"for a {role}: {changed}"
    )
