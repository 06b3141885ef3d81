"""The Word (.docx) edition of packs (issue 16): rendered from the same PackData as the PDF and
read back here with python-docx: the sections as Word headings, real tables with the ratings
named, the marking in every header and footer, the public edition's withholding, the logo; the
build_pack command, the stored file and its download."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn
from PIL import Image

from registers.models import Marking, Organisation, Risk
from registers.services.pack_logo import logo_check
from reporting.models import Pack, PackStatus
from reporting.packs.data import pack_data
from reporting.packs.docx import CONTENT_TYPE, render_docx
from reporting.packs.render import render_html
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _aberdeen_once(django_db_setup, django_db_blocker):
    """Aberdeen seeded once for the module, inside a transaction rolled back at its end: each
    test runs in its own savepoint within it, so what a test changes is gone before the next."""
    from demo.seeding import seed_demo

    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo(slugs=("aberdeen",))
        yield
        transaction.set_rollback(True)


@pytest.fixture
def aberdeen(_aberdeen_once, db):
    return Organisation.objects.get(slug="aberdeen")


def read(content: bytes):
    return Document(io.BytesIO(content))


def headings(document, level: int) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def table_with(document, *first_row: str):
    """The table whose heading row starts with ``first_row``."""
    for table in document.tables:
        cells = [cell.text for cell in table.rows[0].cells]
        if cells[: len(first_row)] == list(first_row):
            return table
    raise AssertionError(f"no table headed {first_row}")


def rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows[1:]]


def pdf_headings(data, level: int) -> list[str]:
    """The PDF's headings of a level, from its HTML (the cover's title left out)."""
    html = render_html(data)
    found = re.findall(rf"<h{level}[^>]*>(.*?)</h{level}>", html, re.S)
    texts = [" ".join(unescape(re.sub(r"<[^>]+>", "", text)).split()) for text in found]
    return [text for text in texts if text != data.title]


def all_text(document) -> str:
    """Body paragraphs, every table cell, headers and footers."""
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header):
            parts += [p.text for p in part.paragraphs]
    return "\n".join(parts)


def fill(cell) -> str | None:
    shading = cell._tc.tcPr.find(qn("w:shd")) if cell._tc.tcPr is not None else None
    return shading.get(qn("w:fill")) if shading is not None else None


def quarterly(organisation, edition="full"):
    return pack_data(
        organisation=organisation, kind="quarterly", as_of=timezone.localdate(), edition=edition
    )


def test_quarterly_has_the_pdfs_sections_as_word_headings_and_tables(aberdeen):
    data = quarterly(aberdeen)
    document = read(render_docx(data))
    assert document.paragraphs[0].text == "University of Aberdeen"
    assert [p.text for p in document.paragraphs if p.style.name == "Title"] == [
        "Quarterly risk report"
    ]
    # the PDF's sections, as Word's headings: the same words in the same order
    assert headings(document, 1) == pdf_headings(data, 1)
    assert headings(document, 1)[:7] == [
        "Contents",
        "1. Summary of Strategic Risk Register risks",
        "2. Heat maps: current and target positions",
        "3. Alignment with objectives",
        "4. Movement since the last report",
        headings(document, 1)[5],
        "6. Overdue actions",
    ]
    assert headings(document, 1)[5].startswith("5. Risk action plans")
    # one action plan (Heading 2) per risk given a page, its parts as Heading 3
    assert headings(document, 2) == pdf_headings(data, 2)
    plans = [f"{r.ref} {r.record.title}" for r in data.details]
    assert [h for h in headings(document, 2) if h in plans] == plans
    assert {"SRR02", "SRR05", "SRR08"} <= {r.ref for r in data.details}
    assert {"Background", "Controls in place", "Actions (road to target)"} <= set(
        headings(document, 3)
    )
    # cover facts
    cover = {row[0]: row[1] for row in ([c.text for c in r.cells] for r in document.tables[0].rows)}
    assert cover["For"] == data.panel_name
    assert cover["Kind"] == "Quarterly pack"
    assert cover["Edition"] == "Full"
    assert cover["Marking"] == "OFFICIAL"
    assert cover["Open risks"].startswith("10 (")

    summary = table_with(document, "Ref", "Trend", "Risk")
    column = {cell.text: n for n, cell in enumerate(summary.rows[0].cells)}
    assert {"Current", "Target", "Appetite", "Progress to target"} <= set(column)
    by_ref = {row[0].split("\n")[0]: row for row in rows(summary)}
    # every open risk is in the summary: a full row, or a line in the table of the others
    lines = [
        t
        for t in document.tables
        if [c.text for c in t.rows[0].cells][:3] == ["Ref", "Risk", "Owner"]
    ]
    on_a_line = {row[0].split(" ")[0] for table in lines for row in rows(table)}
    assert sorted([*by_ref, *on_a_line]) == sorted(f"SRR{n:02d}" for n in range(1, 11))
    assert set(by_ref) == {risk.ref for risk in data.details}
    srr02 = next(r for r in data.risks if r.ref == "SRR02")
    row = by_ref["SRR02"]
    assert row[2].startswith(srr02.record.title)
    # notation and band in words, e.g. "20 (Open)" (and what it was, if it changed)
    assert row[column["Current"]].split("\n")[0] == srr02.current.label
    assert srr02.current.band.name in row[column["Current"]]
    assert row[column["Appetite"]].startswith("▲ Breach")
    assert row[1] in {"↑ Up", "↓ Down", "→ Level", "New"}
    # the rating's cell is shaded in its band's colour, as well as named
    cell = summary.rows[1 + list(by_ref).index("SRR02")].cells[column["Current"]]
    assert fill(cell) == srr02.current.colour.lstrip("#").upper()

    # heat maps: real tables, every cell naming its band, shaded; the counts add up
    current = next(
        t for t in document.tables if t.rows[-1].cells[0].text == "↑ Likelihood\nImpact →"
    )
    cells = [c for r in current.rows[:-1] for c in r.cells[1:]]
    assert all(fill(c) for c in cells)
    counted = sum(int(c.text.split(" risk")[0]) for c in cells if " risk" in c.text)
    assert counted == data.heat_maps[0].counted == 10

    controls = table_with(document, "Control", "Owner", "Effectiveness")
    assert all(row[2] for row in rows(controls))
    actions = table_with(document, "Action", "Owner", "Due", "Status")
    assert rows(actions)[0][3]
    overdue = table_with(document, "Risk", "Action", "Owner", "Due", "Days overdue", "Status")
    assert [row[0] for row in rows(overdue)] == [item.risk.ref for item in data.overdue_actions]
    assert "Objective" in [c.text for c in table_with(document, "Objective", "Risks").rows[0].cells]


def test_committee_sections(aberdeen):
    data = pack_data(organisation=aberdeen, kind="committee", as_of=timezone.localdate())
    document = read(render_docx(data))
    assert headings(document, 1) == pdf_headings(data, 1)
    assert headings(document, 1)[:3] == [
        "Contents",
        "1. Strategic risks: current scores",
        f"2. Significant changes since {data.since_label}",
    ]
    assert headings(document, 2) == pdf_headings(data, 2)
    assert "Heat maps" in headings(document, 2)
    health = table_with(document, "Register", "Open risks", "Overdue")
    assert {"On time", "Due soon"} <= {cell.text for cell in health.rows[0].cells}
    assert rows(health)[0][0] == "Strategic Risk Register"
    assert rows(health)[0][1] == "10"
    plans = [f"{r.ref} {r.record.title}" for r in data.details]
    assert [h for h in headings(document, 2) if h in plans] == plans


def test_marking_in_every_header_and_footer_and_the_public_edition_withholds(aberdeen):
    risk = Risk.objects.get(organisation=aberdeen, ref="SRR02")
    secret = "Covenant headroom is exhausted"
    risk.description = secret
    risk.marking = Marking.OFFICIAL_SENSITIVE
    risk.save()  # a history record carries the new state
    full = read(render_docx(quarterly(aberdeen)))
    assert secret in all_text(full)
    for section in full.sections:
        for part in (section.header, section.footer, section.first_page_header):
            assert "OFFICIAL-SENSITIVE" in [p.text for p in part.paragraphs]

    data = quarterly(aberdeen, edition="public")
    content = render_docx(data)
    public = read(content)
    text = all_text(public)
    assert secret not in text
    assert secret.encode() not in content  # nor in any part of the file (compressed or not)
    # its controls and actions too: what the full edition prints, the public one does not,
    # exactly as the PDF (rendered from the same data)
    srr02 = next(r for r in quarterly(aberdeen).risks if r.ref == "SRR02")
    hidden = [c.description for c in srr02.controls] + [a.description for a in srr02.actions]
    assert hidden and all(words in all_text(full) for words in hidden)
    public_html = unescape(render_html(data))
    for words in hidden:
        assert words not in text
        assert words not in public_html
    assert "left out of the public edition" in text
    summary = table_with(public, "Ref", "Trend", "Risk")
    row = next(r for r in rows(summary) if r[0].startswith("SRR02"))
    assert "Description withheld (OFFICIAL-SENSITIVE)." in row[2]
    # its action plan is there, with the ratings, but no background, controls or actions
    plan = [p.text for p in public.paragraphs]
    start = plan.index(next(p for p in plan if p.startswith("SRR02 ")))
    after = plan[start + 1 : start + 6]
    assert "Background" not in after
    for section in public.sections:
        for part in (section.header, section.footer):
            texts = [p.text for p in part.paragraphs]
            assert "OFFICIAL" in texts and "OFFICIAL-SENSITIVE" not in texts
    assert public.core_properties.keywords == "OFFICIAL"


def test_executive_summary_first_and_the_draft_and_version_on_every_page(aberdeen):
    from reporting.packs.proof import PackProof

    data = quarterly(aberdeen)
    data.proof = PackProof(
        identifier="ABERDEEN-Q-2026-12-06",
        version=2,
        draft=True,
        summary="Eight risks within appetite.\n\nTwo in breach: SRR02 and SRR05.",
        summary_generated=False,
        correction_note="SRR05's owner was wrong.",
        corrects_version=1,
    )
    document = read(render_docx(data))
    assert headings(document, 1)[0] == "Executive summary"  # before the contents
    assert headings(document, 1) == pdf_headings(data, 1)
    text = all_text(document)
    assert "Version 2, correcting version 1: SRR05's owner was wrong." in text
    assert "Eight risks within appetite." in text and "Two in breach: SRR02 and SRR05." in text
    for section in document.sections:
        for part in (section.header, section.first_page_header):
            assert [p.text for p in part.paragraphs][:2] == ["DRAFT – not released", "OFFICIAL"]
        footer = " ".join(p.text for p in section.footer.paragraphs)
        assert "ABERDEEN-Q-2026-12-06 v2 · DRAFT – not released" in footer
    data.proof = PackProof(
        identifier="ABERDEEN-Q-2026-12-06",
        version=2,
        draft=False,
        summary="Released.",
        summary_generated=False,
    )
    released = read(render_docx(data))
    assert "DRAFT" not in all_text(released)
    assert "ABERDEEN-Q-2026-12-06 v2 · As at" in all_text(released)


def test_logo_on_the_cover_and_header(aberdeen):
    buffer = io.BytesIO()
    Image.new("RGB", (300, 100), (29, 112, 184)).save(buffer, format="PNG")
    logo = logo_check(buffer.getvalue())
    document = read(render_docx(quarterly(aberdeen), logo=logo))
    assert document.paragraphs[0].text == ""  # the logo, not the name
    assert len(document.inline_shapes) == 1
    shape = document.inline_shapes[0]
    assert round(shape.width / shape.height) == 3  # its own proportions
    blips = {
        rel.target_part.blob
        for rel in document.part.rels.values()
        if rel.reltype.endswith("/image")
    }
    assert blips == {logo.content}
    header = document.sections[0].header
    assert any(rel.reltype.endswith("/image") for rel in header.part.rels.values())
    plain = read(render_docx(quarterly(aberdeen)))
    assert len(plain.inline_shapes) == 0


def test_command_writes_the_word_edition(aberdeen, tmp_path):
    out = tmp_path / "pack.docx"
    call_command(
        "build_pack",
        "--org",
        "aberdeen",
        "--kind",
        "committee",
        "--as-of",
        timezone.localdate().isoformat(),
        "--out",
        str(out),
        "--edition",
        "public",
    )
    document = read(out.read_bytes())
    assert "1. Strategic risks: current scores" in headings(document, 1)
    assert "Public edition" in all_text(document)


@pytest.mark.parametrize("name", ["pack.doc", "pack.txt", "pack"])
def test_command_refuses_another_extension(aberdeen, tmp_path, name):
    with pytest.raises(CommandError, match=r"must end in \.pdf .* or \.docx"):
        call_command(
            "build_pack",
            "--org",
            "aberdeen",
            "--kind",
            "quarterly",
            "--as-of",
            timezone.localdate().isoformat(),
            "--out",
            str(tmp_path / name),
        )
    assert not (tmp_path / name).exists()


# --- the download ---------------------------------------------------------------------------


def member(organisation, role, **kwargs):
    return MembershipFactory(organisation=organisation, role=role, **kwargs).user


def ready_pack(organisation, *, edition="full", word=True) -> Pack:
    pack = Pack.objects.create(
        organisation=organisation, kind="quarterly", edition=edition, as_of="2026-03-31"
    )
    pack.file.save(f"pack-{pack.pk}.pdf", ContentFile(b"%PDF-1.7 test pack"), save=False)
    if word:
        pack.docx.save(f"pack-{pack.pk}.docx", ContentFile(b"PK\x03\x04 word"), save=False)
    pack.status = PackStatus.READY
    pack.released_at = timezone.now()  # panel members see released packs only
    pack.save()
    return pack


@pytest.mark.parametrize(
    ("role", "download", "public_download"),
    [
        ("admin", 200, 200),
        ("coordinator", 200, 200),
        ("panel", 404, 200),  # not cleared: the full edition is out of reach
        ("owner", 404, 200),
        ("viewer", 404, 200),
    ],
)
def test_word_download_follows_the_pdfs_rules(
    client, organisation, role, download, public_download
):
    full = ready_pack(organisation)
    public = ready_pack(organisation, edition="public")
    client.force_login(member(organisation, role))
    slug = organisation.slug
    for pack, expected in ((full, download), (public, public_download)):
        pdf = client.get(reverse("pack_download", args=[slug, pack.pk]))
        word = client.get(reverse("pack_download_docx", args=[slug, pack.pk]))
        assert word.status_code == pdf.status_code == expected
        if expected == 200:
            assert word["Content-Type"] == CONTENT_TYPE
            assert word["Content-Disposition"] == (
                f'attachment; filename="{organisation.slug}-quarterly-2026-03-31-'
                f'{pack.edition}.docx"'
            )
            assert word["Cache-Control"] == "private, no-store"
            assert b"".join(word.streaming_content).startswith(b"PK")


def test_word_download_of_another_organisation_or_none_is_404(client, organisation):
    other = OrganisationFactory()
    theirs = ready_pack(other)
    client.force_login(member(organisation, "admin"))
    for slug in (organisation.slug, other.slug):
        url = reverse("pack_download_docx", args=[slug, theirs.pk])
        assert client.get(url).status_code == 404
    without = ready_pack(organisation, word=False)  # built before the Word edition existed
    url = reverse("pack_download_docx", args=[organisation.slug, without.pk])
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("pack_download", args=[organisation.slug, without.pk])).status_code
        == 200
    )


def test_pack_build_stores_the_word_edition(aberdeen):
    from reporting.packs.services import pack_build

    pack = Pack.objects.create(
        organisation=aberdeen, kind="quarterly", edition="public", as_of=timezone.localdate()
    )
    pack = pack_build(pack)
    assert pack.status == PackStatus.READY, pack.error
    assert pack.docx.name.endswith(".docx")
    content = pack.docx.read()
    assert pack.docx_size == len(content)
    assert pack.docx_sha256 == hashlib.sha256(content).hexdigest()
    assert "1. Summary of Strategic Risk Register risks" in headings(read(content), 1)


def test_reports_pages_offer_the_word_edition_beside_the_pdf(client, organisation):
    with_word = ready_pack(organisation)
    without = ready_pack(organisation, edition="public", word=False)
    client.force_login(member(organisation, "panel", sensitive_access=True))
    slug = organisation.slug
    for page in (reverse("packs", args=[slug]), reverse("my_packs")):
        body = client.get(page).content.decode()
        assert reverse("pack_download", args=[slug, with_word.pk]) in body, page
        assert reverse("pack_download_docx", args=[slug, with_word.pk]) in body, page
        assert reverse("pack_download", args=[slug, without.pk]) in body, page
        assert reverse("pack_download_docx", args=[slug, without.pk]) not in body, page


def test_a_word_edition_that_fails_leaves_the_pack_failed_with_no_file(aberdeen, monkeypatch):
    from reporting.packs import services
    from reporting.packs.render import RenderedPack

    monkeypatch.setattr(
        services, "render_pdf", lambda data: RenderedPack(pdf=b"%PDF-1.7 x", pages=1, html="")
    )

    def broken(data):
        raise ValueError("no room for the table")

    monkeypatch.setattr(services, "render_docx_for", broken)
    pack = Pack.objects.create(
        organisation=aberdeen, kind="quarterly", edition="full", as_of=timezone.localdate()
    )
    pack = services.pack_build(pack)
    assert pack.status == PackStatus.FAILED
    assert "no room for the table" in pack.error
    assert not pack.file and not pack.docx


def test_command_line_exit_status_for_a_bad_extension(tmp_path):
    """From the shell: exit non-zero with the reason, nothing written (checked before the
    database is read, so no data is needed)."""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(root / "manage.py"),
            "build_pack",
            "--org",
            "any",
            "--kind",
            "quarterly",
            "--as-of",
            "2026-03-31",
            "--out",
            str(tmp_path / "pack.odt"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
    )
    assert result.returncode != 0
    assert "must end in .pdf (the PDF pack) or .docx (its Word edition)" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_three_quarter_columns_as_the_pdf_has_them(aberdeen):
    data = pack_data(
        organisation=aberdeen, kind="quarterly", as_of=timezone.localdate(), three_quarters=True
    )
    assert len(data.quarter_ends) == 3
    document = read(render_docx(data))
    ends = [f"{day.day} {day:%b %Y}" for day in data.quarter_ends]
    summaries = [t for t in document.tables if t.rows[0].cells[0].text == "Ref"]
    summaries = [t for t in summaries if "Current" in [c.text for c in t.rows[0].cells]]
    assert len(summaries) == 2  # the risks in full, the others one line each
    for table in summaries:
        headings = [cell.text for cell in table.rows[0].cells]
        assert headings[headings.index("Current") - 3 : headings.index("Current")] == ends


# --- the period's words and what changed (issue 16), as the PDF prints them ------------------


def test_updates_emerging_and_what_changed(organisation, corporate_register, member):
    from registers.services.reviews import review_record
    from tests.factories import RiskFactory

    today = timezone.localdate()
    ann = member(user__full_name="Ann Owner")
    bob = member(user__full_name="Bob Owner")
    told = RiskFactory(register=corporate_register, ref="U1", owner=ann)
    secret = RiskFactory(register=corporate_register, ref="U2", owner=ann)
    RiskFactory(register=corporate_register, ref="U3", owner=bob)
    RiskFactory(register=corporate_register, ref="E1", title="Quantum decryption", emerging=True)
    changed = RiskFactory(register=corporate_register, ref="C1", description="Old wording.")
    a_year_ago = timezone.now() - dt.timedelta(days=400)
    Risk.history.filter(id=changed.pk).update(history_date=a_year_ago)
    changed.description = "New wording of the cause."
    changed.save()
    for risk, note in ((told, "Budget agreed by the board."), (secret, "Informant compromised.")):
        risk.refresh_from_db()
        review_record(risk=risk, user=ann, expected_version=risk.version, note=note)
    Risk.objects.filter(pk=secret.pk).update(marking=Marking.OFFICIAL_SENSITIVE)

    data = pack_data(organisation=organisation, kind="quarterly", as_of=today)
    document = read(render_docx(data))
    assert headings(document, 1) == pdf_headings(data, 1)
    assert headings(document, 2) == pdf_headings(data, 2)
    updates = rows(table_with(document, "Ref", "Risk", "Update", "By, on"))
    by_ref = {row[0]: row for row in updates}
    assert by_ref["U1"][2] == "Budget agreed by the board."
    assert by_ref["U1"][3].startswith("Ann Owner")
    assert by_ref["U2"][2] == "Informant compromised."
    assert "U3" not in by_ref  # the updates given; a silent risk is listed by its owner
    owners = rows(table_with(document, "Owner", "Risks", "Risks without an update"))
    assert any(row[0] == "Bob Owner" and "U3" in row[2] for row in owners)
    emerging = rows(table_with(document, "Ref", "Risk", "Owner", "Current", "Update"))
    assert [row[0] for row in emerging] == ["E1"]
    # the changed description: new text bold and underlined, then what it was
    changes = table_with(document, "Risk", "Changed", "Now", "Before")
    row = next(r for r in changes.rows[1:] if r.cells[0].text.startswith("C1"))
    now = row.cells[2].paragraphs[0].runs[0]
    assert now.text == "New wording of the cause." and now.bold and now.underline
    assert row.cells[3].text == "Old wording."

    public = all_text(
        read(
            render_docx(
                pack_data(
                    organisation=organisation, kind="quarterly", as_of=today, edition="public"
                )
            )
        )
    )
    assert "Informant compromised." not in public
    assert "Update withheld (OFFICIAL-SENSITIVE)." in public
    assert "Budget agreed by the board." in public
