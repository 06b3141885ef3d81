"""Risk acceptance (issue 17) in exports and packs: "accepted until" beside a breach, which stays
a breach, as at the export's or the pack's moment; an export with it imports back unchanged."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from docx import Document

from appetite.rules import AppetiteState
from appetite.services import appetite_statement_set
from registers.models import Marking, Risk, Role
from registers.services.acceptance import risk_accept, risk_acceptance_withdraw
from reporting.packs.data import pack_data
from reporting.packs.docx import render_docx
from reporting.packs.render import render_html
from reporting.packs.summary import summary_draft
from reporting.spreadsheets.exporting import register_export, to_csv, to_xlsx
from reporting.spreadsheets.importing import import_plan
from tests.factories import RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(organisation, member):
    """A risk at 12 over a tolerance of 8, accepted by Ann Approver until 60 days from today."""
    appetite_statement_set(organisation=organisation, tolerance=8)
    register = corporate_register_of(organisation)
    risk = RiskFactory(register=register, ref="A1", positions={"current": (3, 4)})
    RiskFactory(register=register, ref="A2", positions={"current": (4, 4)})
    admin = member(Role.ADMIN, user__full_name="Ann Approver")
    until = timezone.localdate() + dt.timedelta(days=60)
    acceptance = risk_accept(risk=risk, by=admin, reason="Cost outweighs benefit", expires_on=until)
    return risk, acceptance, admin


def _rows(data: bytes) -> dict[str, dict]:
    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return {row["ref"]: row for row in rows}


def test_the_export_says_until_when_and_keeps_breach_yes(accepted, organisation):
    risk, acceptance, _ = accepted
    rows = _rows(to_csv(register_export(register=risk.register)))
    assert rows["A1"]["breach"] == "yes"
    assert rows["A1"]["accepted_until"] == acceptance.expires_on.isoformat()
    assert rows["A2"]["breach"] == "yes" and rows["A2"]["accepted_until"] == ""


def test_an_export_with_an_acceptance_imports_back_unchanged(accepted):
    risk = accepted[0]
    for data, name in (
        (to_xlsx(register_export(register=risk.register)), "export.xlsx"),
        (to_csv(register_export(register=risk.register)), "export.csv"),
    ):
        plan = import_plan(register=risk.register, data=data, filename=name)
        assert plan.ok and plan.summary == "created 0, updated 0, unchanged 2", plan.problems


def test_the_pack_shows_the_acceptance_in_force_at_its_day(accepted, organisation):
    risk, acceptance, admin = accepted
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    by_ref = {r.ref: r for r in data.risks}
    assert by_ref["A1"].appetite == AppetiteState.BREACH  # still a breach: explained, not hidden
    until = acceptance.expires_on
    assert by_ref["A1"].accepted_text == (
        f"accepted until {until.day} {until:%B %Y} by Ann Approver: Cost outweighs benefit"
    )
    assert by_ref["A2"].acceptance is None
    assert [r.ref for r in data.accepted_breaches] == ["A1"]
    # A pack as at a day after the acceptance ends shows the breach unexplained.
    later = pack_data(organisation=organisation, kind="quarterly", as_of=until + dt.timedelta(1))
    assert later.accepted_breaches == []


def test_a_withdrawn_acceptance_leaves_the_packs_after_it(accepted, organisation):
    risk, acceptance, admin = accepted
    risk_acceptance_withdraw(acceptance=acceptance, by=admin, reason="Treated after all")
    data = pack_data(organisation=organisation, kind="committee", as_of=timezone.localdate())
    assert data.accepted_breaches == []


def test_the_public_edition_leaves_out_a_sensitive_risk_s_reason(accepted, organisation):
    risk = accepted[0]
    Risk.objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    data = pack_data(
        organisation=organisation, kind="quarterly", as_of=timezone.localdate(), edition="public"
    )
    text = next(r for r in data.risks if r.ref == "A1").accepted_text
    assert "Ann Approver" in text and "Cost outweighs" not in text


def test_the_pack_s_pages_say_accepted_until(accepted, organisation):
    risk, acceptance, _ = accepted
    data = pack_data(organisation=organisation, kind="committee", as_of=timezone.localdate())
    until = acceptance.expires_on
    text = " ".join(render_html(data).split())
    assert f"Accepted until {until.day} {until:%B %Y}" in text
    assert "above tolerance, of which 1 accepted" in text


def test_the_word_edition_says_accepted_until(accepted, organisation):
    acceptance = accepted[1]
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    document = Document(io.BytesIO(render_docx(data)))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    until = acceptance.expires_on
    assert any(f"Accepted until {until.day} {until:%B %Y}" in text for text in cells)


def test_the_draft_summary_lists_the_accepted_breach_as_accepted(accepted, organisation):
    acceptance = accepted[1]
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    until = acceptance.expires_on
    assert f"accepted until {until.day} {until:%B %Y})" in summary_draft(data)
