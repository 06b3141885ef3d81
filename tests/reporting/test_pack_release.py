"""Packs are drafts until a coordinator releases them (issue 16): only released packs reach the
panel; releasing builds the final copy (no DRAFT marks) and e-mails each panel member who may
read it a link and the file's SHA-256, never the file; a released pack never changes; a
correction is the next version, saying what it corrects; each page footer names the pack.

The PDF is stood in for by the pack's HTML (``render_html``), so the build runs in
milliseconds and the tests read what the PDF would print (tests/reporting/test_packs.py renders
real PDFs)."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registers.models import Role
from reporting.models import Pack, PackStatus
from reporting.packs import release as release_module
from reporting.packs import services, tasks
from reporting.packs.announce import pack_release_notify
from reporting.packs.proof import PACK_RELEASED_UNCHANGEABLE, pack_identifier
from reporting.packs.release import (
    PACK_CORRECTION_NOTE_REQUIRED,
    PACK_CORRECTS_ONLY_RELEASED,
    PACK_NOT_READY_TO_RELEASE,
    pack_correct,
    pack_release,
    pack_summary_save,
)
from reporting.packs.render import RenderedPack, render_html
from tests.factories import MembershipFactory, RiskFactory

pytestmark = pytest.mark.django_db

DRAFT_MARK = "DRAFT – not released"


@pytest.fixture(autouse=True)
def html_for_pdf(monkeypatch):
    """Builds store the pack's HTML as its "PDF": same proof, no WeasyPrint."""

    def render(data):
        html = render_html(data)
        return RenderedPack(pdf=html.encode(), pages=1, html=html)

    monkeypatch.setattr(services, "render_pdf", render)


@pytest.fixture
def build(send_queued_email):
    """Run whatever a service queued (builds, then e-mails) here and now."""
    return send_queued_email


def stored(pack: Pack) -> str:
    pack.refresh_from_db()
    with pack.file.open("rb") as handle:
        return handle.read().decode()


def built_draft(organisation, *, edition="public", as_of="2026-03-31") -> Pack:
    pack = Pack.objects.create(
        organisation=organisation, kind="quarterly", edition=edition, as_of=as_of
    )
    assert tasks.build_pack_task(pack.pk) == PackStatus.READY
    pack.refresh_from_db()
    return pack


def released(organisation, *, edition="public", as_of="2026-03-31") -> Pack:
    """A ready pack marked released (no build), as the Reports page lists them."""
    pack = Pack.objects.create(
        organisation=organisation, kind="quarterly", edition=edition, as_of=as_of
    )
    pack.file.save(f"pack-{pack.pk}.pdf", ContentFile(b"%PDF-1.7 released"), save=False)
    pack.status, pack.size, pack.pages = PackStatus.READY, 17, 1
    pack.sha256 = hashlib.sha256(b"%PDF-1.7 released").hexdigest()
    pack.released_at = timezone.now()
    pack.save()
    return pack


def member(organisation, role, **fields):
    return MembershipFactory(organisation=organisation, role=role, **fields).user


@pytest.fixture
def org(organisation, corporate_register):
    RiskFactory(register=corporate_register, ref="R1", title="Cyber attack")
    return organisation


# --- the proof printed on the pack ---------------------------------------------------------------


def test_a_draft_prints_draft_and_its_identifier_on_every_page(org):
    pack = built_draft(org)
    html = stored(pack)
    assert DRAFT_MARK in html
    label = f"{org.slug.upper()}-QUARTERLY-2026-03-31-PUBLIC v1"  # a public edition
    assert pack_identifier(pack) + " v1" == label
    # the @page footer: on every page, "Page x of y" beside it; the public edition's identifier
    # names its edition (decision 124), the full edition's is followed by "· Full edition"
    assert re.search(rf'@bottom-left {{ content: "{label}";', html)
    assert "Executive summary" in html  # the generated draft, as nothing was written yet
    assert "the coordinator has not written a summary" in html


