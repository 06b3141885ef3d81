"""Assurance evidence (issue 18): files attached to a risk, or to one of its controls, actions or
reviews, each with its line of assurance (the Orange Book's three lines) and an optional day
after which the assurance it gives has lapsed.

A file is accepted by its content, never its name or the type the browser claims
(``evidence_check``): a PDF, a PNG or JPEG picture, a Word, Excel or PowerPoint file (Office Open
XML: a zip with the right main part), an OpenDocument text or spreadsheet (a zip whose
``mimetype`` says so), or plain text / CSV (UTF-8, no NUL byte). Nothing else: no HTML, SVG,
script, executable or archive, whatever it is called. The stored name is random
(``evidence/<organisation id>/<random>.<ext>``); the uploader's name, made safe, is kept for
display and download only, with the extension of the detected type. Files are never served inline
(views/evidence.py).

Deleting keeps the row (``deleted_at``, ``deleted_by``) and its history, and removes the stored
file once the deletion is committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from ..models import Action, Control, Review, Risk
from ..models.evidence import AssuranceLine, Evidence

logger = logging.getLogger(__name__)

DEFAULT_EVIDENCE_MAX_MB = 20
NAME_MAX = 120  # characters of the shown name, extension included
# A zip container (Office file) may not expand beyond this many times the upload limit, nor
# hold more parts than this: a zip bomb is refused on the sizes the zip declares.
ZIP_MAX_EXPANSION = 10
ZIP_MAX_PARTS = 5_000

EVIDENCE_REQUIRED = "Choose a file to upload"
EVIDENCE_EMPTY = "The file is empty: choose the file again"
EVIDENCE_WRONG_TYPE = (
    "The file must be a PDF, a picture (PNG or JPEG), a Word, Excel or PowerPoint file, an "
    "OpenDocument text or spreadsheet, or plain text or CSV. Web pages, SVG pictures, programs, "
    "scripts and archives are not accepted, whatever their name"
)
EVIDENCE_ONE_THING = "Evidence is attached to the risk or to one control, action or review"
EVIDENCE_NOT_THIS_RISK = "That control, action or review is not on this risk"
EVIDENCE_ALREADY_DELETED = "This evidence has already been deleted"
EVIDENCE_ADDED_REASON = "evidence added"
EVIDENCE_DELETED_REASON = "evidence deleted"


def evidence_max_bytes() -> int:
    return int(
        float(getattr(settings, "RISKREG_EVIDENCE_MAX_MB", DEFAULT_EVIDENCE_MAX_MB)) * 1024 * 1024
    )


def evidence_too_big_message() -> str:
    mb = getattr(settings, "RISKREG_EVIDENCE_MAX_MB", DEFAULT_EVIDENCE_MAX_MB)
    return f"The file must be at most {mb} MB: save it smaller, or split it"


@dataclass(frozen=True)
class Kind:
    extension: str
    content_type: str
    label: str


PDF = Kind("pdf", "application/pdf", "PDF")
PNG = Kind("png", "image/png", "PNG picture")
JPEG = Kind("jpg", "image/jpeg", "JPEG picture")
DOCX = Kind(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "Word document",
)
XLSX = Kind(
    "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook"
)
PPTX = Kind(
    "pptx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "PowerPoint presentation",
)
ODT = Kind("odt", "application/vnd.oasis.opendocument.text", "OpenDocument text")
ODS = Kind("ods", "application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet")
TEXT = Kind("txt", "text/plain", "text")
CSV = Kind("csv", "text/csv", "CSV")

# Office Open XML: the main part each kind must have (its [Content_Types].xml names it too).
_OOXML_MAIN = (
    ("word/document.xml", DOCX),
    ("xl/workbook.xml", XLSX),
    ("ppt/presentation.xml", PPTX),
)
_ODF = {ODT.content_type: ODT, ODS.content_type: ODS}
# Text that a browser would treat as markup or a script is refused even as "plain text".
_MARKUP_STARTS = (b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script", b"<head", b"<body")


def _zip_kind(content: bytes) -> Kind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
            if len(infos) > ZIP_MAX_PARTS:
                return None
            if sum(info.file_size for info in infos) > ZIP_MAX_EXPANSION * evidence_max_bytes():
                return None
            names = {info.filename for info in infos}
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size > 100:
                    return None
                return _ODF.get(archive.read("mimetype").decode("ascii", "replace").strip())
            if "[Content_Types].xml" not in names:
                return None
            types = archive.getinfo("[Content_Types].xml")
            if types.file_size > 1024 * 1024:
                return None
            declared = archive.read(types).decode("utf-8", "replace")
            if "vbaProject" in declared or "macroEnabled" in declared:
                return None  # macro-enabled files (.docm, .xlsm): refused
            for part, kind in _OOXML_MAIN:
                if part in names and f'PartName="/{part}"' in declared:
                    return kind
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError):
        return None
    return None


def _text_kind(content: bytes, extension: str) -> Kind | None:
    if b"\x00" in content:
        return None
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    head = text.lstrip()[:512].lower().encode()
    if head.startswith(_MARKUP_STARTS) or b"<script" in head or b"<svg" in head:
        return None
    if head.startswith(b"#!"):  # a script
        return None
    return CSV if extension == "csv" else TEXT


def detect_kind(content: bytes, name: str = "") -> Kind | None:
    """What ``content`` is, by its bytes (``name`` only tells CSV from plain text), or None for
    anything not accepted."""
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"PK\x03\x04"):
        return _zip_kind(content)
    if content.startswith((b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")):
        return None  # executables, named anything
    return _text_kind(content, extension)


def safe_name(name: str, kind: Kind) -> str:
    """The uploader's file name made safe to show and to offer as a download name: its last
    path part, no control characters, Django's valid-file-name characters, at most
    ``NAME_MAX`` characters, ending in the detected type's extension."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    stem = os.path.splitext(name)[0].strip(" .")
    try:
        stem = get_valid_filename(stem) if stem else ""
    except Exception:  # SuspiciousFileOperation for names such as ".."
        stem = ""
    stem = stem.strip("._") or "evidence"
    stem = stem[: NAME_MAX - len(kind.extension) - 1]
    return f"{stem}.{kind.extension}"


