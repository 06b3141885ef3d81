"""Assurance evidence (issue 18): files checked by content, stored under random names, downloaded
only as attachments; who may upload, download and delete; the assurance map and lapsed
assurance on the risk page."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from registers.models import Marking, Role
from registers.models.evidence import AssuranceLine, Evidence
from registers.services.evidence import (
    EVIDENCE_WRONG_TYPE,
    evidence_add,
    evidence_delete,
)
from registers.services.memberships import member_add
from tests.factories import (
    ActionFactory,
    ControlFactory,
    OrganisationFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(out, "JPEG")
    return out.getvalue()


def docx_bytes() -> bytes:
    from docx import Document

    out = io.BytesIO()
    document = Document()
    document.add_paragraph("Audit report")
    document.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "Test results"
    book.save(out)
    return out.getvalue()


def odt_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


@pytest.fixture
def people(organisation):
    return {
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "action_owner": person(organisation, Role.OWNER, "Abe Actionowner"),
        "other_owner": person(organisation, Role.OWNER, "Olga Other"),
        "viewer": person(organisation, Role.VIEWER, "Vic Viewer"),
    }


@pytest.fixture
def risk(corporate_register, people):
    return RiskFactory(register=corporate_register, ref="CRR1", owner=people["owner"])


def url(name, risk, *args):
    return reverse(name, args=[risk.organisation.slug, risk.ref, *args])


def add(risk, people, name="report.pdf", content=PDF_BYTES, **fields):
    return evidence_add(
        risk=risk, user=people["coordinator"], upload=upload(name, content), **fields
    )


# --- what is accepted, by content --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "content_type", "stored_name"),
    [
        ("report.pdf", lambda: PDF_BYTES, "application/pdf", "report.pdf"),
        ("photo.png", png_bytes, "image/png", "photo.png"),
        ("photo.jpeg", jpeg_bytes, "image/jpeg", "photo.jpg"),
        ("audit.docx", docx_bytes, "wordprocessingml.document", "audit.docx"),
        ("tests.xlsx", xlsx_bytes, "spreadsheetml.sheet", "tests.xlsx"),
        ("minutes.odt", odt_bytes, "opendocument.text", "minutes.odt"),
        ("notes.txt", lambda: "Checked 3 Nov: all fine. £ ✓".encode(), "text/plain", "notes.txt"),
        ("log.csv", lambda: b"date,result\n2026-11-03,pass\n", "text/csv", "log.csv"),
    ],
)
def test_each_allowed_type_is_accepted_by_its_content(
    risk, people, name, make, content_type, stored_name
):
    content = make()
    evidence = add(risk, people, name=name, content=content)
    assert content_type in evidence.content_type
    assert evidence.name == stored_name
    assert evidence.size == len(content)
    assert evidence.file.name.startswith(f"evidence/{risk.organisation_id}/")
    assert name not in evidence.file.name  # stored under a random name
    with default_storage.open(evidence.file.name, "rb") as stored:
        assert stored.read() == content


def test_the_detected_type_wins_over_the_name(risk, people):
    evidence = add(risk, people, name="scan.pdf", content=png_bytes())
    assert evidence.content_type == "image/png"
    assert evidence.name == "scan.png"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64),  # a renamed executable
        ("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 64),
        ("chart.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("chart.txt", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("page.html", b"<!DOCTYPE html><html><body>hi</body></html>"),
        ("page.txt", b"  <html><script>alert(1)</script></html>"),
        ("run.txt", b"#!/bin/sh\nrm -rf /\n"),
        ("data.bin", b"\x00\x01\x02binary"),
        ("latin1.txt", "caf\xe9".encode("latin-1")),
    ],
)
def test_refused_by_content_whatever_the_name(risk, people, name, content):
    with pytest.raises(Exception) as refused:
        add(risk, people, name=name, content=content)
    assert EVIDENCE_WRONG_TYPE in str(refused.value)
    assert not Evidence.objects.exists()


def test_a_plain_zip_or_a_macro_workbook_is_refused(risk, people):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.exe", b"MZ")
    with pytest.raises(Exception, match="Web pages, SVG"):
        add(risk, people, name="bundle.docx", content=out.getvalue())
    macro = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes())) as source, zipfile.ZipFile(macro, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                )
            target.writestr(info, data)
    with pytest.raises(Exception, match="Web pages, SVG"):
        add(risk, people, name="macro.xlsx", content=macro.getvalue())


def test_a_zip_bomb_is_refused_on_its_declared_sizes(risk, people):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml", '<Types><Override PartName="/word/document.xml"/></Types>'
        )
        archive.writestr("word/document.xml", b"\x00" * (3 * 1024 * 1024))
    with (
        override_settings(RISKREG_EVIDENCE_MAX_MB=0.1),
        pytest.raises(Exception, match="Web pages, SVG"),
    ):
        add(risk, people, name="bomb.docx", content=out.getvalue())


@override_settings(RISKREG_EVIDENCE_MAX_MB=1)
def test_an_oversized_file_is_refused(risk, people):
    with pytest.raises(Exception, match="at most 1 MB"):
        add(risk, people, content=PDF_BYTES + b"0" * (1024 * 1024))


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd", "passwd.txt"),
        ("..\\..\\windows\\report.pdf", "report.pdf"),
        ("Rapport d'audit été 2026.pdf", "Rapport_daudit_été_2026.pdf"),
        ("a" * 400 + ".pdf", "a" * 116 + ".pdf"),
        ("...", "evidence.txt"),
        ("bad\x00\r\nname.pdf", "badname.pdf"),
    ],
)
def test_names_are_made_safe(risk, people, given, shown):
    content = b"plain words\n" if shown.endswith(".txt") else PDF_BYTES
    assert add(risk, people, name=given, content=content).name == shown


# --- the pages ---------------------------------------------------------------------------------


def test_a_coordinator_uploads_through_the_page(client, risk, people):
    control = ControlFactory(
        risk=risk, organisation=risk.organisation, description="Firewall review"
    )
    client.force_login(people["coordinator"])
    response = client.post(
        url("evidence_add", risk),
        {
            "file": upload("audit.pdf", PDF_BYTES),
            "attach_to": f"control-{control.pk}",
            "line": "3",
            "valid_until": "3/11/2030",
            "description": "Internal audit 2026/07",
        },
    )
    evidence = Evidence.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#evidence-{evidence.pk}")
    assert evidence.control == control
    assert evidence.line == AssuranceLine.THIRD
    assert evidence.valid_until == dt.date(2030, 11, 3)
    assert evidence.uploaded_by == people["coordinator"]
    page = client.get(url("risk", risk)).content.decode()
    assert "audit.pdf" in page and "Third line" in page and "Internal audit 2026/07" in page


def test_a_wrong_file_gets_a_clear_400(client, risk, people):
    client.force_login(people["coordinator"])
    response = client.post(
        url("evidence_add", risk),
        {"file": upload("page.pdf", b"<html><script>x</script></html>"), "attach_to": "risk"},
    )
    assert response.status_code == 400
    assert "Web pages, SVG pictures" in response.content.decode()
    assert not Evidence.objects.exists()
    response = client.post(url("evidence_add", risk), {"attach_to": "risk"})
    assert response.status_code == 400
    assert "Choose a file to upload" in response.content.decode()


def test_a_viewer_cannot_upload_and_sees_no_form(client, risk, people):
    client.force_login(people["viewer"])
    assert "Upload evidence" not in client.get(url("risk", risk)).content.decode()
    response = client.post(
        url("evidence_add", risk), {"file": upload("a.pdf", PDF_BYTES), "attach_to": "risk"}
    )
    assert response.status_code == 403
    assert not Evidence.objects.exists()


def test_an_actions_owner_uploads_to_their_action_only(client, risk, people):
    action = ActionFactory(risk=risk, organisation=risk.organisation, owner=people["action_owner"])
    client.force_login(people["action_owner"])
    refused = client.post(
        url("evidence_add", risk), {"file": upload("a.pdf", PDF_BYTES), "attach_to": "risk"}
    )
    assert refused.status_code == 400  # not one of their choices
    response = client.post(
        url("evidence_add", risk),
        {"file": upload("a.pdf", PDF_BYTES), "attach_to": f"action-{action.pk}"},
    )
    assert response.status_code == 302
    assert Evidence.objects.get().action == action


def test_download_is_an_attachment_with_nosniff_never_inline(client, risk, people):
    evidence = add(risk, people, name="notes.txt", content=b"hello <b>there</b>\n")
    client.force_login(people["viewer"])
    response = client.get(url("evidence_download", risk, evidence.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello <b>there</b>\n"
    assert response["Content-Disposition"] == "attachment; filename*=UTF-8''notes.txt"
    assert response["Content-Type"] == "text/plain"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_a_unicode_name_is_quoted_in_the_download(client, risk, people):
    evidence = add(risk, people, name="été.pdf")
    client.force_login(people["coordinator"])
    response = client.get(url("evidence_download", risk, evidence.pk))
    assert response["Content-Disposition"] == "attachment; filename*=UTF-8''%C3%A9t%C3%A9.pdf"


def test_sensitive_evidence_is_refused_to_the_uncleared(client, risk, people):
    evidence = add(risk, people)
    risk.marking = Marking.OFFICIAL_SENSITIVE
    risk.save()
    client.force_login(people["viewer"])
    assert client.get(url("evidence_download", risk, evidence.pk)).status_code == 403
    page = client.get(url("risk", risk)).content.decode()
    assert "report.pdf" not in page
    client.force_login(people["owner"])  # the risk's owner reads its detail
    assert client.get(url("evidence_download", risk, evidence.pk)).status_code == 200


def test_another_organisations_evidence_is_404(client, risk, people):
    evidence = add(risk, people)
    stranger_org = OrganisationFactory()
    corporate_register_of(stranger_org)
    stranger = person(stranger_org, Role.ADMIN, "Sam Stranger")
    client.force_login(stranger)
    assert client.get(url("evidence_download", risk, evidence.pk)).status_code == 404
    other_risk = RiskFactory(register=corporate_register_of(risk.organisation), ref="CRR2")
    client.force_login(people["coordinator"])
    assert client.get(url("evidence_download", other_risk, evidence.pk)).status_code == 404


def test_delete_keeps_the_record_and_removes_the_file(
    client, risk, people, django_capture_on_commit_callbacks
):
    evidence = add(risk, people)
    stored = evidence.file.name
    client.force_login(people["coordinator"])
    confirm = client.get(url("evidence_delete", risk, evidence.pk))
    assert confirm.status_code == 200 and "Delete report.pdf?" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("evidence_delete", risk, evidence.pk), {"reason": "superseded"})
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.deleted_at is not None and evidence.deleted_by == people["coordinator"]
    assert not default_storage.exists(stored)
    last = evidence.history.first()
    assert last.history_change_reason == "evidence deleted: superseded"
    assert evidence.history.last().name == "report.pdf"
    gone = client.get(url("evidence_download", risk, evidence.pk))
    assert gone.status_code == 410
    assert "This evidence was deleted" in gone.content.decode()
    assert (
        "report.pdf"
        not in client.get(url("risk", risk))
        .content.decode()
        .split('id="evidence"')[1]
        .split("</section>")[0]
    )


def test_a_viewer_cannot_delete(client, risk, people):
    evidence = add(risk, people)
    client.force_login(people["viewer"])
    assert client.post(url("evidence_delete", risk, evidence.pk)).status_code == 403
    evidence.refresh_from_db()
    assert evidence.deleted_at is None


def test_delete_service_refuses_twice(risk, people):
    evidence = add(risk, people)
    evidence_delete(evidence=evidence, user=people["coordinator"])
    with pytest.raises(Exception, match="already been deleted"):
        evidence_delete(evidence=evidence, user=people["coordinator"])


# --- the assurance map -------------------------------------------------------------------------


def test_the_assurance_map_names_gaps_and_lapsed_assurance(client, risk, people):
    control = ControlFactory(
        risk=risk, organisation=risk.organisation, description="Backups tested"
    )
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    add(risk, people, control=control, line=AssuranceLine.FIRST)
    add(
        risk,
        people,
        name="old.pdf",
        control=control,
        line=AssuranceLine.THIRD,
        valid_until=yesterday,
    )
    today = yesterday + dt.timedelta(days=1)  # the first day without it
    client.force_login(people["viewer"])
    page = client.get(url("risk", risk)).content.decode()
    assert "No second-line assurance" in page
    assert f"Third-line assurance lapsed on {today:%-d %b %Y}" in page
    assert f"Assurance lapsed on {today:%-d %b %Y}" in page
    assert f"Lapsed on {today:%-d %b %Y}" in page
    assert f"valid until {yesterday:%-d %b %Y}" in page
    assert "No first-line assurance" not in page


def test_the_risk_page_queries_do_not_grow_with_evidence(client, risk, people):
    control = ControlFactory(risk=risk, organisation=risk.organisation)
    action = ActionFactory(risk=risk, organisation=risk.organisation)
    client.force_login(people["coordinator"])
    add(risk, people)
    page = url("risk", risk)
    client.get(page)

    def grow():
        for n in range(4):
            add(risk, people, name=f"c{n}.pdf", control=control, line=AssuranceLine.SECOND)
            add(risk, people, name=f"a{n}.pdf", action=action)

    _, response = assert_same_queries(lambda: client.get(page), grow)
    assert "a3.pdf" in response.content.decode()