def test_release_builds_the_final_copy_and_emails_the_panel_a_link(org, build):
    pack = built_draft(org)
    coordinator = member(org, Role.COORDINATOR)
    panel = [member(org, Role.PANEL), member(org, Role.PANEL, sensitive_access=True)]
    member(org, Role.OWNER)
    member(org, Role.VIEWER)
    with build() as outbox:
        pack_release(pack=pack, by=coordinator)
    pack.refresh_from_db()
    assert pack.released_at is not None and pack.released_by == coordinator
    html = stored(pack)
    assert DRAFT_MARK not in html
    assert pack.sha256 == hashlib.sha256(html.encode()).hexdigest()
    assert sorted(message.to[0] for message in outbox) == sorted(user.email for user in panel)
    download = "http://testserver" + reverse("pack_download", args=[org.slug, pack.pk])
    for message in outbox:
        assert len(message.to) == 1  # nobody sees another member's address
        assert message.attachments == []  # a link, never the file
        text, html_part = message.body, message.alternatives[0][0]
        assert pack.sha256 in text and pack.sha256 in html_part
        assert f"{pack_identifier(pack)} v1" in message.subject
        assert re.search(
            r"^https?://\S+" + re.escape(reverse("pack_download", args=[org.slug, pack.pk])) + "$",
            text,
            re.M,
        ), download
        assert "sha256sum" in text and "Get-FileHash" in text and "certutil" in text


def test_a_full_edition_goes_only_to_cleared_panel_members(org, build):
    pack = built_draft(org, edition="full")
    member(org, Role.PANEL)
    cleared = member(org, Role.PANEL, sensitive_access=True)
    with build() as outbox:
        pack_release(pack=pack, by=member(org, Role.ADMIN))
    assert [message.to for message in outbox] == [[cleared.email]]


def test_a_joint_panel_member_is_told_for_each_organisation(org, other_organisation, build):
    from tests.factories import corporate_register_of

    RiskFactory(register=corporate_register_of(other_organisation), ref="X1")
    joint = member(org, Role.PANEL)
    MembershipFactory(organisation=other_organisation, user=joint, role=Role.PANEL)
    first, second = built_draft(org), built_draft(other_organisation)
    with build() as outbox:
        pack_release(pack=first, by=member(org, Role.COORDINATOR))
        pack_release(pack=second, by=member(other_organisation, Role.COORDINATOR))
    mine = [message for message in outbox if message.to == [joint.email]]
    assert len(mine) == 2
    assert {org.display_name in m.subject for m in mine} == {True, False}


def test_a_word_edition_gives_its_sha256_too(org, build):
    pack = released(org)
    Pack.objects.filter(pk=pack.pk).update(docx_sha256="ab" * 32)
    pack.refresh_from_db()
    member(org, Role.PANEL)
    with build() as outbox:
        assert pack_release_notify(pack=pack) == 1
    assert f"Word: {'ab' * 32}" in outbox[0].body
    assert f"PDF: {pack.sha256}" in outbox[0].body


def nested_brackets(text: str) -> bool:
    depth = 0
    for character in text:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth > 1:
            return True
    return False


def test_the_e_mail_and_pages_name_the_edition_without_brackets_in_brackets(client, org, build):
    """The release e-mail read "(Public (OFFICIAL-SENSITIVE detail left out))", and the release
    and correction pages lower-cased the marking ("official-sensitive")."""
    pack = released(org)
    pack.refresh_from_db()  # as_of a date
    member(org, Role.PANEL)
    with build() as outbox:
        assert pack_release_notify(pack=pack) == 1
    message = outbox[0]
    sentence = next(line for line in message.body.splitlines() if "has released" in line)
    assert sentence.endswith(": the public edition, OFFICIAL-SENSITIVE detail left out.")
    assert not nested_brackets(sentence), sentence
    html = message.alternatives[0][0]
    assert "the public edition, OFFICIAL-SENSITIVE detail left out.</p>" in html
    assert "(Public (" not in html

    client.force_login(member(org, Role.ADMIN))
    correct = client.get(reverse("pack_correct", args=[org.slug, pack.pk])).content.decode()
    assert "(public edition, OFFICIAL-SENSITIVE detail left out)" in correct
    draft = built_draft(org, as_of="2026-06-30")
    release = client.get(reverse("pack_release", args=[org.slug, draft.pk])).content.decode()
    assert "the public edition, OFFICIAL-SENSITIVE detail left out." in release
    assert "official-sensitive" not in correct + release


