"""Packs highlight what changed since the last report (issue 16), from history: a Changed or New
mark and the previous rating beside the current one in the summary, each changed field with its
new text marked and a legend, new and closed risks; how long each breach has lasted, in quarter
ends; and the deep-dive candidates, red at more than the organisation's number of quarters. Read
from the pack's HTML (render_html), and once from a real PDF."""

import datetime as dt
import html
import re
import subprocess
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from appetite.services import appetite_statement_set
from registers.models import Marking
from registers.services.risks import control_add, risk_close, risk_update
from reporting.packs.data import pack_data
from reporting.packs.render import render_html, render_pdf
from tests.factories import RiskFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
AS_OF = dt.date(2026, 12, 31)  # the pack compares with the quarter end of 30 September 2026


def on(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=LONDON)


EARLY = on(dt.date(2026, 2, 1))
BEFORE = on(dt.date(2026, 8, 1))
DURING = on(dt.date(2026, 11, 2))


@contextmanager
def at(when):
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def make_risk(register, ref, when=BEFORE, **kwargs):
    with at(when):
        return RiskFactory(register=register, ref=ref, **kwargs)


def update(risk, when=DURING, **kwargs):
    risk.refresh_from_db()
    with at(when):
        return risk_update(risk=risk, expected_version=risk.version, **kwargs)


