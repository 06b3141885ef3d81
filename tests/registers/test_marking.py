"""Handling marking (OFFICIAL or OFFICIAL-SENSITIVE; the Met's Appendix B is Official Sensitive).

For an OFFICIAL-SENSITIVE risk a viewer or panel member who is not cleared (and a risk owner who
neither owns nor manages it) sees its ref, title, register, owner and rating, but not its
description, consequence, controls, actions, review notes or history: a message says to ask the
risk coordinator. Admins, coordinators, the risk's owner and manager, and cleared members see it
all. The marking is shown on the page and in the export; the export withholds the same detail;
the command-line export is full. An admin clears a member from the member's page."""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from registers.models import Marking, Membership, Role
from registers.services.escalation import escalation_request
from registers.services.organisations import member_add
from registers.services.reviews import review_record
from registers.services.risks import risk_update
from reporting.spreadsheets.exporting import WITHHELD, register_export, to_csv
from tests.factories import ActionFactory, ControlFactory, RegisterFactory, RiskFactory

pytestmark = pytest.mark.django_db

MESSAGE = "This detail is OFFICIAL-SENSITIVE: ask the risk coordinator if you need it"
SECRETS = (
    "Informant network exposed",  # description
    "Lives put at risk",  # consequence
    "Vetting of handlers",  # control
    "Move the records offline",  # action
    "Checked with the handlers",  # review note
)


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


def clear(user, organisation):
    Membership.objects.filter(user=user, organisation=organisation).update(sensitive_access=True)


@pytest.fixture
def people(organisation):
    return {
        "admin": person(organisation, Role.ADMIN, "Ada Admin"),
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "manager": person(organisation, Role.OWNER, "Mia Manager"),
        "other_owner": person(organisation, Role.OWNER, "Olga Other"),
        "viewer": person(organisation, Role.VIEWER, "Vic Viewer"),
        "panel": person(organisation, Role.PANEL, "Pat Panel"),
    }


@pytest.fixture
def sensitive(corporate_register, people):
    risk = RiskFactory(
        register=corporate_register,
        ref="CRR8",
        title="Covert human intelligence sources",
        description="Informant network exposed.",
        consequence="Lives put at risk.",
        owner=people["owner"],
        manager=people["manager"],
        marking=Marking.OFFICIAL_SENSITIVE,
        positions={"inherent": (5, 5), "current": (4, 4), "target": (2, 2)},
    )
    ControlFactory(risk=risk, description="Vetting of handlers")
    ActionFactory(risk=risk, description="Move the records offline")
    review_record(
        risk=risk,
        user=people["owner"],
        expected_version=risk.version,
        note="Checked with the handlers",
    )
    risk.refresh_from_db()
    return risk


