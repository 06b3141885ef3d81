"""Key risk indicators in packs (issue 18): each Risk Action Plan page lists its risk's
indicators with their status as at the pack's day, and the pack lists those at red or stale.
Text read with pdftotext; ESPO's seeded (illustrative) indicators."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registers.selectors.indicator_lists import current_indicators
from reporting.packs.data import pack_data
from reporting.packs.indicators import add_indicators
from reporting.packs.services import pack_render
from tests.reporting.test_packs import _espo_once, espo, pdf_text, section  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_pack_lists_indicators_at_red_or_stale(espo):  # noqa: F811
    text = pdf_text(
        pack_render(organisation=espo, kind="committee", as_of=timezone.localdate()).pdf
    )
    red = flat(section(text, "Indicators at red", "4. Review health"))
    assert "Staff vacancy rate (illustrative) 9.2 %" in red
    assert "Contract spend below forecast" in red
    assert "Housekeeping audit findings" in red and "Stale: reading due" in red
    assert "Unplanned system downtime" not in red  # green and read this month


def test_risk_action_plan_pages_carry_their_indicators(espo):  # noqa: F811
    data = pack_data(organisation=espo, kind="committee", as_of=timezone.localdate())
    with_kris = [risk for risk in data.details if risk.indicators]
    assert with_kris
    text = flat(
        pdf_text(pack_render(organisation=espo, kind="committee", as_of=timezone.localdate()).pdf)
    )
    details = text[text.rindex("3. Risks in full") : text.rindex("Indicators at red")]
    assert "Key risk indicators (illustrative)" in details
    for risk in with_kris:
        assert risk.indicators[0].name in details


def test_a_pack_as_at_an_earlier_day_reads_the_readings_of_then(espo):  # noqa: F811
    # The seeded risks are younger than their indicators' readings: ask for the pack's
    # indicators as at 20 days ago the way add_indicators does.
    then = timezone.localdate() - dt.timedelta(days=20)
    vacancies = current_indicators(as_of=then).get(name="Staff vacancy rate")
    assert vacancies.latest_value == D("8.5")  # amber then; 9.2 (red) read since
    data = pack_data(organisation=espo, kind="committee", as_of=timezone.localdate())
    now = {kri.name: kri for risk in data.risks for kri in risk.indicators}
    assert now["Staff vacancy rate"].value == "9.2 %"


def test_indicators_cost_one_query_for_the_whole_pack(espo):  # noqa: F811
    data = pack_data(organisation=espo, kind="committee", as_of=timezone.localdate())
    with CaptureQueriesContext(connection) as queries:
        add_indicators(data)
    assert len(queries) == 1
    assert sum(len(risk.indicators) for risk in data.risks) == 8


def test_the_word_edition_has_the_same_indicators(espo):  # noqa: F811
    import io

    from docx import Document

    rendered = pack_render(
        organisation=espo, kind="committee", as_of=timezone.localdate(), word=True
    )
    document = Document(io.BytesIO(rendered.docx))
    headings = [p.text for p in document.paragraphs]
    assert "Indicators at red" in headings
    assert "Key risk indicators (illustrative)" in headings
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert "Staff vacancy rate (illustrative)" in cells
