"""Charts in packs (issue 18): each Risk Action Plan page carries its risk's scores over eight
quarters, and the committee pack the organisation's exposure per quarter end; the Word edition
has the same numbers as tables. Text read with pdftotext."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registers.charting import NO_THRESHOLDS
from reporting.packs.charts import add_charts
from reporting.packs.data import pack_data
from reporting.packs.services import pack_render
from tests.reporting.test_packs import (  # noqa: F401 (fixtures)
    _aberdeen_once,
    _espo_once,
    aberdeen,
    espo,
    pdf_text,
    section,
)

pytestmark = pytest.mark.django_db


def test_risk_action_plan_pages_hold_their_chart(aberdeen):  # noqa: F811
    pdf = pack_render(organisation=aberdeen, kind="quarterly", as_of=timezone.localdate()).pdf
    text = pdf_text(pdf)
    details = section(text, "5. Risk action plans", "6. Overdue actions")
    flat = " ".join(details.split())
    # a chart on each full page, beside its facts, its numbers under it (its title on the SVG)
    for ref in ("SRR02", "SRR05", "SRR08"):
        plan = flat[flat.index(f"{ref} ") :]
        assert "Over eight quarters" in plan[:900] and "Current (solid)" in plan[:900]
    assert flat.count("Over eight quarters") >= 3
    # a risk with a summary line only gets no chart
    assert "SRR01: current and target" not in text


def test_the_committee_pack_shows_exposure_with_its_numbers(espo):  # noqa: F811
    rendered = pack_render(
        organisation=espo, kind="committee", as_of=timezone.localdate(), word=True
    )
    text = pdf_text(rendered.pdf)
    assert "Exposure over eight quarters" in text
    assert "Open risks by band at each quarter end" in text
    # ESPO's tolerance of 10 holds from before its illustrative back history: a breach chart
    # at every quarter end (a pack with no tolerance then says why: tests/registers)
    flat = " ".join(text.split())
    assert "Risks in breach of appetite at each quarter end" in flat
    assert NO_THRESHOLDS not in flat
    import io

    from docx import Document

    word = "\n".join(p.text for p in Document(io.BytesIO(rendered.docx)).paragraphs)
    tables = [
        cell.text
        for table in Document(io.BytesIO(rendered.docx)).tables
        for row in table.rows
        for cell in row.cells
    ]
    assert "Exposure over eight quarters" in word and NO_THRESHOLDS not in word
    assert "Open risks by band at each quarter end" in word  # the table's caption
    assert "Total" in tables


def test_charts_cost_two_queries_whatever_the_number_of_pages(espo):  # noqa: F811
    data = pack_data(organisation=espo, kind="committee", as_of=timezone.localdate())
    assert data.details
    with CaptureQueriesContext(connection) as queries:
        add_charts(data)
    assert len(queries) <= 3  # the risks' series, the exposure, the default scheme
    assert all(risk.chart is not None for risk in data.details)


def test_a_plans_chart_sits_beside_its_facts_with_its_numbers(aberdeen):  # noqa: F811
    """Beside the ratings, not across the page (two plans to a page, as before charts), and its
    numbers printed under it, each line named with its dash."""
    data = pack_data(organisation=aberdeen, kind="committee", as_of=timezone.localdate())
    html = pack_render(organisation=aberdeen, kind="committee", as_of=timezone.localdate())
    text = " ".join(pdf_text(html.pdf).split())
    risk = data.details[0]
    (_c, current_name, values), *_rest = risk.chart_lines
    assert current_name == "Current (solid)" and len(values) == len(risk.chart.table.rows)
    assert f"Current (solid) {' '.join(values)}" in text
    assert "Target (dashed)" in text and "Tolerance (dotted)" in text
    assert "<circle" not in risk.chart.svg and risk.chart.svg.count("<text") <= 4
