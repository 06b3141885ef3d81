"""Lapsed assurance (issue 18, ``registers.selectors.assurance``): the rule (valid until today
holds, valid until yesterday has lapsed, "today" in the organisation's timezone), each control's
state per line of assurance in one query, and the "Assurance lapsed" flag wherever controls are
listed: the risk page's controls (page and htmx row), the assurance map, pack data and the
Word edition of the pack (read back with python-docx)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from docx import Document

from registers.calendar import organisation_today
from registers.models import Role
from registers.models.evidence import AssuranceLine, Evidence
from registers.selectors.assurance import (
    ASSURANCE_LAPSED,
    CURRENT,
    LAPSED,
    NONE,
    control_assurance,
    is_lapsed,
)
from registers.services.evidence import evidence_add, evidence_delete
from registers.services.memberships import member_add
from reporting.packs.data import pack_data
from reporting.packs.docx import render_docx
from tests.factories import ControlFactory, RiskFactory
from tests.registers.test_evidence import PDF_BYTES, upload

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def coordinator(organisation):
    return member_add(
        organisation=organisation,
        email="cora@example.test",
        role=Role.COORDINATOR,
        full_name="Cora Coordinator",
    ).user


@pytest.fixture
def risk(corporate_register):
    return RiskFactory(register=corporate_register, ref="CRR1", title="Supplier failure")


def add(risk, user, control, line=AssuranceLine.SECOND, valid_until=None, name="report.pdf"):
    return evidence_add(
        risk=risk,
        user=user,
        upload=upload(name, PDF_BYTES),
        control=control,
        line=line,
        valid_until=valid_until,
    )


def day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


# --- the rule ----------------------------------------------------------------------------------


def test_valid_until_today_holds_and_yesterday_has_lapsed():
    assert not is_lapsed(TODAY, today=TODAY)
    assert is_lapsed(TODAY - dt.timedelta(days=1), today=TODAY)
    assert not is_lapsed(None, today=TODAY)  # no "valid until": never lapses


def test_each_line_is_current_lapsed_or_none(risk, coordinator):
    control = ControlFactory(risk=risk)
    add(risk, coordinator, control, AssuranceLine.FIRST, valid_until=TODAY)  # holds today
    add(risk, coordinator, control, AssuranceLine.SECOND, valid_until=dt.date(2026, 3, 3))
    add(risk, coordinator, control, AssuranceLine.SECOND, valid_until=dt.date(2026, 2, 1))
    state = control_assurance(control_ids=[control.pk], today=TODAY)[control.pk]
    first, second, third = state.lines
    assert (first.state, first.count) == (CURRENT, 1)
    assert (second.state, second.count) == (LAPSED, 2)
    assert second.lapsed_on == dt.date(2026, 3, 4)  # the day after the later "valid until"
    assert third.state == NONE
    assert state.lapsed
    assert state.flag == f"{ASSURANCE_LAPSED} on 4 Mar 2026"
    assert state.gaps == ["Second-line assurance lapsed on 4 Mar 2026", "No third-line assurance"]


def test_one_current_piece_keeps_a_line_current_and_the_day_after_it_lapses(risk, coordinator):
    control = ControlFactory(risk=risk)
    add(risk, coordinator, control, valid_until=dt.date(2026, 1, 1))
    add(risk, coordinator, control, valid_until=TODAY)
    assert not control_assurance(control_ids=[control.pk], today=TODAY)[control.pk].lapsed
    tomorrow = TODAY + dt.timedelta(days=1)
    later = control_assurance(control_ids=[control.pk], today=tomorrow)[control.pk]
    assert later.lapsed and later.lapsed_on == tomorrow


def test_deleted_evidence_and_evidence_without_a_line_count_for_nothing(risk, coordinator):
    control = ControlFactory(risk=risk)
    old = add(risk, coordinator, control, valid_until=dt.date(2026, 1, 1))
    add(risk, coordinator, control, line=None, valid_until=dt.date(2026, 1, 1))
    assert control_assurance(control_ids=[control.pk], today=TODAY)[control.pk].lapsed
    evidence_delete(evidence=old, user=coordinator)
    state = control_assurance(control_ids=[control.pk], today=TODAY)[control.pk]
    assert not state.lapsed
    assert [line.state for line in state.lines] == [NONE, NONE, NONE]


def test_as_at_a_moment_reads_the_evidence_of_then(risk, coordinator):
    control = ControlFactory(risk=risk)
    piece = add(risk, coordinator, control, valid_until=dt.date(2026, 1, 1))
    before = piece.uploaded_at - dt.timedelta(minutes=1)
    assert not control_assurance(control_ids=[control.pk], today=TODAY, moment=before)[
        control.pk
    ].lapsed  # not uploaded yet
    deleted = evidence_delete(evidence=piece, user=coordinator)
    between = deleted.deleted_at - dt.timedelta(microseconds=1)
    assert control_assurance(control_ids=[control.pk], today=TODAY, moment=between)[
        control.pk
    ].lapsed  # still there then


def test_one_query_whatever_the_number_of_controls(risk, coordinator):
    controls = [ControlFactory(risk=risk) for _ in range(6)]
    for control in controls:
        add(risk, coordinator, control, valid_until=dt.date(2026, 1, 1))
    with CaptureQueriesContext(connection) as queries:
        found = control_assurance(control_ids=[c.pk for c in controls], today=TODAY)
    assert len(queries) == 1
    assert all(found[c.pk].lapsed for c in controls)
    with CaptureQueriesContext(connection) as none:
        assert control_assurance(control_ids=[], today=TODAY) == {}
    assert len(none) == 0


def test_today_is_the_organisations_day(organisation, risk, coordinator, monkeypatch):
    # 12:00 UTC on 6 December is already 7 December in Auckland (UTC+13).
    noon = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: noon)
    control = ControlFactory(risk=risk, description="Supplier audits")
    add(risk, coordinator, control, valid_until=dt.date(2026, 12, 6))
    organisation.timezone = "Europe/London"
    organisation.save()
    assert organisation_today(organisation) == dt.date(2026, 12, 6)
    page = risk_page(organisation, risk, coordinator)
    assert ASSURANCE_LAPSED not in page
    organisation.timezone = "Pacific/Auckland"
    organisation.save()
    assert organisation_today(organisation) == dt.date(2026, 12, 7)
    page = risk_page(organisation, risk, coordinator)
    assert f"{ASSURANCE_LAPSED} on 7 Dec 2026" in page


# --- the risk page -----------------------------------------------------------------------------


def risk_page(organisation, risk, user, client=None) -> str:
    from django.test import Client

    client = client or Client()
    client.force_login(user)
    response = client.get(reverse("risk", args=[organisation.slug, risk.ref]))
    assert response.status_code == 200
    return response.content.decode()


def controls_table(page: str) -> str:
    return page.split('id="controls"', 1)[1].split("</table>", 1)[0]


def test_the_risk_pages_controls_list_flags_lapsed_assurance(organisation, risk, coordinator):
    lapsed = ControlFactory(risk=risk, description="Supplier audits")
    fine = ControlFactory(risk=risk, description="Contract clauses")
    yesterday = organisation_today(organisation) - dt.timedelta(days=1)
    add(risk, coordinator, lapsed, valid_until=yesterday)
    add(risk, coordinator, fine, valid_until=organisation_today(organisation))
    page = risk_page(organisation, risk, coordinator)
    flag = f"{ASSURANCE_LAPSED} on {day(yesterday + dt.timedelta(days=1))}"
    table = controls_table(page)
    row = table.split(f'id="control-{lapsed.pk}"', 1)[1].split("</tr>", 1)[0]
    assert flag in row
    other = table.split(f'id="control-{fine.pk}"', 1)[1].split("</tr>", 1)[0]
    assert ASSURANCE_LAPSED not in other
    assurance_map = page.split('id="assurance-map"', 1)[1].split("</table>", 1)[0]
    assert flag in assurance_map


def test_the_controls_htmx_row_carries_the_flag_too(client, organisation, risk, coordinator):
    control = ControlFactory(risk=risk, description="Supplier audits")
    add(risk, coordinator, control, valid_until=organisation_today(organisation) - dt.timedelta(2))
    client.force_login(coordinator)
    row = client.get(
        reverse("control", args=[organisation.slug, risk.ref, control.pk]),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert f"{ASSURANCE_LAPSED} on" in row


def test_the_risk_page_reads_assurance_in_a_flat_number_of_queries(
    client, organisation, risk, coordinator
):
    from tests.queries import assert_same_queries

    ControlFactory(risk=risk)
    client.force_login(coordinator)
    page = reverse("risk", args=[organisation.slug, risk.ref])
    client.get(page)
    yesterday = organisation_today(organisation) - dt.timedelta(days=1)

    def grow():
        for n in range(5):
            control = ControlFactory(risk=risk, description=f"Control grown {n}")
            add(risk, coordinator, control, valid_until=yesterday, name=f"r{n}.pdf")

    _, response = assert_same_queries(lambda: client.get(page), grow)
    assert response.content.decode().count(f"{ASSURANCE_LAPSED} on") >= 10  # list and map


# --- packs -------------------------------------------------------------------------------------


def test_pack_data_flags_lapsed_assurance_as_at_its_day(organisation, risk, coordinator):
    control = ControlFactory(risk=risk, description="Supplier audits")
    today = organisation_today(organisation)
    add(risk, coordinator, control, valid_until=today - dt.timedelta(days=1))
    data = pack_data(organisation=organisation, kind="committee", as_of=today)
    (packed,) = [r for r in data.risks if r.ref == "CRR1"]
    (state,) = [c.assurance_state for c in packed.controls]
    assert state.lapsed and state.flag == f"{ASSURANCE_LAPSED} on {day(today)}"


def test_pack_data_reads_assurance_in_one_query_whatever_the_number_of_risks(
    organisation, corporate_register, coordinator
):
    today = organisation_today(organisation)

    def make(n):
        risk = RiskFactory(register=corporate_register, ref=f"P{n}")
        control = ControlFactory(risk=risk)
        add(risk, coordinator, control, valid_until=today - dt.timedelta(days=3))

    make(0)
    with CaptureQueriesContext(connection) as small:
        pack_data(organisation=organisation, kind="quarterly", as_of=today)
    for n in range(1, 8):
        make(n)
    with CaptureQueriesContext(connection) as large:
        data = pack_data(organisation=organisation, kind="quarterly", as_of=today)
    assert len(large) == len(small)
    assert sum(1 for q in large.captured_queries if Evidence._meta.db_table in q["sql"]) == 1
    assert all(c.assurance_state.lapsed for r in data.risks for c in r.controls)


def test_the_word_packs_plan_flags_the_control(organisation, risk, coordinator):
    control = ControlFactory(risk=risk, description="Supplier audits")
    ControlFactory(risk=risk, description="Contract clauses")
    today = organisation_today(organisation)
    add(risk, coordinator, control, valid_until=today - dt.timedelta(days=1))
    data = pack_data(
        organisation=organisation, kind="committee", as_of=today, deep_dive_ids=[risk.pk]
    )
    assert [r.ref for r in data.details] == ["CRR1"]
    document = Document(io.BytesIO(render_docx(data)))
    (table,) = [t for t in document.tables if t.rows[0].cells[0].text == "Control"]
    cells = {row.cells[0].text.split("\n")[0]: row.cells[0].text for row in table.rows[1:]}
    assert f"{ASSURANCE_LAPSED} on {day(today)}" in cells["Supplier audits"]
    assert ASSURANCE_LAPSED not in cells["Contract clauses"]


def test_the_pdf_packs_plan_flags_the_control(organisation, risk, coordinator):
    from reporting.packs.render import render_html

    control = ControlFactory(risk=risk, description="Supplier audits")
    today = organisation_today(organisation)
    add(risk, coordinator, control, valid_until=today - dt.timedelta(days=1))
    data = pack_data(
        organisation=organisation, kind="committee", as_of=today, deep_dive_ids=[risk.pk]
    )
    html = render_html(data)
    controls = html.split("<caption>Controls in place</caption>", 1)[1].split("</table>", 1)[0]
    assert f'<span class="overdue">{ASSURANCE_LAPSED} on {day(today)}</span>' in controls