@dataclass(frozen=True)
class Checked:
    content: bytes
    kind: Kind
    name: str


def evidence_check(upload) -> Checked:
    """The upload read and checked, or ValidationError({"file": ...}) saying what is wrong."""
    if upload is None:
        raise ValidationError({"file": EVIDENCE_REQUIRED})
    limit = evidence_max_bytes()
    if getattr(upload, "size", 0) > limit:
        raise ValidationError({"file": evidence_too_big_message()})
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationError({"file": evidence_too_big_message()})
    if not content:
        raise ValidationError({"file": EVIDENCE_EMPTY})
    name = getattr(upload, "name", "") or ""
    kind = detect_kind(content, name)
    if kind is None:
        raise ValidationError({"file": EVIDENCE_WRONG_TYPE})
    return Checked(content=content, kind=kind, name=safe_name(name, kind))


@transaction.atomic
def evidence_add(
    *,
    risk: Risk,
    user,
    upload,
    control: Control | None = None,
    action: Action | None = None,
    review: Review | None = None,
    line: int | None = None,
    valid_until: dt.date | None = None,
    description: str = "",
) -> Evidence:
    """Store ``upload`` as evidence on ``risk`` (or one of its controls, actions or reviews).
    Who may is the view's to ask (``OrganisationAccess.can_add_evidence``)."""
    if sum(thing is not None for thing in (control, action, review)) > 1:
        raise ValidationError(EVIDENCE_ONE_THING)
    for thing in (control, action, review):
        if thing is not None and thing.risk_id != risk.pk:
            raise ValidationError(EVIDENCE_NOT_THIS_RISK)
    if line is not None and line not in AssuranceLine.values:
        raise ValidationError({"line": "Choose a line of assurance"})
    checked = evidence_check(upload)
    evidence = Evidence(
        organisation_id=risk.organisation_id,
        risk=risk,
        control=control,
        action=action,
        review=review,
        name=checked.name,
        content_type=checked.kind.content_type,
        size=len(checked.content),
        sha256=hashlib.sha256(checked.content).hexdigest(),
        description=(description or "").strip()[:300],
        line=line,
        valid_until=valid_until,
        uploaded_by=user,
    )
    stored = f"{secrets.token_urlsafe(24)}.{checked.kind.extension}"
    evidence.file.save(stored, ContentFile(checked.content), save=False)
    # A rolled-back upload leaves its file behind under a random name no row points to.
    evidence._change_reason = EVIDENCE_ADDED_REASON
    evidence.save()
    return evidence


@transaction.atomic
def evidence_delete(*, evidence: Evidence, user, reason: str = "") -> Evidence:
    """Delete a piece of evidence: the row stays (who uploaded what, and who deleted it, in its
    history); the stored file is removed once the deletion is committed."""
    locked = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if locked.deleted_at is not None:
        raise ValidationError(EVIDENCE_ALREADY_DELETED)
    stored = locked.file.name
    storage = locked.file.storage
    locked.deleted_at = timezone.now()
    locked.deleted_by = user
    locked.file = ""
    locked._change_reason = (
        f"{EVIDENCE_DELETED_REASON}: {reason.strip()}"
        if reason.strip()
        else EVIDENCE_DELETED_REASON
    )
    locked.save()

    def remove():
        try:
            storage.delete(stored)
        except OSError:
            logger.warning("could not delete the stored evidence file %s", stored)

    if stored:
        transaction.on_commit(remove)
    return locked