# --- refusals: a released pack never changes -----------------------------------------------------


def test_a_released_pack_cannot_change(org, build):
    pack = released(org)
    by = member(org, Role.COORDINATOR)
    for attempt in (
        lambda: pack_release(pack=pack, by=by),
        lambda: pack_summary_save(pack=pack, summary="New words", by=by),
        lambda: services.pack_build(pack),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.messages == [PACK_RELEASED_UNCHANGEABLE]
    with pytest.raises(ValidationError) as refused:
        services.pack_retry(pack=pack)
    assert refused.value.messages == [PACK_RELEASED_UNCHANGEABLE]
    assert tasks.build_pack_task(pack.pk) == "ready"  # the worker leaves it be
    pack.refresh_from_db()
    assert pack.summary == "" and pack.status == PackStatus.READY


def test_only_a_built_draft_is_released(org):
    queued = Pack.objects.create(organisation=org, kind="quarterly", as_of="2026-03-31")
    with pytest.raises(ValidationError) as refused:
        pack_release(pack=queued, by=member(org, Role.COORDINATOR))
    assert refused.value.messages == [PACK_NOT_READY_TO_RELEASE]


# --- the executive summary ------------------------------------------------------------------------


def test_saving_the_summary_rebuilds_the_draft_with_it_first(org, build):
    pack = built_draft(org)
    with build():
        pack_summary_save(pack=pack, summary="Eight green, two amber.\n\nR1 rose.", by=None)
    html = stored(pack)
    assert pack.summary == "Eight green, two amber.\n\nR1 rose."
    assert pack.status == PackStatus.READY and DRAFT_MARK in html
    summary = html.index("Eight green, two amber.")
    assert html.index("Executive summary") < summary < html.index('id="summary"')
    assert "the coordinator has not written a summary" not in html


# --- corrections ---------------------------------------------------------------------------------


def test_a_correction_is_the_next_version_saying_what_it_corrects(org, build):
    first = built_draft(org)
    by = member(org, Role.COORDINATOR)
    with pytest.raises(ValidationError) as refused:
        pack_correct(pack=first, by=by, note="Too early")
    assert refused.value.messages == [PACK_CORRECTS_ONLY_RELEASED]
    with build():
        pack_release(pack=first, by=by)
    with pytest.raises(ValidationError) as refused:
        pack_correct(pack=first, by=by, note="  ")
    assert refused.value.messages == [PACK_CORRECTION_NOTE_REQUIRED]
    with build():
        second = pack_correct(pack=first, by=by, note="R1's owner was wrong")
    second.refresh_from_db()
    assert (second.version, second.corrects, second.released_at) == (2, first, None)
    assert (second.kind, second.edition, second.as_of) == (first.kind, first.edition, first.as_of)
    html = stored(second)
    assert DRAFT_MARK in html and "-PUBLIC v2" in html
    assert "Version 2, correcting version 1:" in html and "R1&#x27;s owner was wrong" in html
    with pytest.raises(ValidationError):  # one correction at a time
        pack_correct(pack=first, by=by, note="Again")

    panel = member(org, Role.PANEL)
    client = Client()
    client.force_login(panel)
    page = client.get(reverse("packs", args=[org.slug]))
    assert [p.pk for p in page.context["packs"]] == [first.pk]  # the draft is not theirs
    with build() as outbox:
        pack_release(pack=second, by=by)
    assert "R1's owner was wrong" in outbox[0].body
    page = client.get(reverse("packs", args=[org.slug])).content.decode()
    assert "Replaced by version 2" in page
    mine = client.get(reverse("my_packs")).content.decode()
    assert "Replaced by version 2" in mine


# --- views ---------------------------------------------------------------------------------------


def test_panel_members_see_and_download_only_released_packs(client, org):
    draft = built_draft(org)
    out = released(org, as_of="2025-12-31")
    client.force_login(member(org, Role.PANEL))
    for name, args in (("packs", [org.slug]), ("my_packs", [])):
        shown = {pack.pk for pack in client.get(reverse(name, args=args)).context["packs"]}
        assert shown == {out.pk}, name
    for name in ("pack_download", "pack_status", "pack_detail"):
        assert client.get(reverse(name, args=[org.slug, draft.pk])).status_code == 404, name
    assert client.get(reverse("pack_download", args=[org.slug, out.pk])).status_code == 200
    page = client.get(reverse("packs", args=[org.slug])).content.decode()
    assert out.sha256 in page


def test_coordinators_read_the_draft(client, org):
    today = timezone.localdate()
    draft = built_draft(org, as_of=today)
    client.force_login(member(org, Role.COORDINATOR))
    shown = {pack.pk for pack in client.get(reverse("packs", args=[org.slug])).context["packs"]}
    assert draft.pk in shown
    assert client.get(reverse("pack_download", args=[org.slug, draft.pk])).status_code == 200
    page = client.get(reverse("pack_detail", args=[org.slug, draft.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert f"1 open risk as at {today:%-d %B %Y}" in body  # the generated draft, in the box
    assert reverse("pack_release", args=[org.slug, draft.pk]) in body


def test_the_draft_page_says_who_release_tells_and_why_nobody(client, org):
    full = built_draft(org, edition="full")
    member(org, Role.PANEL)  # not cleared for the full edition
    client.force_login(member(org, Role.COORDINATOR))

    def release_words(pack) -> str:
        page = client.get(reverse("pack_detail", args=[org.slug, pack.pk])).content.decode()
        return " ".join(page[page.index("Releasing builds") :].split())[:400]

    assert "e-mails nobody: no panel member is cleared" in release_words(full)
    member(org, Role.PANEL, sensitive_access=True)
    assert "e-mails 1 panel member a link" in release_words(full)


@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER, Role.PANEL])
def test_only_coordinators_and_admins_summarise_release_and_correct(client, org, role):
    draft, out = built_draft(org), released(org, as_of="2025-12-31")
    client.force_login(member(org, role))
    for name, pack in (
        ("pack_release", draft),
        ("pack_summary", draft),
        ("pack_correct", out),
    ):
        url = reverse(name, args=[org.slug, pack.pk])
        assert client.post(url, {"summary": "x", "correction_note": "y"}).status_code == 403
        if name != "pack_summary":
            assert client.get(url).status_code == 403
    draft.refresh_from_db()
    assert draft.released_by is None and draft.summary == ""
    assert not Pack.objects.filter(corrects=out).exists()


def test_another_organisations_pack_is_404(client, org, other_organisation):
    theirs = released(other_organisation)
    client.force_login(member(org, Role.COORDINATOR))
    for name in ("pack_detail", "pack_release", "pack_summary", "pack_correct"):
        for slug in (org.slug, other_organisation.slug):
            url = reverse(name, args=[slug, theirs.pk])
            assert client.post(url).status_code == 404, (name, slug)


def test_release_page_asks_first_and_post_needs_csrf(org, build):
    draft = built_draft(org)
    coordinator = member(org, Role.COORDINATOR)
    member(org, Role.PANEL)
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    url = reverse("pack_release", args=[org.slug, draft.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Yes, release this pack" in page.content.decode()
    assert client.post(url).status_code == 403  # no CSRF token
    draft.refresh_from_db()
    assert draft.released_by is None and draft.released_at is None
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    with build() as outbox:
        response = client.post(url, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.released_at is not None and len(outbox) == 1
    # released: asked again, a clear refusal, never a 500
    refused = client.post(url, {"csrfmiddlewaretoken": token})
    assert refused.status_code == 409
    assert PACK_RELEASED_UNCHANGEABLE in refused.content.decode()


def test_summary_form_errors_are_400_and_save_requeues(client, org, build):
    draft = built_draft(org)
    client.force_login(member(org, Role.COORDINATOR))
    url = reverse("pack_summary", args=[org.slug, draft.pk])
    too_long = client.post(url, {"summary": "x" * (release_module.SUMMARY_MAX_LENGTH + 1)})
    assert too_long.status_code == 400
    assert release_module.SUMMARY_TOO_LONG in too_long.content.decode()
    with build():
        saved = client.post(url, {"summary": "Two amber."})
    assert saved.status_code == 302
    assert "Two amber." in stored(draft)


def test_correct_a_released_pack_in_the_browser_flow(client, org, build):
    out = released(org)
    client.force_login(member(org, Role.ADMIN))
    url = reverse("pack_correct", args=[org.slug, out.pk])
    assert client.get(url).status_code == 200
    empty = client.post(url, {"correction_note": ""})
    assert empty.status_code == 400 and PACK_CORRECTION_NOTE_REQUIRED in empty.content.decode()
    with build():
        made = client.post(url, {"correction_note": "Wrong date on R1"})
    correction = Pack.objects.get(corrects=out)
    assert made.status_code == 302 and made["Location"] == reverse(
        "pack_detail", args=[org.slug, correction.pk]
    )
    assert correction.version == 2 and correction.status == PackStatus.READY


def test_reports_page_query_count_stays_flat(client, org):
    from tests.queries import assert_same_queries

    client.force_login(member(org, Role.PANEL))
    url = reverse("packs", args=[org.slug])
    counter = iter(range(1, 10))

    def grow():
        out = released(org, as_of=f"2025-0{next(counter)}-01")
        Pack.objects.create(
            organisation=org,
            kind="quarterly",
            as_of=out.as_of,
            version=2,
            corrects=out,
            status=PackStatus.READY,
            released_at=timezone.now(),
            correction_note="fix",
        )

    grow()
    client.get(url)
    assert_same_queries(lambda: client.get(url), grow, at_most=20)


def test_a_second_request_for_a_built_date_is_the_next_version(org):
    first = built_draft(org, as_of="2026-03-31")
    second = services.pack_request(
        organisation=org, kind="quarterly", edition="public", as_of=first.as_of
    )
    assert (first.version, second.version, second.corrects) == (1, 2, None)
    other_edition = services.pack_request(
        organisation=org, kind="quarterly", edition="full", as_of=first.as_of
    )
    assert other_edition.version == 1


def test_the_reports_page_offers_the_word_edition_with_its_sha256(client, org):
    pack = released(org)
    pack.docx.save("pack.docx", ContentFile(b"PK word"), save=False)
    pack.docx_size, pack.docx_sha256 = 7, "cd" * 32
    pack.save()
    client.force_login(member(org, Role.PANEL))
    page = client.get(reverse("packs", args=[org.slug])).content.decode()
    assert reverse("pack_download_docx", args=[org.slug, pack.pk]) in page
    assert "cd" * 32 in page and pack.sha256 in page


def test_the_packs_page_shows_each_sha256_once(client, org):
    """Its own row gives them; the status above it gave them again."""
    pack = released(org)
    pack.docx.save("pack.docx", ContentFile(b"PK word"), save=False)
    pack.docx_size, pack.docx_sha256 = 7, "cd" * 32
    pack.save()
    client.force_login(member(org, Role.COORDINATOR))
    page = client.get(reverse("pack_detail", args=[org.slug, pack.pk])).content.decode()
    assert page.count(pack.sha256) == 1 and page.count("cd" * 32) == 1
    assert ">SHA-256</dt>" in page
    # The Reports list, with no row of its own, still shows them under the status.
    listed = client.get(reverse("packs", args=[org.slug])).content.decode()
    assert listed.count(pack.sha256) == 1


def test_a_pack_requested_released_is_built_once_final_and_tells_nobody(org, build):
    """The demo's packs: released by the coordinator as built, with no draft to wait on."""
    coordinator = member(org, Role.COORDINATOR)
    member(org, Role.PANEL)
    with build() as outbox:
        pack = services.pack_request(
            organisation=org,
            kind="quarterly",
            edition="public",
            as_of=timezone.localdate(),
            release_by=coordinator,
        )
    pack.refresh_from_db()
    assert pack.released_at is not None and pack.released_by == coordinator
    assert DRAFT_MARK not in stored(pack)
    assert outbox == []
