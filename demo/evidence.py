"""Illustrative assurance evidence for the demo (issue 18): on one ESPO control, a first-line
check that is current and a third-line audit whose "valid until" day has passed, so the risk
page, its assurance map and the packs' Risk Action Plan show "Assurance lapsed". The files are
small PDFs that say they are illustrative; dates are relative to the day the demo is seeded.

Idempotent: a risk that already has evidence (seeded before, or uploaded by a demo user) is left
as it is."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from registers.models import Control, Organisation
from registers.models.evidence import AssuranceLine, Evidence
from registers.services.evidence import evidence_add

# By organisation: the risk, the start of its control's description, and the pieces (name, line,
# valid until as days from the seeding day, or None, and a description).
DEMO_EVIDENCE = {
    "espo": {
        "ref": "ESPO-03",
        "control": "Business continuity plan including manual ordering",
        "pieces": [
            (
                "bcp-rehearsal-log-illustrative.pdf",
                AssuranceLine.FIRST,
                None,
                "Illustrative: the manual ordering rehearsal log (demo)",
            ),
            (
                "bcp-internal-audit-illustrative.pdf",
                AssuranceLine.THIRD,
                -40,  # passed: the control's third-line assurance has lapsed
                "Illustrative: internal audit of business continuity, valid for a year (demo)",
            ),
        ],
    },
}
UPLOADED_DAYS_AGO = 330  # uploaded well before the packs' quarter ends the demo is built for


def demo_pdf(title: str) -> bytes:
    """A one-page PDF saying ``title`` (no library needed for so little)."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 14 Tf 72 770 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def evidence_seed(organisation: Organisation, *, today: dt.date) -> int:
    """The organisation's illustrative evidence, once; returns how many pieces were added."""
    spec = DEMO_EVIDENCE.get(organisation.slug)
    if spec is None:
        return 0
    control = (
        Control.objects.filter(
            organisation=organisation,
            risk__ref=spec["ref"],
            description__startswith=spec["control"],
        )
        .select_related("risk")
        .first()
    )
    if control is None or Evidence.objects.filter(risk=control.risk).exists():
        return 0
    uploader = (
        get_user_model().objects.filter(email=f"coordinator@{organisation.slug}.demo").first()
    )
    added = []
    for name, line, days, description in spec["pieces"]:
        added.append(
            evidence_add(
                risk=control.risk,
                user=uploader,
                upload=SimpleUploadedFile(name, demo_pdf(description)),
                control=control,
                line=line,
                valid_until=None if days is None else today + dt.timedelta(days=days),
                description=description,
            )
        )
    Evidence.objects.filter(pk__in=[piece.pk for piece in added]).update(
        uploaded_at=timezone.now() - dt.timedelta(days=UPLOADED_DAYS_AGO)
    )
    return len(added)