def page_for(client, user, name, risk) -> str:
    client.force_login(user)
    response = client.get(reverse(name, args=[risk.organisation.slug, risk.ref]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("who", ["viewer", "panel", "other_owner"])
def test_not_cleared_members_see_the_outline_only(client, sensitive, people, who):
    page = page_for(client, people[who], "risk", sensitive)
    for shown in (
        "OFFICIAL-SENSITIVE",
        "CRR8 Covert human intelligence sources",
        sensitive.register.name,
        "Owen Owner",
        "16 (High)",
        MESSAGE,
    ):
        assert shown in page, shown
    for secret in SECRETS:
        assert secret not in page, secret
    history_page = page_for(client, people[who], "risk_history", sensitive)
    assert MESSAGE in history_page
    for secret in SECRETS:
        assert secret not in history_page, secret


@pytest.mark.parametrize("who", ["admin", "coordinator", "owner", "manager"])
def test_those_who_always_may_see_everything(client, sensitive, people, who):
    page = page_for(client, people[who], "risk", sensitive)
    assert "OFFICIAL-SENSITIVE" in page and MESSAGE not in page
    for secret in SECRETS[:4]:
        assert secret in page, secret
    assert "Checked with the handlers" in page_for(client, people[who], "risk_history", sensitive)


@pytest.mark.parametrize("who", ["viewer", "panel", "other_owner"])
def test_cleared_members_see_everything(client, organisation, sensitive, people, who):
    clear(people[who], organisation)
    page = page_for(client, people[who], "risk", sensitive)
    assert MESSAGE not in page
    for secret in SECRETS[:4]:
        assert secret in page, secret


def test_official_risks_are_open_to_every_member(client, corporate_register, people):
    risk = RiskFactory(
        register=corporate_register, ref="CRR1", title="Budget", description="Funding falls short."
    )
    page = page_for(client, people["viewer"], "risk", risk)
    assert "Funding falls short." in page and MESSAGE not in page
    assert "OFFICIAL" in page


def test_marking_a_risk_sensitive_hides_it_from_then_on(client, corporate_register, people):
    risk = RiskFactory(
        register=corporate_register, ref="CRR2", title="Estate", description="Ageing buildings."
    )
    risk_update(
        risk=risk, expected_version=1, fields={"marking": Marking.OFFICIAL_SENSITIVE}, reason="x"
    )
    page = page_for(client, people["panel"], "risk", risk)
    assert "Ageing buildings." not in page and MESSAGE in page


def test_escalation_reasons_of_sensitive_risks_are_withheld(client, organisation, people):
    school = RegisterFactory(organisation=organisation, slug="school", name="School register")
    risk = RiskFactory(
        register=school,
        ref="S1",
        title="Sensitive school risk",
        marking=Marking.OFFICIAL_SENSITIVE,
        owner=people["owner"],
    )
    escalation = escalation_request(risk=risk, user=people["owner"], reason="Named pupil at risk")
    client.force_login(people["viewer"])
    for target in (
        reverse("escalation_decide", args=[organisation.slug, escalation.pk]),
        reverse("register_escalations", args=[organisation.slug, "corporate"]),
        reverse("risk", args=[organisation.slug, "S1"]),
    ):
        page = client.get(target).content.decode()
        assert "S1 Sensitive school risk" in page
        assert "Named pupil at risk" not in page, target
    client.force_login(people["coordinator"])
    page = client.get(reverse("escalation_decide", args=[organisation.slug, escalation.pk]))
    assert "Named pupil at risk" in page.content.decode()


# --- the export -------------------------------------------------------------------------------


def export_rows(client, user, risk, fmt="csv") -> list[dict]:
    client.force_login(user)
    response = client.get(
        reverse("register_export", args=[risk.organisation.slug, risk.register.slug]),
        {"format": fmt},
    )
    assert response.status_code == 200
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_withholds_sensitive_detail_from_those_not_cleared(
    client, organisation, corporate_register, sensitive, people, fmt
):
    RiskFactory(
        register=corporate_register, ref="CRR1", title="Budget", description="Funding falls short."
    )
    rows = {row["ref"]: row for row in export_rows(client, people["viewer"], sensitive, fmt)}
    withheld, open_row = rows["CRR8"], rows["CRR1"]
    assert withheld["marking"] == "OFFICIAL-SENSITIVE" and open_row["marking"] == "OFFICIAL"
    assert withheld["description"] == WITHHELD == "[OFFICIAL-SENSITIVE: withheld]"
    for column in ("consequence", "controls", "actions"):
        assert withheld[column] in ("", None), column
    assert withheld["title"] == "Covert human intelligence sources"
    assert str(withheld["current_score"]) == "16"
    assert withheld["owner"] == people["owner"].email
    assert open_row["description"] == "Funding falls short."

    clear(people["viewer"], organisation)
    rows = {row["ref"]: row for row in export_rows(client, people["viewer"], sensitive, fmt)}
    assert rows["CRR8"]["description"] == "Informant network exposed."
    assert rows["CRR8"]["controls"] == "Vetting of handlers"


def test_export_is_full_for_coordinators_and_on_the_command_line(
    client, sensitive, people, tmp_path
):
    (row,) = export_rows(client, people["coordinator"], sensitive)
    assert row["description"] == "Informant network exposed."
    assert row["actions"] == "Move the records offline"
    export = register_export(register=sensitive.register)
    assert export.withheld == 0 and export.sensitive == 1
    text = to_csv(export).decode("utf-8-sig")
    assert "Informant network exposed." in text and "OFFICIAL-SENSITIVE" in text
    out = tmp_path / "full.csv"
    call_command(
        "export_register",
        "--org",
        sensitive.organisation.slug,
        "--register",
        sensitive.register.slug,
        "--format",
        "csv",
        "--out",
        str(out),
    )
    (row,) = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))
    assert row["description"] == "Informant network exposed."
    assert row["marking"] == "OFFICIAL-SENSITIVE"


def test_xlsx_about_sheet_says_what_was_withheld(client, sensitive, people):
    client.force_login(people["panel"])
    response = client.get(
        reverse("register_export", args=[sensitive.organisation.slug, sensitive.register.slug]),
        {"format": "xlsx"},
    )
    about = load_workbook(io.BytesIO(response.content))["About"]
    notes = {row[0]: row[1] for row in about.iter_rows(values_only=True)}
    assert "1 risk(s) marked OFFICIAL-SENSITIVE" in notes["Marking"]
    assert "withheld" in notes["Marking"]


# --- clearing a member ------------------------------------------------------------------------


def member_url(name, organisation, user):
    membership = Membership.objects.get(organisation=organisation, user=user)
    return reverse(name, args=[organisation.slug, membership.pk])


def test_admin_clears_a_viewer_and_takes_it_away(client, organisation, sensitive, people):
    client.force_login(people["admin"])
    page = client.get(member_url("member", organisation, people["viewer"])).content.decode()
    assert "Cleared for OFFICIAL-SENSITIVE" in page
    response = client.post(
        member_url("member_clearance", organisation, people["viewer"]), {"sensitive_access": "on"}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(organisation=organisation, user=people["viewer"])
    assert membership.sensitive_access
    assert membership.history.first().history_change_reason == "cleared for OFFICIAL-SENSITIVE"
    assert "Informant network exposed." in page_for(client, people["viewer"], "risk", sensitive)

    client.force_login(people["admin"])
    client.post(member_url("member_clearance", organisation, people["viewer"]), {})
    membership.refresh_from_db()
    assert not membership.sensitive_access
    assert MESSAGE in page_for(client, people["viewer"], "risk", sensitive)


def test_coordinators_are_not_cleared_one_by_one(client, organisation, people):
    client.force_login(people["admin"])
    page = client.get(member_url("member", organisation, people["coordinator"])).content.decode()
    assert "Cleared for OFFICIAL-SENSITIVE" not in page and "Always sees it" in page
    response = client.post(
        member_url("member_clearance", organisation, people["coordinator"]),
        {"sensitive_access": "on"},
    )
    assert response.status_code == 400
    assert "Admins and risk coordinators always see" in response.content.decode()
    assert not Membership.objects.get(user=people["coordinator"]).sensitive_access


@pytest.mark.parametrize("who", ["coordinator", "viewer"])
def test_only_admins_clear_members(client, organisation, people, who):
    client.force_login(people[who])
    target = member_url("member_clearance", organisation, people["panel"])
    assert client.post(target, {"sensitive_access": "on"}).status_code == 403
    assert not Membership.objects.get(user=people["panel"]).sensitive_access
