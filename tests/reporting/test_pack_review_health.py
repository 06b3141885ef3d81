"""The committee pack's review health adds up as the Reviews page does (decision 142): each
register's open risks are overdue, without a review date or on time, so a register whose risks
have no review date as at the pack's day shows them in a "No review date" column (only when
some register has any, as "Awaiting sign-off", decision 123), and "On time" says how many with
their per cent of the open risks. The PDF's HTML and the Word edition alike."""

import datetime as dt
import html
import io
import re

import pytest
from docx import Document

from registers import selectors
from registers.models import Risk
from reporting.packs.data import pack_data
from reporting.packs.docx import render_docx
from reporting.packs.render import render_html
from tests.factories import RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db


def cell_text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def html_health(markup: str) -> list[dict[str, str]]:
    """The review health table's rows, each as {heading: text}."""
    table = markup[markup.index('id="health"') :]
    table = table[table.index("<table") : table.index("</table>")]
    headings = [cell_text(h) for h in re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", table)]
    body = table[table.index("<tbody>") :]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = [cell_text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        rows.append(dict(zip(headings, cells, strict=True)))
    return rows


def docx_health(content: bytes) -> list[dict[str, str]]:
    document = Document(io.BytesIO(content))
    (table,) = [
        t
        for t in document.tables
        if [c.text for c in t.rows[0].cells][:2] == ["Register", "Open risks"]
    ]
    headings = [cell.text for cell in table.rows[0].cells]
    return [dict(zip(headings, [c.text for c in row.cells], strict=True)) for row in table.rows[1:]]


def adds_up(row: dict[str, str]) -> bool:
    on_time = int(row["On time"].split()[0])
    parts = int(row["Overdue"]) + int(row.get("No review date", "0")) + on_time
    return parts == int(row["Open risks"])


@pytest.fixture
def unscheduled(organisation):
    """Five open risks on the corporate register: one overdue, one due soon, one due later and
    two with no review date."""
    today = selectors.organisation_today(organisation)
    top = corporate_register_of(organisation)
    for ref, due in (
        ("O1", today - dt.timedelta(days=10)),
        ("S1", today + dt.timedelta(days=5)),
        ("T1", today + dt.timedelta(days=90)),
        ("N1", None),
        ("N2", None),
    ):
        risk = RiskFactory(register=top, ref=ref)
        risk.next_review_due = due
        risk.save()  # a history record: the pack reads the risk as it stood
    return today


def test_each_row_adds_up_to_its_open_risks_in_the_pdf_and_the_word_edition(
    organisation, unscheduled
):
    data = pack_data(organisation=organisation, kind="committee", as_of=unscheduled)
    markup = render_html(data)
    rows = html_health(markup)
    assert all(adds_up(row) for row in rows)
    word = docx_health(render_docx(data))
    assert all(adds_up(row) for row in word)
    top = rows[0]
    assert (top["Open risks"], top["Overdue"], top["No review date"]) == ("5", "1", "2")
    assert top["On time"] == "2 (40%)" and top["Due soon"] == "1"
    caption = cell_text(markup[markup.index('id="health"') :].split("</caption>")[0])
    assert "without a review date" in caption and "per cent of the open risks" in caption

    assert word[0]["No review date"] == "2" and word[0]["On time"] == "2 (40%)"


def test_no_column_of_noughts_when_every_risk_has_a_review_date(organisation, unscheduled):
    Risk.objects.filter(ref__in=["N1", "N2"]).update(next_review_due=unscheduled)
    for risk in Risk.objects.filter(ref__in=["N1", "N2"]):
        risk.save()
    data = pack_data(organisation=organisation, kind="committee", as_of=unscheduled)
    assert not data.health_not_scheduled
    for rows in (html_health(render_html(data)), docx_health(render_docx(data))):
        assert "No review date" not in rows[0]
        assert rows[0]["On time"] == "4 (80%)"
        assert all(adds_up(row) for row in rows)
