"""Packs (issue 16, decision 50): a within-tolerance risk's one line says the same in the PDF and
the Word edition (five cells: ref, risk, owner with the "no update" mark, the current rating with
its trend and appetite marks, the target and progress; the key at the top); no heading or table
caption is left alone at a page foot; the risks added since are listed once in "Significant
changes"; the Word edition says how its plans are set out."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from docx import Document
from weasyprint import HTML

from appetite.models import AppetiteStatement
from appetite.services import appetite_statement_set
from registers.models import Organisation, Register, Risk
from registers.services.organisations import organisation_create
from registers.services.risks import risk_create
from reporting.packs.data import pack_data
from reporting.packs.docx import render_docx
from reporting.packs.layout import NO_UPDATE
from reporting.packs.render import BASE_URL, pack_fetcher, render_html

pytestmark = pytest.mark.django_db


def seeded(slug: str) -> Organisation:
    from demo.seeding import seed_demo

    seed_demo(slugs=(slug,))
    return Organisation.objects.get(slug=slug)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def word(data) -> Document:
    return Document(io.BytesIO(render_docx(data)))


# --- the one-line rows --------------------------------------------------------------------------


@pytest.fixture
def organisation():
    organisation = organisation_create(slug="lines", name="Lines Org")
    appetite_statement_set(organisation=organisation, tolerance=12, warning=8, reason="test")
    register = Register.objects.get(organisation=organisation, slug="corporate")
    for ref, current in (("L1", (1, 2)), ("L2", (2, 3)), ("L3", (4, 4))):
        risk_create(
            register=register,
            ref=ref,
            title=f"Risk {ref}",
            description=f"Description of {ref}.",
            positions={"inherent": (5, 5), "current": current, "target": (1, 1)},
        )
    # on the register a year: not new since the last report, their trend level
    year_ago = timezone.now() - dt.timedelta(days=400)
    Risk.history.filter(register=register).update(history_date=year_ago)
    AppetiteStatement.history.filter(organisation=organisation).update(history_date=year_ago)
    return organisation


def test_one_line_rows_have_five_cells_and_the_same_words_in_pdf_and_word(organisation):
    data = pack_data(organisation=organisation, kind="committee", as_of=timezone.localdate())
    html = render_html(data)
    table = html[html.index('<table class="summary lines">') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr>.*?</tr>", table, re.S)
    assert len(rows) == 3  # the heading row and L1, L2 (L3 is in breach: a full row)
    for row in rows:
        assert len(re.findall(r"<t[hd][ >]", row)) == 5, row
    assert 'class="rating' not in table  # no swatch box of its own: the cell's border is the colour
    l1 = text_of(next(row for row in rows if ">L1<" in row))
    risk = next(risk for risk in data.risks if risk.ref == "L1")
    assert l1 == (
        f"L1 Risk L1 Not assigned · {NO_UPDATE} {risk.current.label} {risk.line_marks} "
        f"{risk.target.label} · {risk.progress_line}"
    )
    assert risk.line_marks == "→"  # level since the last report, within appetite
    key = data.lines_key
    assert "↑ higher, → level, ↓ lower" in key and "“No update”" in key
    assert key in text_of(table)

    document = word(data)
    lines = next(
        t
        for t in document.tables
        if [c.text for c in t.rows[0].cells][:3] == ["Ref", "Risk", "Owner"]
    )
    assert [c.text for c in lines.rows[0].cells] == [
        "Ref",
        "Risk",
        "Owner",
        "Current",
        "Target and progress",
    ]
    by_ref = {row.cells[0].text: [c.text for c in row.cells] for row in lines.rows[1:]}
    assert set(by_ref) == {"L1", "L2"}
    assert by_ref["L1"][2] == f"Not assigned · {NO_UPDATE}"
    assert by_ref["L1"][3] == f"{risk.current.label} {risk.line_marks}"
    assert by_ref["L1"][4] == f"{risk.target.label} · {risk.progress_line}"
    assert key in [p.text for p in document.paragraphs]


def test_a_line_without_a_target_says_so_once(organisation):
    """ESPO's quarterly pack read "No target · No target set": the cell said there was no target,
    then the progress said it again."""
    risk_create(
        register=Register.objects.get(organisation=organisation, slug="corporate"),
        ref="L4",
        title="Risk L4",
        description="Description of L4.",
        positions={"inherent": (3, 3), "current": (1, 2)},
    )
    data = pack_data(organisation=organisation, kind="committee", as_of=timezone.localdate())
    html = render_html(data)
    table = html[html.index('<table class="summary lines">') :]
    row = text_of(re.search(r"<tr><th scope=\"row\">L4.*?</tr>", table, re.S).group(0))
    assert row.endswith(" No target set"), row
    assert row.count("No target") == 1, row

    lines = next(
        t
        for t in word(data).tables
        if [c.text for c in t.rows[0].cells][:3] == ["Ref", "Risk", "Owner"]
    )
    cells = next(
        [c.text for c in row.cells] for row in lines.rows if row.cells[0].text.startswith("L4")
    )
    assert cells[4] == "No target set"


def test_line_marks_trend_and_appetite_other_than_within(organisation):
    data = pack_data(organisation=organisation, kind="committee", as_of=timezone.localdate())
    risk = next(risk for risk in data.risks if risk.ref == "L2")
    from appetite.rules import AppetiteState
    from reporting.packs.layout import line_marks

    assert line_marks(risk, uses_appetite=True) == risk.trend.arrow
    risk.appetite = AppetiteState.NOT_SET
    assert line_marks(risk, uses_appetite=True) == f"{risk.trend.arrow} · no threshold"
    assert line_marks(risk, uses_appetite=False) == risk.trend.arrow
    risk.current = None
    assert line_marks(risk, uses_appetite=True) == ""  # "Not rated" says it


# --- page breaks --------------------------------------------------------------------------------


def _alone_at_foot(document) -> list[str]:
    """The headings and table captions that end a page: nothing of another element below."""
    found = []
    for number, page in enumerate(document.pages, start=1):
        boxes = [
            box
            for box in page._page_box.descendants()
            if box.element_tag not in (None, "html", "body")
        ]
        heads = [box for box in boxes if box.element_tag in ("h1", "h2", "h3", "caption")]
        if not heads:
            continue
        last = max(heads, key=lambda box: box.position_y)
        below = [
            box
            for box in boxes
            if box.element is not last.element and box.position_y > last.position_y + 1
        ]
        if not below:
            text = "".join(getattr(box, "text", "") for box in last.descendants())
            found.append(f"page {number}: {text}")
    return found


@pytest.mark.parametrize("kind", ["quarterly", "committee"])
def test_no_heading_or_caption_is_left_alone_at_a_page_foot(kind):
    # Aberdeen's quarterly pack left "3. Alignment with objectives" and two table captions at
    # page feet, their tables on the next page.
    aberdeen = seeded("aberdeen")
    data = pack_data(organisation=aberdeen, kind=kind, as_of=timezone.localdate())
    document = HTML(
        string=render_html(data), base_url=BASE_URL, url_fetcher=pack_fetcher()
    ).render()
    assert _alone_at_foot(document) == []


# --- significant changes ------------------------------------------------------------------------


def test_risks_added_since_are_listed_once_in_significant_changes():
    from registers.services.risks import risk_create

    espo = seeded("espo")
    # ESPO's seeded risks carry illustrative back history (two years on the register): two
    # risks added since the last committee date.
    corporate = espo.registers.get(slug="corporate")
    for ref in ("ESPO-09", "ESPO-10"):
        risk_create(
            register=corporate,
            ref=ref,
            title="Added since the committee",
            positions={"current": (2, 2)},
        )
    data = pack_data(organisation=espo, kind="committee", as_of=timezone.localdate())
    added = [event.risk.ref for event in data.movement.added]
    assert added == ["ESPO-09", "ESPO-10"]  # new since the last committee date
    text = text_of(render_html(data))
    section = text[text.rindex("2. Significant changes since") : text.rindex("3. Risks in full")]
    for ref in added:
        assert len(re.findall(rf"\b{ref}\b", section)) == 1, ref
    assert "are listed above, under “Risks added, closed or reopened”" in section
    assert "Risks added or closed since" not in section  # no second table of the same risks

    document = word(data)
    body = [p.text for p in document.paragraphs]
    assert any("are listed above, under “Risks added, closed or reopened”" in p for p in body)
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert not any(c.startswith("Risks added or closed since") for c in captions)


# --- the Word edition's plans -------------------------------------------------------------------


def test_word_edition_says_how_its_plans_are_set_out(organisation):
    data = pack_data(organisation=organisation, kind="committee", as_of=timezone.localdate())
    assert [risk.ref for risk in data.details] == ["L3"]
    document = word(data)
    intro = next(p.text for p in document.paragraphs if p.text.startswith("1 of 3 strategic"))
    assert "page of its own" not in intro
    assert "L3. Each is set out in full below, in that order" in intro
    plans = [p for p in document.paragraphs if p.style.name == "Heading 2" and "L3" in p.text]
    assert plans and not plans[0].paragraph_format.page_break_before


def test_the_key_speaks_of_appetite_only_where_the_organisation_sets_one():
    organisation = organisation_create(slug="no-appetite", name="No Appetite Org")
    register = Register.objects.get(organisation=organisation, slug="corporate")
    risk_create(
        register=register,
        ref="N1",
        title="Risk N1",
        positions={"inherent": (5, 5), "current": (1, 2), "target": (1, 1)},
    )
    data = pack_data(organisation=organisation, kind="committee", as_of=timezone.localdate())
    assert not data.uses_appetite
    assert "appetite" not in data.lines_key
    assert data.lines_key in text_of(render_html(data))
