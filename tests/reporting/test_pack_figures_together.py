"""A pack's key figures are never split from their labels by a page break: Aberdeen's quarterly
pack printed "4. Movement since the last report"'s numbers at the foot of page 7 and their words
("added", "closed", ...) at the top of page 8. Laid out by WeasyPrint with the pack's own CSS:
each figure block of a real pack is placed at every height down a page, and no block may land on
two pages."""

from __future__ import annotations

import lxml.html
import pytest
from django.utils import timezone
from weasyprint import HTML

from appetite.services import appetite_statement_set
from reporting.packs.data import pack_data
from reporting.packs.render import BASE_URL, pack_fetcher, render_html
from tests.factories import RiskFactory

pytestmark = pytest.mark.django_db

# The figure blocks of the PDF templates (base_pdf.html): the key figures, movement's figures,
# a Risk Action Plan's facts.
FIGURE_BLOCKS = ("summary-cards", "facts")
# A4's text height is 255 mm (base_pdf.html's @page margins): fillers from well above to the foot.
FILLER_HEIGHTS_MM = range(200, 256, 2)


def words(element) -> str:
    return " ".join("".join(element.itertext()).split())


def pages_of(document) -> dict:
    """Each element laid out, with the pages (from 1) any part of it is on."""
    pages: dict = {}
    for number, page in enumerate(document.pages, start=1):
        for box in page._page_box.descendants():
            if box.element is not None:
                pages.setdefault(box.element, set()).add(number)
    return pages


@pytest.fixture
def pack_html(organisation, corporate_register) -> str:
    """A real quarterly pack's HTML: key figures, movement's figures, Risk Action Plans."""
    appetite_statement_set(organisation=organisation, tolerance=12, warning=8, reason="test")
    for number, current in enumerate(((5, 5), (4, 3), (2, 2), (1, 1)), start=1):
        RiskFactory(register=corporate_register, ref=f"R{number}", positions={"current": current})
    return render_html(
        pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    )


def laid_out(html: str, blocks: list[str]):
    """The pack's own head (its CSS, fonts and @page) with ``blocks`` as its body, each placed
    after a filler of every height, from a fresh page."""
    body = "".join(
        f'<div class="filler" style="break-before: page; height: {height}mm"></div>{block}'
        for height in FILLER_HEIGHTS_MM
        for block in blocks
    )
    page = html[: html.index("<body")] + f"<body>{body}</body></html>"
    return HTML(string=page, base_url=BASE_URL, url_fetcher=pack_fetcher()).render()


def test_no_figure_block_is_split_across_pages(pack_html):
    tree = lxml.html.fromstring(pack_html)
    blocks = {
        name: [lxml.html.tostring(element, encoding="unicode") for element in tree.find_class(name)]
        for name in FIGURE_BLOCKS
    }
    assert blocks["summary-cards"], "the pack has key figures"
    assert "added" in " ".join(blocks["summary-cards"]), "and movement's figures"
    assert blocks["facts"], "and a Risk Action Plan's facts"
    document = laid_out(pack_html, [block for name in FIGURE_BLOCKS for block in blocks[name]])
    split = [
        f"{element.get('class')} on pages {sorted(numbers)}: {words(element)}"
        for element, numbers in pages_of(document).items()
        if element.get("class") in FIGURE_BLOCKS and len(numbers) > 1
    ]
    assert split == []


def test_movement_heading_and_its_words_stay_with_its_figures(pack_html):
    """Kept whole, the figures must not leave "4. Movement since the last report" and its first
    line alone at the foot of the page before."""
    tree = lxml.html.fromstring(pack_html)
    heading = tree.get_element_by_id("movement")
    first_line = heading.getnext()
    figures = first_line.getnext()
    assert "summary-cards" in figures.get("class")
    block = "".join(
        lxml.html.tostring(element, encoding="unicode", with_tail=False)
        for element in (heading, first_line, figures)
    )
    document = laid_out(pack_html, [block])
    pages = pages_of(document)
    heading_pages = [n for e, ns in pages.items() if e.tag == "h1" for n in ns]
    figure_pages = {n for e, ns in pages.items() if e.get("class") == "summary-cards" for n in ns}
    assert heading_pages
    assert [n for n in heading_pages if n not in figure_pages] == []
