"""The drawing: well-formed SVG labelled by its title and description, every text escaped, and
the same numbers in the table behind "Chart data"."""

from defusedxml import ElementTree as ET
from django.template.loader import render_to_string

from charts import Axis, Band, Series, Stack, Table, bar_chart, line_chart, stacked_bars

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '</svg><script>alert("x")</script> & "quotes"'
TABLE = Table("Scores", ("Quarter", "Current"), (("Q1 2026/27", "6"), ("Today", "12")))


def a_line_chart(**overrides):
    arguments = {
        "title": "R1: scores",
        "description": "Current score over two quarters.",
        "labels": ["Q1 2026/27", "Q2 2026/27", "Today"],
        "series": [
            Series("Current score", ((0, 6), (1.5, 12), (2, 12))),
            Series("Target score", ((0, 4), (2, 4)), dash="6 4", marker="square"),
        ],
        "y_axis": Axis("Score", 0, 25),
        "table": TABLE,
        "bands": [Band(0.5, 5.5, "#00703c", "Low"), Band(15.5, 25.5, "#d4351c", "High")],
        "thresholds": [Series("Tolerance", ((0, 10),), "#d4351c", "2 3", "none")],
        "key": "r1",
    }
    return line_chart(**(arguments | overrides))


def test_a_line_chart_is_well_formed_and_labelled():
    chart = a_line_chart()
    svg = ET.fromstring(chart.svg)
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert (title.text, desc.text) == ("R1: scores", "Current score over two quarters.")
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    # Never colour alone: the legend names every line, the bands are written on.
    assert {"Current score", "Target score", "Tolerance", "Low", "High"} <= set(texts)
    # A step line holds the value until the change, then steps.
    path = svg.find(f"{SVG}path").get("d")
    assert "H" in path and "V" in path
    assert "style" not in chart.svg


def test_hostile_titles_and_names_are_escaped():
    chart = a_line_chart(
        title=HOSTILE,
        description=HOSTILE,
        series=[Series(HOSTILE, ((0, 1),), colour='red" onload="x')],
        labels=[HOSTILE, "b"],
        key=HOSTILE,
    )
    svg = ET.fromstring(chart.svg)  # still one well-formed element
    assert svg.find(f"{SVG}title").text == HOSTILE
    assert "<script>" not in chart.svg
    assert "onload" not in chart.svg  # a colour that is not one becomes the neutral grey
    assert all(c.isalnum() or c == "-" for c in svg.find(f"{SVG}title").get("id"))
    bars = stacked_bars(
        title=HOSTILE,
        description=HOSTILE,
        labels=[HOSTILE],
        stacks=[Stack(HOSTILE, "#00703c", (3,))],
        table=TABLE,
    )
    ET.fromstring(bars.svg)
    assert "<script>" not in bars.svg


def test_stacked_bars_carry_totals_and_a_legend():
    chart = stacked_bars(
        title="Open risks by band",
        description="By band.",
        labels=["Q1", "Q2"],
        stacks=[Stack("Low", "#00703c", (1, 2)), Stack("High", "#d4351c", (3, 0))],
        table=TABLE,
    )
    svg = ET.fromstring(chart.svg)
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "4" in texts and "2" in texts  # the totals above the bars
    assert texts.index("High") < texts.index("Low")  # legend reads top band first
    assert len([r for r in svg.iter(f"{SVG}rect") if r.get("fill") == "#d4351c"]) == 2


def test_bars_write_their_numbers():
    chart = bar_chart(
        title="In breach",
        description="Breaches.",
        labels=["Q1", "Q2", "Q3"],
        values=[0, 5, 2],
        name="Risks in breach",
        table=TABLE,
    )
    texts = [t.text for t in ET.fromstring(chart.svg).iter(f"{SVG}text")]
    assert [t for t in texts if t in {"0", "5", "2"}][-3:] == ["0", "5", "2"]


def test_the_partial_puts_the_numbers_in_a_table_behind_chart_data():
    chart = a_line_chart(title=HOSTILE)
    html = render_to_string("charts/partials/chart.html", {"chart": chart})
    assert "<summary" in html and "Chart data" in html
    assert "<script>" not in html
    assert "<caption" in html and "Scores" in html
    for quarter, value in TABLE.rows:
        assert f'<th scope="row" class="govuk-table__header">{quarter}</th>' in html
        assert f'<td class="govuk-table__cell">{value}</td>' in html


def test_a_compact_line_chart_is_cheap_and_still_labelled():
    """A pack's plan draws dozens of these: one path a line, few texts, nothing translucent."""
    chart = a_line_chart(compact=True, thresholds=(), title=HOSTILE, width=300, height=86)
    svg = ET.fromstring(chart.svg)
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text == HOSTILE
    assert svg.find(f"{SVG}desc").text == "Current score over two quarters."
    tags = [element.tag.removeprefix(SVG) for element in svg.iter()]
    assert "circle" not in tags and "polygon" not in tags and "line" not in tags
    assert len(list(svg.iter(f"{SVG}path"))) == 3  # the two series and the axes
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["0", "25", "Q1 2026/27", "Today"]  # lowest and highest ticks, ends
    assert "opacity" not in chart.svg and "filter" not in chart.svg
    assert len(tags) <= 12
