"""OFFICIAL-SENSITIVE detail never reaches a member who is not cleared for it (issue 11).

Four routes found by the attacker, each with its own test, then a walker: a sensitive risk's
description, consequence, control, action, review and link-note texts (unique marker strings)
must not appear in any answer an uncleared viewer or panel member gets, on every page of the
organisation (URL patterns walked from the root resolver), the register and export as they stood
before the risk was marked, and the pack downloads. Nor to an uncleared owner who owns one of its
actions, a control and an indicator but not the risk: every page asked for with and without htmx's
HX-Request, and posted to, as a stale form and an empty one. Clearance is judged by today's
marking, always: text written while the risk was OFFICIAL is withheld once it is marked."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from appetite.services import appetite_statement_set
from registers import history
from registers.models import (
    Action,
    ActionStatus,
    Control,
    Marking,
    Membership,
    Notice,
    Register,
    Review,
    ReviewState,
    Risk,
    RiskAcceptance,
    Role,
)
from registers.models.comments import Comment
from registers.services.comments import comment_add
from registers.services.evidence import evidence_add
from registers.services.indicators import indicator_add, reading_record
from registers.services.links import link_add
from registers.services.organisations import member_add
from registers.services.reviews import review_record
from registers.services.risks import risk_update
from registers.services.treatments import action_update
from reporting.models import ImportJob, Pack, PackStatus
from reporting.packs.access import PUBLIC_EDITION_OUTDATED
from reporting.packs.data import PUBLIC, pack_data
from reporting.packs.services import pack_build
from reporting.reminders.selection import WEEKLY, digests_for
from tests.cache_tokens import cache_tokens_as_if_committed
from tests.factories import ActionFactory, ControlFactory, OrganisationFactory, RiskFactory
from tests.test_page_titles import repeats_the_service

pytestmark = pytest.mark.django_db

MARKERS = {
    "description": "Qdescwren4417",
    "consequence": "Qconsfinch4417",
    "control": "Qctrlheron4417",
    "assurance": "Qassurkite4417",
    "action": "Qactplover4417",
    "progress": "Qprogrook4417",
    "review": "Qreviewtern4417",
    "link_before": "Qlinkoldswift4417",
    "link_after": "Qlinknewlark4417",
    "acceptance": "Qacceptedgull4417",
    "indicator": "Qindicatorwren4417",
    "reading": "Qreadingplover4417",
    "evidence": "Qevidencelark4417",
    "comment": "Qcommentowl4417",
}
UNCLEARED = ("viewer", "panel")
# An owner (the role) not cleared, who owns an action, a control and an indicator of the sensitive
# risk but neither owns nor manages it: the action's forms are theirs to open on other risks.
ACTION_OWNER = "frontline"
WALKERS = (*UNCLEARED, ACTION_OWNER)
DAYS_BEFORE = 10  # the risk was written (OFFICIAL) this many days ago; marked today
AS_OF_DAYS = 5  # a day between writing and marking


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


def backdate(days: int) -> None:
    """Every history record written so far moves ``days`` into the past."""
    shift = dt.timedelta(days=days)
    for model in (Risk, Control, Action):
        for record in model.history.all():
            model.history.filter(history_id=record.history_id).update(
                history_date=record.history_date - shift
            )


def found(text: str) -> list[str]:
    return [name for name, marker in MARKERS.items() if marker in text]


@pytest.fixture(scope="module")
def _world_once(django_db_setup, django_db_blocker):
    """The world is built once for the module, inside a transaction rolled back at its end. Each
    test runs in a savepoint of it (pytest-django's ``db``), so what a test changes is undone
    before the next; ``world`` hands each test its own instances, read again."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world(OrganisationFactory())
        cache_tokens_as_if_committed()
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def world(_world_once, db):
    def fresh(obj):
        return type(obj)._default_manager.get(pk=obj.pk)

    return {
        **_world_once,
        **{
            key: fresh(_world_once[key])
            for key in ("organisation", "secret", "plain", "other", "register")
        },
        "people": {who: fresh(user) for who, user in _world_once["people"].items()},
    }


def build_world(organisation):
    people = {
        "admin": person(organisation, Role.ADMIN, "Ada Admin"),
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "viewer": person(organisation, Role.VIEWER, "Vic Viewer"),
        "panel": person(organisation, Role.PANEL, "Pat Panel"),
        ACTION_OWNER: person(organisation, Role.OWNER, "Fran Frontline"),
    }
    corporate = Register.objects.get(organisation=organisation, slug="corporate")
    today = timezone.localdate()
    secret = RiskFactory(
        register=corporate,
        ref="S1",
        title="Covert sources",
        description=f"The {MARKERS['description']} network.",
        consequence=f"Lives at risk {MARKERS['consequence']}.",
        owner=people["owner"],
        positions={"inherent": (5, 5), "current": (4, 4), "target": (2, 2)},
    )
    ControlFactory(
        risk=secret,
        description=f"Vetting {MARKERS['control']}",
        assurance=f"Audit {MARKERS['assurance']}",
    )
    ControlFactory(
        risk=secret,
        description=f"Screening {MARKERS['control']}",
        assurance=f"Spot checks {MARKERS['assurance']}",
        owner=people[ACTION_OWNER],
    )
    indicator = indicator_add(  # a key risk indicator (issue 18) with a reading and its note
        user=people["coordinator"],
        risk=secret,
        name=f"Exposed {MARKERS['indicator']}",
        amber_from=1,
        red_from=2,
        owner=people["owner"],
    )
    reading_record(
        user=people["owner"],
        indicator=indicator,
        taken_on=today,
        value=3,
        note=f"Read {MARKERS['reading']}",
    )
    indicator_add(
        user=people["coordinator"],
        risk=secret,
        name=f"Informants {MARKERS['indicator']}",
        amber_from=1,
        red_from=2,
        owner=people[ACTION_OWNER],
    )
    evidence_add(  # assurance evidence (issue 18): its name, description and content marked
        risk=secret,
        user=people["coordinator"],
        upload=SimpleUploadedFile(
            f"Sources {MARKERS['evidence']}.txt", f"Names {MARKERS['evidence']}".encode()
        ),
        control=secret.controls.first(),
        line=3,
        description=f"Audit of {MARKERS['evidence']}",
    )
    # Each uncleared member owns one overdue action: "My work" and the digest e-mail list it.
    for who in WALKERS:
        ActionFactory(
            risk=secret,
            description=f"Move {MARKERS['action']} offline",
            progress_note=f"Begun {MARKERS['progress']}",
            owner=people[who],
            due_date=today - dt.timedelta(days=3),
            status=ActionStatus.IN_PROGRESS,
        )
    plain = RiskFactory(register=corporate, ref="O1", title="Budget", owner=people["owner"])
    other = RiskFactory(register=corporate, ref="O2", title="Estate", owner=people["owner"])
    secret.refresh_from_db()
    link_add(risk=other, other=secret, note=f"Shares {MARKERS['link_before']}")
    for who in WALKERS:  # told of it while OFFICIAL: the notice's words judged by today's marking
        Notice.objects.create(
            organisation=organisation,
            user=people[who],
            kind="comment",
            event_key="s1-comment",
            risk=secret,
            title="S1: a comment",
            body=f"Said {MARKERS['description']}",
            url="/",
            delivery="never",
        )
    backdate(DAYS_BEFORE)
    secret.refresh_from_db()
    risk_update(
        risk=secret,
        expected_version=secret.version,
        fields={"marking": Marking.OFFICIAL_SENSITIVE},
        reason="marked",
    )
    secret.refresh_from_db()
    # A coordinator changes the action owner's progress note: the owner's form (version 1) is
    # now stale, so a post of it meets the coordinator's note as a conflict.
    mine = secret.actions.get(owner=people[ACTION_OWNER])
    action_update(
        action=mine,
        expected_version=mine.version,
        progress_note=f"Chased {MARKERS['progress']}",
        reason="chased",
    )
    link_add(risk=plain, other=secret, note=f"Feeds {MARKERS['link_after']}")
    secret.refresh_from_db()
    review_record(
        risk=secret,
        user=people["owner"],
        expected_version=secret.version,
        note=f"Checked {MARKERS['review']}",
        positions={"current": (3, 4)},
    )
    secret.refresh_from_db()
    Review.objects.create(  # an owner's update awaiting sign-off (issue 17): its words too
        organisation=organisation,
        risk=secret,
        reviewed_by=people["owner"],
        reviewed_on=today,
        note=f"Pending {MARKERS['review']}",
        state=ReviewState.SUBMITTED,
        proposed={"positions": {"current": [2, 2]}, "kind": "review"},
        base_version=secret.version,
    )
    comment_add(  # in the thread of one of its controls
        risk=secret,
        user=people["coordinator"],
        body=f"Asked {MARKERS['comment']} @{people['owner'].email}",
        control=secret.controls.first(),
    )
    # In breach (12 over a tolerance of 8) and accepted, with a reason (issue 17).
    appetite_statement_set(organisation=organisation, tolerance=8)
    RiskAcceptance.objects.create(
        organisation=organisation,
        risk=secret,
        accepted_by=people["admin"],
        reason=f"Tolerated {MARKERS['acceptance']}",
        accepted_score=secret.current_score,
        expires_on=today + dt.timedelta(days=30),
    )
    for who in WALKERS:  # a checked import of theirs whose preview names the secret risk
        ImportJob.objects.create(
            organisation=organisation,
            register=corporate,
            user=people[who],
            filename="s1.csv",
            status="checked",
            preview={"updated": 1, "lines": [f"row 2: would update S1: {MARKERS['description']}"]},
        )
    return {
        "organisation": organisation,
        "people": people,
        "secret": secret,
        "plain": plain,
        "other": other,
        "register": corporate,
        "as_of_day": today - dt.timedelta(days=AS_OF_DAYS),
    }


def get(client, user, url, data=None) -> tuple[int, str]:
    client.force_login(user)
    response = client.get(url, data or {})
    return response.status_code, body_text(response)


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    kind = response.get("Content-Type", "")
    if content.startswith(b"%PDF"):
        return content.decode("latin-1") + pdf_text(content)
    if "wordprocessingml" in kind:  # a pack's Word edition: body, tables, headers, footers
        document = Document(io.BytesIO(content))
        parts = [p.text for p in document.paragraphs]
        parts += [
            cell.text for table in document.tables for row in table.rows for cell in row.cells
        ]
        for section in document.sections:
            for part in (section.header, section.footer, section.first_page_header):
                parts += [p.text for p in part.paragraphs]
        return "\n".join(parts)
    if "spreadsheetml" in kind:
        workbook = load_workbook(io.BytesIO(content))
        return "\n".join(
            str(cell)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return content.decode("utf-8", errors="replace")


def pdf_text(pdf: bytes) -> str:
    try:
        result = subprocess.run(  # noqa: S603
            ["pdftotext", "-layout", "-", "-"],  # noqa: S607
            input=pdf,
            capture_output=True,
            check=True,
        )
    except subprocess.CalledProcessError:  # a test's stand-in bytes, not a real PDF
        return ""
    return result.stdout.decode()


# --- 1. the dashboard's "Actions overdue" (and My work) ------------------------------------------


@pytest.mark.parametrize("who", WALKERS)
def test_dashboard_and_my_work_withhold_actions_of_sensitive_risks(client, world, who):
    organisation = world["organisation"]
    for name in ("organisation", "my_work"):
        status, page = get(client, world["people"][who], reverse(name, args=[organisation.slug]))
        assert status == 200
        assert "S1" in page  # the action is listed, by its risk's ref
        assert found(page) == [], name


def test_dashboard_shows_the_action_to_those_cleared(client, world):
    organisation = world["organisation"]
    Membership.objects.filter(user=world["people"]["viewer"]).update(sensitive_access=True)
    for who in ("coordinator", "viewer"):
        _status, page = get(
            client, world["people"][who], reverse("organisation", args=[organisation.slug])
        )
        assert MARKERS["action"] in page, who


def test_digest_e_mail_withholds_the_action_of_a_sensitive_risk(world):
    # A Monday (today or the next), so that the coordinators' weekly digest is there to read.
    today = timezone.localdate()
    monday = today + dt.timedelta(days=(7 - today.weekday()) % 7)
    digests = digests_for(organisation=world["organisation"], today=monday)
    personal = [d for d in digests if d.user in [world["people"][who] for who in WALKERS]]
    assert {d.user for d in personal} == {world["people"][who] for who in WALKERS}
    for digest in personal:
        text = " ".join(line.text for line in digest.lines)
        assert "S1" in text and found(text) == []
    coordinators = [
        d for d in digests if d.user == world["people"]["coordinator"] and d.kind == WEEKLY
    ]
    assert coordinators  # their daily one may hold only sign-offs
    for digest in coordinators:
        assert MARKERS["action"] in " ".join(line.text for line in digest.lines)


# --- 2. full-edition packs are for cleared people only --------------------------------------------


def ready_pack(organisation, *, edition, content=b"%PDF-1.7 stand-in") -> Pack:
    pack = Pack.objects.create(
        organisation=organisation, kind="quarterly", edition=edition, as_of="2026-03-31"
    )
    pack.file.save(f"pack-{pack.pk}.pdf", ContentFile(content), save=False)
    pack.status, pack.size, pack.pages = PackStatus.READY, len(content), 1
    pack.released_at = timezone.now()  # panel members read released packs only
    pack.save()
    return pack


@pytest.mark.parametrize("who", ["panel", "viewer", "owner", ACTION_OWNER])
def test_uncleared_member_gets_no_full_edition(client, world, who):
    """Every member finds the released public edition on the Reports page and Your reports
    (decision 125); a full edition only once an admin clears them."""
    organisation = world["organisation"]
    full = ready_pack(
        organisation, edition="full", content=b"%PDF-1.7 " + MARKERS["action"].encode()
    )
    public = ready_pack(organisation, edition="public")
    panel = world["people"][who]
    client.force_login(panel)
    slug = organisation.slug
    assert client.get(reverse("pack_download", args=[slug, full.pk])).status_code == 404
    assert client.get(reverse("pack_status", args=[slug, full.pk])).status_code == 404
    assert client.get(reverse("pack_download", args=[slug, public.pk])).status_code == 200
    for name, args in (("packs", [slug]), ("my_packs", [])):
        page = client.get(reverse(name, args=args))
        assert page.status_code == 200
        shown = {pack.pk for pack in page.context["packs"]}
        assert full.pk not in shown and public.pk in shown, name
        body = page.content.decode()
        assert reverse("pack_download", args=[slug, full.pk]) not in body

    Membership.objects.filter(user=panel).update(sensitive_access=True)
    assert client.get(reverse("pack_download", args=[slug, full.pk])).status_code == 200
    page = client.get(reverse("my_packs"))
    assert full.pk in {pack.pk for pack in page.context["packs"]}


def test_public_edition_built_before_the_marking_is_not_handed_out(client, world):
    organisation = world["organisation"]
    stale = ready_pack(organisation, edition="public", content=b"%PDF-1.7 " + b"old text")
    Pack.objects.filter(pk=stale.pk).update(finished_at=timezone.now() - dt.timedelta(days=3))
    fresh = ready_pack(organisation, edition="public")
    Pack.objects.filter(pk=fresh.pk).update(finished_at=timezone.now())
    url = reverse("pack_download", args=[organisation.slug, stale.pk])
    for who in UNCLEARED:
        client.force_login(world["people"][who])
        response = client.get(url)
        assert response.status_code == 409
        assert PUBLIC_EDITION_OUTDATED in response.content.decode()
        fresh_url = reverse("pack_download", args=[organisation.slug, fresh.pk])
        assert client.get(fresh_url).status_code == 200
    client.force_login(world["people"]["coordinator"])
    assert client.get(url).status_code == 200


# --- 3. a link's note in the other risk's history ------------------------------------------------


@pytest.mark.parametrize("who", WALKERS)
def test_history_of_another_risk_carries_no_note_of_a_sensitive_link(client, world, who):
    organisation = world["organisation"]
    for ref in ("O1", "O2"):
        for name in ("risk", "risk_history"):
            status, page = get(
                client, world["people"][who], reverse(name, args=[organisation.slug, ref])
            )
            assert status == 200
            assert "Linked to S1" in page, (ref, name)
            assert found(page) == [], (ref, name)


def test_cleared_readers_see_the_link_note_in_history(client, world):
    organisation = world["organisation"]
    _status, page = get(
        client,
        world["people"]["coordinator"],
        reverse("risk_history", args=[organisation.slug, "O1"]),
    )
    assert MARKERS["link_after"] in page


def test_risk_history_withholds_link_notes_for_its_reader(world):
    from registers.permissions import organisation_for_user

    viewer = organisation_for_user(user=world["people"]["viewer"], slug=world["organisation"].slug)
    entries = history.risk_history(world["plain"], reader=viewer)
    (link,) = [entry for entry in entries if entry.subject == "Link"]
    assert link.summary == "Linked to S1" and link.reason == ""
    full = history.risk_history(world["plain"])
    assert any(MARKERS["link_after"] in entry.reason for entry in full)


# --- 4. as it stood before the marking: clearance by today's marking ------------------------------


@pytest.mark.parametrize("who", WALKERS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_as_of_before_the_marking_withholds(client, world, who, fmt):
    organisation = world["organisation"]
    url = reverse("register_export", args=[organisation.slug, "corporate"])
    as_of = world["as_of_day"].isoformat()
    status, text = get(client, world["people"][who], url, {"format": fmt, "as_of": as_of})
    assert status == 200
    assert "S1" in text and found(text) == []


def test_export_as_of_marks_the_rows_by_todays_marking(client, world):
    organisation = world["organisation"]
    client.force_login(world["people"]["viewer"])
    response = client.get(
        reverse("register_export", args=[organisation.slug, "corporate"]),
        {"format": "csv", "as_of": world["as_of_day"].isoformat()},
    )
    rows = {
        row["ref"]: row for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    }
    assert rows["S1"]["marking"] == Marking.OFFICIAL_SENSITIVE
    assert rows["S1"]["description"].startswith("[OFFICIAL-SENSITIVE")


@pytest.mark.parametrize("who", WALKERS)
def test_register_as_of_before_the_marking_cannot_be_searched_for_its_text(client, world, who):
    organisation = world["organisation"]
    url = reverse("register", args=[organisation.slug, "corporate"])
    client.force_login(world["people"][who])
    day = world["as_of_day"].isoformat()
    response = client.get(url, {"as_of": day, "q": "Covert"})
    assert [row.risk.ref for row in response.context["rows"]] == ["S1"]
    response = client.get(url, {"as_of": day, "q": MARKERS["description"]})
    assert [row.risk.ref for row in response.context["rows"]] == []


def test_public_pack_as_of_before_the_marking_withholds(world):
    data = pack_data(
        organisation=world["organisation"],
        kind="quarterly",
        as_of=world["as_of_day"],
        edition=PUBLIC,
    )
    (risk,) = [risk for risk in data.risks if risk.ref == "S1"]
    assert risk.withheld and risk.sensitive
    assert risk.controls == [] and risk.actions == []
    assert data.withheld_count == 1


# --- 5. an action's owner not cleared for its risk -------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_uncleared_action_owner_neither_opens_nor_changes_their_action(client, world, htmx):
    """Owning an action of an OFFICIAL-SENSITIVE risk clears nobody for it: its edit form, a
    stale form's conflict (the coordinator's note) and "Mark completed" answered the row, with
    the action's text, to htmx; now each is refused and nothing is written, as the API refuses."""
    organisation, user = world["organisation"], world["people"][ACTION_OWNER]
    action = world["secret"].actions.get(owner=user)
    headers = HTMX if htmx else {}
    client.force_login(user)
    edit = reverse("action_edit", args=[organisation.slug, "S1", action.pk])
    complete = reverse("action_complete", args=[organisation.slug, "S1", action.pk])
    for response in (
        client.get(edit, headers=headers),
        client.post(edit, STALE_FORM, headers=headers),
        client.post(edit, {**STALE_FORM, "version": str(action.version)}, headers=headers),
        client.post(complete, {"version": "1"}, headers=headers),
        client.post(complete, {}, headers=headers),
    ):
        assert response.status_code == 403
        assert found(body_text(response)) == []
    after = Action.objects.get(pk=action.pk)
    assert (after.version, after.status, after.progress_note) == (
        action.version,
        action.status,
        action.progress_note,
    )
    # Cleared by an admin, the same owner opens and updates it.
    Membership.objects.filter(user=user).update(sensitive_access=True)
    response = client.get(edit, headers=HTMX)
    assert response.status_code == 200 and MARKERS["action"] in response.content.decode()
    client.post(complete, {"version": str(action.version)}, headers=headers)
    assert Action.objects.get(pk=action.pk).status == ActionStatus.COMPLETED


# --- the walker -----------------------------------------------------------------------------------

EXCLUDED_PREFIXES = ("admin/", "login/", "logout/", "static/", "media/", "__debug__/", "accounts/")
PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def routes() -> list[str]:
    found_routes: list[str] = []

    def walk(resolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if route.lstrip("^").startswith(EXCLUDED_PREFIXES):
                continue
            if not isinstance(entry.pattern, RoutePattern):
                continue
            if isinstance(entry, URLResolver):
                walk(entry, route)
            else:
                found_routes.append(route)

    walk(get_resolver(), "")
    return found_routes


def filling_values(world, packs) -> dict[str, list]:
    """What each URL kwarg is filled with: the world's objects (a pk with each kind)."""
    organisation, secret = world["organisation"], world["secret"]
    return {
        "org": [organisation.slug],
        "register": ["corporate"],
        "ref": ["S1", "O1", "O2"],
        "member": list(
            Membership.objects.filter(organisation=organisation).values_list("pk", flat=True)
        ),
        "link": [
            *secret.links_out.values_list("pk", flat=True),
            *secret.links_in.values_list("pk", flat=True),
        ],
        "pk": [
            *secret.controls.values_list("pk", flat=True),
            *secret.actions.values_list("pk", flat=True),
            *secret.indicators.values_list("pk", flat=True),
            *secret.evidence.values_list("pk", flat=True),
            *(pack.pk for pack in packs),
        ],
        "statement": [],
        "upload": [],
        # A big import's page (its uploader's alone; the preview names the secret risk's text).
        "job": list(
            ImportJob.objects.filter(organisation=organisation).values_list("pk", flat=True)
        ),
        "scheme": list(organisation.schemes.values_list("pk", flat=True)),
        "format": ["csv", "xlsx"],
        "review": list(secret.reviews.values_list("pk", flat=True)),
        "notice": list(
            Notice.objects.filter(organisation=organisation).values_list("pk", flat=True)
        ),
        "comment": list(
            Comment.objects.filter(organisation=organisation).values_list("pk", flat=True)
        ),
    }


def fillings(route: str, values: dict[str, list]) -> list[str]:
    """Every URL of the route filled with ``values`` (``filling_values``), each combination."""
    urls = [""]
    for match in PARAM.finditer(route):
        options = values.get(match["name"])
        if not options:
            return []
        urls = [u + "|" + f"{match['name']}={value}" for u in urls for value in options]
    result = []
    for combo in urls:
        chosen = dict(part.split("=", 1) for part in combo.split("|") if part)
        result.append("/" + PARAM.sub(lambda m, chosen=chosen: chosen[m["name"]], route))
    return result


QUERY_VARIANTS = {
    "register": lambda w: [
        {},
        {"as_of": w["as_of_day"].isoformat()},
        {"as_of": w["as_of_day"].isoformat(), "status": "all"},
    ],
    "register_export": lambda w: [
        {},
        {"format": "csv"},
        {"format": "xlsx"},
        {"format": "csv", "as_of": w["as_of_day"].isoformat()},
        {"format": "xlsx", "as_of": w["as_of_day"].isoformat()},
    ],
    "movement": lambda w: [{}, {"all": 1}],
    # The bulk edit page with the sensitive risk chosen (its editors are always cleared).
    "register_bulk_edit": lambda w: [{}, {"risk": "S1"}],
    "comment_mentions": lambda w: [{}, {"q": "o"}],
    "comment_add": lambda w: [{}, {"about": f"control-{w['secret'].controls.first().pk}"}],
}


@pytest.fixture
def _sessions_as_in_production(settings):
    """Sessions kept as production keeps them with its shared cache (``cached_db``: written to
    the database, read from the cache), where the test settings read the session row on every
    request: the walk below makes about 570 requests a member and reads only what each page
    shows. tests/test_isolation.py's and tests/test_admin_accounts.py's walks do the same."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


# What the walk posts to every URL, besides an empty form: the action owner's form as they opened
# it (version 1, before the coordinator's change), with their own progress note.
STALE_FORM = {
    "version": "1",
    "status": ActionStatus.IN_PROGRESS,
    "progress_note": "Walked on",
}
HTMX = {"HX-Request": "true"}


def _posted(client, user, url, data, headers) -> tuple[int, str]:
    """A POST whose writes are undone (each in a savepoint rolled back), so the walk goes on over
    the same world; signed in again should the answer have ended the session."""
    with transaction.atomic():
        response = client.post(url, data, headers=headers)
        text = body_text(response) if response.status_code < 500 else ""
        transaction.set_rollback(True)
    if client.session.get(SESSION_KEY) != str(user.pk):
        client.force_login(user)
    return response.status_code, text


@pytest.mark.parametrize("who", WALKERS)
def test_walk_every_page_as_an_uncleared_member(_sessions_as_in_production, client, world, who):
    organisation = world["organisation"]
    # Packs as the panel meets them: a full edition (its bytes carry a marker), and a public
    # edition really built as at a day before the risk was marked.
    full = ready_pack(
        organisation, edition="full", content=b"%PDF-1.7 " + MARKERS["action"].encode()
    )
    word = Document()
    word.add_paragraph(MARKERS["action"])
    stored = io.BytesIO()
    word.save(stored)
    full.docx.save(f"pack-{full.pk}.docx", ContentFile(stored.getvalue()))
    public = Pack.objects.create(
        organisation=organisation,
        kind="quarterly",
        edition="public",
        as_of=world["as_of_day"],
        released_by=world["people"]["coordinator"],  # released by this build: panels see it
    )
    public = pack_build(public)
    assert public.status == PackStatus.READY, public.error
    assert public.released_at is not None
    user = world["people"][who]
    client.force_login(user)
    leaks, visited, answered = [], 0, {}
    values = filling_values(world, [full, public])
    for route in routes():
        for url in fillings(route, values):
            name = get_resolver().resolve(url).url_name
            # Every page as a link opens it and as htmx asks for its partial.
            for query in QUERY_VARIANTS.get(name, lambda w: [{}])(world):
                for headers in ({}, HTMX):
                    response = client.get(url, query, headers=headers)
                    visited += 1
                    if response.status_code >= 500:
                        leaks.append(("GET", url, query, headers, response.status_code))
                        continue
                    text = body_text(response)
                    if not headers:
                        answered[(url, tuple(query.items()))] = (response.status_code, text)
                    if found(text):
                        leaks.append(("GET", url, query, headers, found(text)))
            # and, by the one whose role writes, posted to: an empty form and a stale one, each
            # with and without htmx (a viewer's or panel member's posts are refused by role).
            for data in ({}, STALE_FORM) if who == ACTION_OWNER else ():
                for headers in ({}, HTMX):
                    status, text = _posted(client, user, url, data, headers)
                    visited += 1
                    if status >= 500 or found(text):
                        leaks.append(("POST", url, data, headers, status, found(text)))
    assert visited > 40
    assert leaks == [], "\n".join(map(str, leaks))
    # No page's <title> names the service twice (base.html adds " – riskreg" to each).
    twice = [url for (url, _query), (_s, text) in answered.items() if repeats_the_service(text)]
    assert twice == [], twice
    slug = organisation.slug
    # Full editions are out of reach of everyone here.
    assert answered[(reverse("pack_download", args=[slug, full.pk]), ())][0] == 404
    assert answered[(reverse("pack_download_docx", args=[slug, full.pk]), ())][0] == 404
    # The walk met the listings: whatever their role, the Reports page and Your reports list the
    # released public pack (decision 125), and no full edition.
    for url in (reverse("packs", args=[slug]), reverse("my_packs")):
        status, _text = answered[(url, ())]
        page = client.get(url).content.decode()
        assert status == 200 and reverse("pack_download", args=[slug, public.pk]) in page, url
        assert reverse("pack_download", args=[slug, full.pk]) not in page, url
    if user.memberships.get(organisation=organisation).role in (Role.VIEWER, Role.PANEL):
        # The walk met the risk where it matters: the public pack, built as at a day before the
        # marking, lists S1 and says its detail is left out; and its Word edition the same.
        for name in ("pack_download", "pack_download_docx"):
            status, text = answered[(reverse(name, args=[slug, public.pk]), ())]
            assert status == 200 and "S1" in text and "left out" in " ".join(text.split()), name
    for name in ("organisation", "my_work", "movement"):
        status, text = answered[(reverse(name, args=[slug]), ())]
        assert status == 200 and "S1" in text, name
    if who == ACTION_OWNER:  # the action's own pages were met, and refused
        action = world["secret"].actions.get(owner=user)
        for name in ("action_edit", "action_complete"):
            url = reverse(name, args=[slug, "S1", action.pk])
            status, _text = answered[(url, ())]
            assert status in (403, 405), (name, status)


def test_the_walker_would_see_the_markers(client, world):
    """The walk is not vacuous: a coordinator meets every marker on the same pages."""
    organisation = world["organisation"]
    seen = set()
    for url in (
        reverse("risk", args=[organisation.slug, "S1"]),
        reverse("risk_history", args=[organisation.slug, "S1"]),
        reverse("risk_history", args=[organisation.slug, "O1"]),
        reverse("risk_history", args=[organisation.slug, "O2"]),
        reverse("organisation", args=[organisation.slug]),
    ):
        seen.update(found(get(client, world["people"]["coordinator"], url)[1]))
    assert seen == set(MARKERS)


@pytest.mark.parametrize("old_ref", ["S 1", "S:1", "S: 1"])
def test_link_notes_stay_withheld_for_refs_older_data_holds(world, old_ref):
    """Refs saved before the ref rule may hold spaces or colons; the link step in the other
    risk's history must still be known as one, and its note withheld."""
    from registers.permissions import organisation_for_user

    secret = world["secret"]
    Risk.objects.filter(pk=secret.pk).update(ref=old_ref)
    secret.refresh_from_db()
    third = RiskFactory(register=world["register"], ref="O3", title="Fleet")
    link_add(risk=third, other=secret, note="Mentions OLDREF-MARKER-77")
    viewer = organisation_for_user(user=world["people"]["viewer"], slug=world["organisation"].slug)
    entries = history.risk_history(third, reader=viewer)
    assert not any("OLDREF-MARKER-77" in f"{e.summary} {e.reason}" for e in entries)
    (link,) = [entry for entry in entries if entry.subject == "Link"]
    assert link.summary == f"Linked to {old_ref}"
    full = history.risk_history(third)
    assert any("OLDREF-MARKER-77" in entry.reason for entry in full)