def text_of(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


@pytest.fixture
def world(organisation, corporate_register):
    with at(on(dt.date(2025, 12, 1))):
        appetite_statement_set(organisation=organisation, tolerance=16)
    risks = {
        "T1": make_risk(corporate_register, "T1", title="Old title", positions={"current": (3, 4)}),
        "B1": make_risk(corporate_register, "B1", when=EARLY, positions={"current": (4, 5)}),
        "R1": make_risk(corporate_register, "R1", when=EARLY, positions={"current": (5, 5)}),
        "Q1": make_risk(corporate_register, "Q1", positions={"current": (2, 2)}),
        "C1": make_risk(corporate_register, "C1", positions={"current": (2, 2)}),
        "S1": make_risk(
            corporate_register,
            "S1",
            description="Secret cause",
            marking=Marking.OFFICIAL_SENSITIVE,
            positions={"current": (2, 2)},
        ),
    }
    update(risks["T1"], fields={"title": "New title"}, positions={"current": (3, 3)})
    update(risks["S1"], fields={"description": "A more secret cause"})
    with at(DURING):
        control_add(risk=risks["Q1"], description="Weekly reconciliation")
    risks["N1"] = make_risk(corporate_register, "N1", when=DURING, positions={"current": (1, 1)})
    closing = risks["C1"]
    closing.refresh_from_db()
    with at(DURING):
        risk_close(risk=closing, expected_version=closing.version, reason="Fully mitigated")
    return risks


def build(organisation, **kwargs):
    return pack_data(organisation=organisation, kind="quarterly", as_of=AS_OF, **kwargs)


def test_pack_data_exposes_changes_breach_runs_and_deep_dive_ids(organisation, world):
    data = build(organisation)
    assert {c.ref for c in data.changes.changed} == {"T1", "S1", "Q1"}
    assert [c.ref for c in data.changes.new] == ["N1"]
    assert [c.ref for c in data.changes.closed] == ["C1"]
    by_ref = {risk.ref: risk for risk in data.risks}
    assert by_ref["T1"].changes.rating.old == "12 (Medium)"
    assert by_ref["Q1"].changes.get("control").new == "Weekly reconciliation"
    # B1 (20) and R1 (25) are above the tolerance of 16 since February: Mar, Jun, Sep, Dec
    run = data.breach_runs[world["B1"].id]
    assert (run.quarters, run.since) == (4, dt.date(2026, 3, 31))
    assert by_ref["B1"].breach_run is run
    assert set(data.breach_runs) == {world["B1"].id, world["R1"].id}
    # R1 is in the top band (Very high, 21 to 25) at four quarter ends: more than 2
    assert data.deep_dive_candidates == {world["R1"].id}
    assert [risk.ref for risk, _run in data.deep_dive_rows] == ["R1"]


def test_summary_marks_changed_and_new_risks_and_shows_the_previous_rating(organisation, world):
    markup = render_html(build(organisation))
    text = text_of(markup)
    assert re.search(r"T1 CHANGED|T1 Changed", text)
    assert re.search(r"N1 New", text)
    assert "was 12 (Medium)" in text
    # the legend: the mark is a word, not colour alone
    assert "Key: Changed a field changed since 30 September 2026" in text
    assert "in bold and underlined" in text


def test_changes_section_marks_new_text_and_lists_new_and_closed(organisation, world):
    markup = render_html(build(organisation))
    assert '<ins class="changed-text">New title</ins>' in markup
    assert '<ins class="changed-text">Weekly reconciliation</ins>' in markup
    section = text_of(markup.split('id="changes-since"', 1)[1].split('id="deep-dive"', 1)[0])
    assert "What changed since 30 September 2026" in text_of(markup)
    assert "Old title" in section  # the text it replaced
    # the risks added and closed are listed once, by the movement section above (decision 50)
    assert "are listed above, under “Risks added, closed or reopened”" in section
    assert "C1" not in section and "N1" not in section
    movement = text_of(markup.split('id="changes-since"', 1)[0])
    movement = movement[movement.rindex("Risks added, closed or reopened") :]
    assert "C1" in movement and "Fully mitigated" in movement
    assert "N1" in movement
    assert "Control added" in section


def test_breach_duration_beside_each_breach(organisation, world):
    text = text_of(render_html(build(organisation)))
    # beside "Breach" in the summary and on each risk's page: B1 and R1
    assert text.count("Breach tolerance 16 Since March 2026, 4 quarters") >= 2
    assert text.count("Since March 2026, 4 quarters") == 4


def test_deep_dive_section_lists_the_candidates(organisation, world):
    markup = render_html(build(organisation))
    section = text_of(markup.split('id="deep-dive"', 1)[1].split("</table>", 1)[0])
    assert "Candidates for a deep dive" in section
    assert "more than 2 consecutive quarter ends" in section
    assert "R1" in section and "March 2026, 4 quarters" in section
    assert "B1" not in section  # in breach, but its band (High) is not the top one
    # a stricter organisation: red for more than 4 quarters, none yet
    organisation.deep_dive_quarters = 4
    organisation.save()
    section = text_of(render_html(build(organisation)).split('id="deep-dive"', 1)[1][:2000])
    assert "No risk has been in the top band for more than 4 consecutive quarter ends" in section


def test_public_edition_withholds_sensitive_changed_text(organisation, world):
    full = render_html(build(organisation))
    public = render_html(build(organisation, edition="public"))
    assert "A more secret cause" in full
    assert "secret" not in public.lower()
    assert "Withheld: OFFICIAL-SENSITIVE" in public


def test_the_pdf_prints_the_marks_and_the_legend(organisation, world):
    pdf = render_pdf(build(organisation)).pdf
    text = subprocess.run(  # noqa: S603
        ["pdftotext", "-layout", "-", "-"],  # noqa: S607
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    flat = " ".join(text.split())
    assert "What changed since 30 September 2026" in flat
    assert "Candidates for a deep dive" in flat
    assert "Since March 2026, 4 quarters" in flat
    assert "was 12 (Medium)" in flat


def test_committee_pack_has_the_same_sections(organisation, world):
    organisation.committee_months = [9]
    organisation.save()
    data = pack_data(organisation=organisation, kind="committee", as_of=AS_OF)
    text = text_of(render_html(data))
    assert "What changed since 30 September 2026" in text
    assert "Candidates for a deep dive" in text
    assert "Since March 2026, 4 quarters" in text
    assert data.deep_dive_candidates == {world["R1"].id}
