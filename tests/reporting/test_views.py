"""Import and export in the browser (without one): upload, preview, confirm; downloads; who may."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from registers.models import Risk, Role
from registers.permissions import membership_sync, register_grant
from registers.services.risks import risk_update
from reporting.models import ImportUpload
from tests.factories import (
    ActionFactory,
    ControlFactory,
    MembershipFactory,
    OrganisationFactory,
    RegisterFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries
from tests.reporting.conftest import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def member(organisation, role=Role.COORDINATOR, **kwargs):
    """A member with their role's grants (coordinators join the organisation's group)."""
    membership = MembershipFactory(organisation=organisation, role=role, **kwargs)
    membership_sync(membership)
    return membership.user


def import_url(organisation, register="corporate"):
    return reverse("register_import", args=[organisation.slug, register])


def export_url(organisation, register="corporate"):
    return reverse("register_export", args=[organisation.slug, register])


def upload(client, organisation, data, filename="register.csv", register="corporate"):
    return client.post(
        import_url(organisation, register), {"file": SimpleUploadedFile(filename, data)}
    )


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_another_organisations_import_and_export_are_404(client, organisation, role):
    theirs = OrganisationFactory()
    client.force_login(member(organisation, role))
    assert client.get(import_url(theirs)).status_code == 404
    assert client.post(import_url(theirs)).status_code == 404
    assert client.get(export_url(theirs) + "?format=csv").status_code == 404
    assert client.get(export_url(organisation, "no-such-register")).status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ADMIN, 200),
        (Role.COORDINATOR, 200),
        (Role.OWNER, 403),
        (Role.VIEWER, 403),
        (Role.PANEL, 403),
    ],
)
def test_only_members_who_edit_the_register_may_import(client, organisation, role, status):
    client.force_login(member(organisation, role))
    assert client.get(import_url(organisation)).status_code == status
    response = upload(client, organisation, csv_bytes([["ref", "title"], ["R1", "x"]]))
    assert response.status_code == (302 if status == 200 else 403)
    assert ImportUpload.objects.exists() == (status == 200)
    assert not Risk.objects.exists()  # an upload only leads to a preview


def test_limited_coordinator_imports_only_into_granted_registers(client, organisation):
    school = RegisterFactory(organisation=organisation, slug="school")
    user = member(organisation, registers_limited=True)
    register_grant(user=user, register=school)
    client.force_login(user)
    assert client.get(import_url(organisation, "school")).status_code == 200
    assert client.get(import_url(organisation)).status_code == 403


@pytest.mark.parametrize("role", list(Role))
def test_every_member_may_export(client, organisation, role):
    RiskFactory(register=corporate_register_of(organisation), ref="R1")
    client.force_login(member(organisation, role))
    response = client.get(export_url(organisation) + "?format=csv")
    assert response.status_code == 200


def test_anonymous_users_are_sent_to_sign_in(client, organisation):
    for url in (import_url(organisation), export_url(organisation)):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- upload, preview, confirm --------------------------------------------------------------


def test_upload_preview_and_confirm(client, organisation):
    register = corporate_register_of(organisation)
    RiskFactory(register=register, ref="CRR1", title="Old title", positions={"current": (3, 4)})
    coordinator = member(organisation)
    client.force_login(coordinator)
    page = client.get(import_url(organisation)).content.decode()
    assert "Import risks from a spreadsheet" in page and "Very serious" in page
    data = xlsx_bytes(
        [
            ["Corporate register"],
            ["ref", "title", "current_likelihood", "current_impact", "controls"],
            ["CRR1", "New title", 4, 4, ""],
            ["CRR2", "Flooding", "H", "Serious", "Sandbags\nPumps"],
        ]
    )
    response = upload(client, organisation, data, "register.xlsx")
    assert response.status_code == 302
    preview = client.get(response.url)
    text = preview.content.decode()
    assert preview.status_code == 200
    assert "CRR2" in text and "Flooding" in text and "16 (High)" in text
    assert "Old title" in text and "New title" in text  # the change, old and new
    assert "Confirm and import" in text
    assert not Risk.objects.filter(ref="CRR2").exists()  # nothing written by the preview
    fingerprint = preview.context["plan"].fingerprint
    done = client.post(response.url, {"fingerprint": fingerprint, "confirm": "1"})
    assert done.status_code == 302 and done.url == reverse(
        "register", args=[organisation.slug, "corporate"]
    )
    updated = Risk.objects.get(ref="CRR1")
    assert updated.title == "New title"
    latest = updated.history.latest()
    assert latest.history_user == coordinator  # who, as well as when and why
    assert latest.history_change_reason == "imported from register.xlsx"
    assert list(Risk.objects.get(ref="CRR2").controls.values_list("description", flat=True)) == [
        "Sandbags",
        "Pumps",
    ]
    assert not ImportUpload.objects.exists()  # deleted once applied
    followed = client.get(done.url).content.decode()
    assert "Imported register.xlsx: created 1, updated 1, unchanged 0." in followed


def test_preview_lists_every_problem_by_row_and_offers_no_confirm(client, organisation):
    client.force_login(member(organisation))
    data = csv_bytes(
        [
            ["ref", "title", "current_likelihood", "current_impact"],
            ["R1", "", "2", "2"],
            ["R2", "x", "9", "2"],
        ]
    )
    preview = client.get(upload(client, organisation, data).url)
    text = preview.content.decode()
    assert "2 problems in register.csv: nothing will be imported" in text
    assert "Row 2: title: required for a new risk" in text
    assert "Row 3: current_likelihood: likelihood 9 is not on the scheme" in text
    assert 'id="row-2"' in text and "Confirm and import" not in text
    # Posting a confirm anyway writes nothing.
    response = client.post(
        preview.request["PATH_INFO"], {"fingerprint": preview.context["plan"].fingerprint}
    )
    assert response.status_code == 400 and not Risk.objects.exists()


def test_register_changed_since_the_preview_shows_a_fresh_preview(client, organisation):
    register = corporate_register_of(organisation)
    risk = RiskFactory(register=register, ref="R1", title="Before")
    client.force_login(member(organisation))
    url = upload(client, organisation, csv_bytes([["ref", "title"], ["R1", "Mine"]])).url
    fingerprint = client.get(url).context["plan"].fingerprint
    risk_update(risk=risk, expected_version=1, fields={"title": "Someone else's"})
    response = client.post(url, {"fingerprint": fingerprint, "confirm": "1"})
    text = response.content.decode()
    assert response.status_code == 409
    assert "The register has changed since you checked this file" in text
    assert "Someone else&#x27;s" in text  # the fresh preview shows the title as it is now
    assert Risk.objects.get(pk=risk.pk).title == "Someone else's"
    again = client.post(url, {"fingerprint": response.context["plan"].fingerprint})
    assert again.status_code == 302 and Risk.objects.get(pk=risk.pk).title == "Mine"


def test_hostile_uploads_are_refused_on_the_upload_page(client, organisation, settings):
    client.force_login(member(organisation))
    cases = [
        (b"", "empty.csv", "The file is empty"),
        (b"MZ\x90\x00binary", "tool.exe", "not a spreadsheet we can import"),
        (b"not a workbook", "fake.xlsx", "not an Excel workbook"),
        ("ref,title\nR1,Caf\xe9".encode("latin-1"), "latin.csv", "not UTF-8 text"),
        (b"a,b\n", "noheader.csv", "no header row"),
    ]
    for data, filename, message in cases:
        response = upload(client, organisation, data, filename)
        assert response.status_code == 400, filename
        assert message in response.content.decode(), filename
    settings.RISKREG_MAX_UPLOAD_BYTES = 20
    response = upload(client, organisation, csv_bytes([["ref", "title"], ["R1", "a long title"]]))
    assert response.status_code == 400
    assert "The file is larger than 20 bytes, the largest file accepted" in (
        response.content.decode()
    )
    assert not Risk.objects.exists() and not ImportUpload.objects.exists()


def test_upload_still_needs_the_csrf_token(organisation):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member(organisation))
    assert (
        upload(client, organisation, csv_bytes([["ref", "title"], ["R1", "x"]])).status_code == 403
    )
    page = client.get(import_url(organisation))
    token = page.context["csrf_token"]
    response = client.post(
        import_url(organisation),
        {
            "file": SimpleUploadedFile("r.csv", csv_bytes([["ref", "title"], ["R1", "x"]])),
            "csrfmiddlewaretoken": str(token),
        },
    )
    assert response.status_code == 302


def test_formulas_show_as_problems_in_the_preview(client, organisation):
    client.force_login(member(organisation))
    data = xlsx_bytes([["ref", "title"], ["R1", "x"]], formulas=[("B2", "=A1")])
    text = client.get(upload(client, organisation, data, "f.xlsx").url).content.decode()
    assert "Row 2: title: formulas are not accepted, paste values" in text


def test_an_upload_is_seen_only_by_its_uploader_and_can_be_cancelled(client, organisation):
    owner, colleague = member(organisation), member(organisation)
    client.force_login(owner)
    url = upload(client, organisation, csv_bytes([["ref", "title"], ["R1", "x"]])).url
    client.force_login(colleague)
    assert client.get(url).status_code == 404
    client.force_login(owner)
    response = client.post(url, {"cancel": "1"})
    assert response.status_code == 302 and not ImportUpload.objects.exists()
    assert not Risk.objects.exists()


# --- export ------------------------------------------------------------------------------------


def test_export_downloads_as_attachments(client, organisation):
    RiskFactory(register=corporate_register_of(organisation), ref="R1", title="=cmd|' /C calc'!A0")
    client.force_login(member(organisation, Role.VIEWER))
    response = client.get(export_url(organisation) + "?format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="{organisation.slug}-corporate-')
    assert disposition.endswith('.csv"')
    assert "no-store" in response["Cache-Control"]
    (row,) = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline=""))
    assert row["title"].startswith("'=")
    xlsx = client.get(export_url(organisation) + "?format=xlsx&as_of=2026-01-01")
    assert xlsx.status_code == 200 and 'as-at-2026-01-01-2359.xlsx"' in xlsx["Content-Disposition"]
    load_workbook(io.BytesIO(xlsx.content))


def test_export_form_and_its_errors(client, organisation):
    client.force_login(member(organisation, Role.PANEL))
    page = client.get(export_url(organisation))
    assert page.status_code == 200 and "Download the register" in page.content.decode()
    bad = client.get(export_url(organisation) + "?format=pdf&as_of=soon")
    text = bad.content.decode()
    assert bad.status_code == 400 and "Choose xlsx or csv" in text and "is not a date" in text


def test_export_query_count_does_not_grow_per_risk(client, organisation):
    register = corporate_register_of(organisation)
    user = member(organisation, Role.VIEWER)
    client.force_login(user)

    def add(count, start):
        for n in range(start, start + count):
            risk = RiskFactory(register=register, ref=f"R{n}", owner=user)
            ControlFactory(risk=risk)
            ActionFactory(risk=risk)

    add(3, 0)
    _, response = assert_same_queries(
        lambda: client.get(export_url(organisation) + "?format=xlsx"), lambda: add(27, 3)
    )
    assert load_workbook(io.BytesIO(response.content)).worksheets[0].max_row == 31


def _registers_with_risks(organisation, count: int) -> list[str]:
    """``count`` risks spread over the corporate register and two below it, each with an owner,
    a control, an action, and every third OFFICIAL-SENSITIVE."""
    from registers.models import Marking

    registers = [corporate_register_of(organisation)]
    registers += [RegisterFactory(organisation=organisation) for _ in range(2)]
    owners = [member(organisation, Role.OWNER) for _ in range(3)]
    for n in range(count):
        risk = RiskFactory(
            register=registers[n % 3],
            ref=f"R{n}",
            owner=owners[n % 3],
            marking=Marking.OFFICIAL_SENSITIVE if n % 3 == 0 else Marking.OFFICIAL,
        )
        ControlFactory(risk=risk)
        ActionFactory(risk=risk)
    return [register.slug for register in registers]


@pytest.mark.parametrize("params", ["format=xlsx", "format=csv", "format=csv&as_of=YESTERDAY"])
def test_every_registers_export_makes_as_many_queries_at_5_risks_as_at_40(
    client, organisation, params
):
    """The bench's "export (all registers)" at two sizes, in small: per register, the same."""
    import datetime as dt

    from django.utils import timezone

    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    params = params.replace("YESTERDAY", yesterday)
    larger = OrganisationFactory()
    counts = {}
    for org, risks in ((organisation, 5), (larger, 40)):
        slugs = _registers_with_risks(org, risks)
        client.force_login(member(org, Role.COORDINATOR))
        client.get(export_url(org, slugs[0]) + f"?{params}")  # the first: who signed in
        counts[risks] = []
        for slug in slugs:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(export_url(org, slug) + f"?{params}")
            assert response.status_code == 200
            counts[risks].append(len(queries))
    assert counts[5] == counts[40], counts
