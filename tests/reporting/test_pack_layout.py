"""Exception-based pack layout (issue 16, reporting/packs/layout.py): who gets a full Risk Action
Plan page, one summary line for the rest, refs in heat-map cells, the three-quarter columns, the
horizon split and the order of risks. Text is read from render_html (fast); no PDF here."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appetite.rules import AppetiteState
from appetite.services import appetite_statement_set
from registers.models import Marking, PackOrder, Register, Risk
from registers.services.organisations import organisation_create
from registers.services.risks import risk_create, risk_update
from reporting.packs import layout
from reporting.packs.data import pack_data
from reporting.packs.render import render_html
from scoring.engine import rate
from scoring.presets import preset

pytestmark = pytest.mark.django_db

SCHEME = preset("espo-5x5")  # bands: Low 1-6, Medium 7-12, High 13-20, Very high 21-25


def _risk(ref="R1", *, now=(2, 2), appetite=AppetiteState.WITHIN, tolerance=12, version=1):
    return SimpleNamespace(
        ref=ref,
        current=rate(SCHEME, *now) if now else None,
        appetite=appetite,
        tolerance=tolerance,
        record=SimpleNamespace(
            id=int(ref[1:]),
            scheme_version_id=version,
            scheme_version=SimpleNamespace(parsed=SCHEME),
        ),
    )


def _then(likelihood, impact, version=1):
    return {
        "current_likelihood": likelihood,
        "current_impact": impact,
        "current_score": likelihood * impact,
        "scheme_version_id": version,
    }


# --- the rule ----------------------------------------------------------------------------------


def test_within_tolerance_and_unmoved_gets_one_line():
    assert layout.full_page_reasons(_risk(), then=_then(2, 2)) == []
    assert layout.full_page_reasons(_risk(), then=None) == []  # new since: not a move


def test_breach_and_warning_get_a_page():
    assert layout.full_page_reasons(_risk(appetite=AppetiteState.BREACH)) == [layout.BREACH]
    assert layout.full_page_reasons(_risk(appetite=AppetiteState.WARNING)) == [layout.WARNING]


def test_moved_more_than_one_band_either_way_gets_a_page():
    # Low (2) -> High (16): two bands up; High -> Low: two bands down
    assert layout.MOVED in layout.full_page_reasons(_risk(now=(4, 4)), then=_then(1, 2))
    assert layout.MOVED in layout.full_page_reasons(_risk(now=(1, 2)), then=_then(4, 4))
    # Low -> Medium: one band is not a move of more than one level
    assert layout.full_page_reasons(_risk(now=(3, 3)), then=_then(2, 2)) == []
    # another scheme version then: not compared band by band
    assert layout.full_page_reasons(_risk(now=(1, 2)), then=_then(4, 4, version=2)) == []


def test_crossing_from_within_tolerance_to_breach_is_a_move():
    risk = _risk(now=(3, 5), appetite=AppetiteState.BREACH, tolerance=12)  # 15: Medium->High
    assert layout.full_page_reasons(risk, then=_then(3, 4)) == [layout.BREACH, layout.MOVED]
    # already above tolerance then: in breach, not moved
    assert layout.full_page_reasons(risk, then=_then(4, 4)) == [layout.BREACH]


def test_flagged_by_tolerance_levels_chosen_and_candidates_get_a_page():
    risk = _risk()
    assert layout.full_page_reasons(risk, flagged_refs={"R1"}) == [layout.MOVED]
    assert layout.full_page_reasons(risk, chosen_ids={1}) == [layout.CHOSEN]
    assert layout.full_page_reasons(risk, candidate_ids={1}) == [layout.CANDIDATE]


# --- packs -------------------------------------------------------------------------------------


@pytest.fixture
def organisation():
    organisation = organisation_create(slug="layout", name="Layout Org")
    appetite_statement_set(organisation=organisation, tolerance=12, warning=8, reason="test")
    return organisation


def _add(organisation, ref, current, *, title=None, **fields):
    register = Register.objects.get(organisation=organisation, slug="corporate")
    return risk_create(
        register=register,
        ref=ref,
        title=title or f"Risk {ref}",
        description=f"Description of {ref} for the panel.",
        positions={"inherent": (5, 5), "current": current, "target": (1, 1)},
        **fields,
    )


def _summary_row(html: str, ref: str) -> str:
    match = re.search(rf'<tr[^>]*>\s*<th scope="row">{ref}\b.*?</tr>', html, re.S)
    assert match, ref
    return match.group(0)


def test_render_one_line_for_within_full_page_for_breach_warning_and_chosen(organisation):
    _add(organisation, "R1", (1, 2))  # within
    _add(organisation, "R2", (3, 3))  # 9: warning
    _add(organisation, "R3", (4, 4))  # 16: breach
    chosen = _add(organisation, "R4", (1, 1))  # within, chosen for a deep dive
    data = pack_data(
        organisation=organisation,
        kind="committee",
        as_of=timezone.localdate(),
        deep_dive_ids={chosen.id},
    )
    assert [risk.ref for risk in data.details] == ["R2", "R3", "R4"]
    html = render_html(data)
    one_line = _summary_row(html, "R1")
    assert "Description of R1" not in one_line and "in full below" not in one_line
    assert "Description of R1" not in html  # nowhere: no page of its own
    assert 'id="risk-r1"' not in html
    for ref, reason in (("R2", layout.WARNING), ("R3", layout.BREACH), ("R4", layout.CHOSEN)):
        row = _summary_row(html, ref)
        assert f"Description of {ref}" in row
        assert f'href="#risk-{ref.lower()}"' in row and reason in row
        assert f'id="risk-{ref.lower()}"' in html  # its Risk Action Plan page
        page = html.split(f'id="risk-{ref.lower()}"', 1)[1].split("</section>", 1)[0]
        assert f"In full because: {reason}" in page


def test_quarterly_pack_gives_the_same_pages(organisation):
    _add(organisation, "R1", (1, 2))
    _add(organisation, "R2", (3, 3))
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    assert [risk.ref for risk in data.details] == ["R2"]
    html = render_html(data)
    assert 'id="risk-r2"' in html and 'id="risk-r1"' not in html


def test_moved_two_bands_since_the_comparison_date_gets_a_page():
    organisation = organisation_create(slug="moves", name="No appetite set")  # no breach
    risk = _add(organisation, "R1", (1, 2))  # Low
    _add(organisation, "R2", (1, 1))
    long_ago = timezone.now() - dt.timedelta(days=400)
    Risk.history.update(history_date=long_ago)
    risk.refresh_from_db()
    risk = risk_update(risk=risk, expected_version=risk.version, positions={"current": (3, 4)})
    data = pack_data(organisation=organisation, kind="committee", as_of=timezone.localdate())
    assert data.details == []  # Low -> Medium: one band
    risk = risk_update(risk=risk, expected_version=risk.version, positions={"current": (4, 4)})
    data = pack_data(organisation=organisation, kind="committee", as_of=timezone.localdate())
    assert [(r.ref, r.page_reasons) for r in data.details] == [("R1", [layout.MOVED])]
    html = render_html(data)
    assert "In full because: Moved more than one tolerance level since" in html


def test_deep_dive_candidates_from_pack_data_get_a_page(organisation):
    risk = _add(organisation, "R1", (1, 2))
    data = pack_data(organisation=organisation, kind="committee", as_of=timezone.localdate())
    data.deep_dive_candidates = {risk.id}
    layout.layout_apply(data, then={})
    assert [(r.ref, r.page_reasons) for r in data.details] == [("R1", [layout.CANDIDATE])]


def test_heat_map_cells_list_their_refs_in_packs_only(organisation, client):
    _add(organisation, "R1", (1, 2))
    _add(organisation, "R2", (1, 2))
    _add(organisation, "R3", (4, 4), marking=Marking.OFFICIAL_SENSITIVE)
    data = pack_data(
        organisation=organisation, kind="quarterly", as_of=timezone.localdate(), edition="public"
    )
    cells = {
        (cell.likelihood.value, cell.impact.value): cell.refs
        for row in data.heat_maps[0].rows
        for cell in row.cells
    }
    assert cells[(1, 2)] == ("R1", "R2")
    # public edition: a withheld risk keeps its ref, as in the summary table
    assert cells[(4, 4)] == ("R3",)
    html = render_html(data)
    heat = html.split('id="pack-current-all"', 1)[1].split("</table>", 1)[0]
    assert "R1, R2" in heat and "R3" in heat
    # the shared partial lists no refs unless asked (pages)
    from django.template.loader import render_to_string

    page = render_to_string("registers/partials/heatmap.html", {"heatmap": data.heat_maps[0]})
    assert "R1, R2" not in page


def test_three_quarters_show_ratings_at_the_last_three_quarter_ends(organisation):
    organisation.quarter_end_months = [3, 6, 9, 12]
    organisation.save()
    risk = _add(organisation, "R1", (1, 2))
    zone = timezone.get_default_timezone()
    # rated 2 at the end of June 2026, 9 by September, 16 since November
    Risk.history.filter(id=risk.id).update(history_date=dt.datetime(2026, 5, 1, 9, tzinfo=zone))
    risk.refresh_from_db()
    risk = risk_update(risk=risk, expected_version=risk.version, positions={"current": (3, 3)})
    Risk.history.filter(id=risk.id, current_score=9).update(
        history_date=dt.datetime(2026, 8, 1, 9, tzinfo=zone)
    )
    risk.refresh_from_db()
    risk = risk_update(risk=risk, expected_version=risk.version, positions={"current": (4, 4)})
    Risk.history.filter(id=risk.id, current_score=16).update(
        history_date=dt.datetime(2026, 11, 1, 9, tzinfo=zone)
    )
    as_of = dt.date(2026, 12, 31)  # a quarter end: that quarter is "Current"
    with CaptureQueriesContext(connection) as plain:
        pack_data(organisation=organisation, kind="quarterly", as_of=as_of)
    with CaptureQueriesContext(connection) as queries:
        data = pack_data(
            organisation=organisation, kind="quarterly", as_of=as_of, three_quarters=True
        )
    assert len(queries) == len(plain) + 1  # one query of the risks' history
    assert data.quarter_ends == [dt.date(2026, 3, 31), dt.date(2026, 6, 30), dt.date(2026, 9, 30)]
    (r1,) = data.risks
    assert [q.score if q else None for q in r1.quarters] == [None, 2, 9]
    html = render_html(data)
    assert "31 Mar 2026" in html and "30 Jun 2026" in html and "30 Sep 2026" in html
    row = _summary_row(html, "R1")
    assert row.index("2 (Low)") < row.index("9 (Medium)") < row.index("16 (High)")
    # the committee pack has no such columns, even when asked
    data = pack_data(organisation=organisation, kind="committee", as_of=as_of, three_quarters=True)
    assert data.quarter_ends == []


def test_horizon_split_gives_short_and_long_term_tables(organisation):
    _add(organisation, "R1", (1, 2), horizon="long")
    _add(organisation, "R2", (1, 2), horizon="short")
    _add(organisation, "R3", (1, 2))
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    assert [(g.caption.split(":")[0], [r.ref for r in g.risks]) for g in data.summary_groups] == [
        ("Short-term risks", ["R2"]),
        ("Long-term risks", ["R1"]),
        ("Risks with no horizon", ["R3"]),
    ]
    html = render_html(data)
    assert html.index("<caption>Short-term risks") < html.index("<caption>Long-term risks")


def test_no_horizons_one_table(organisation):
    _add(organisation, "R1", (1, 2))
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    assert len(data.summary_groups) == 1
    assert "Short-term" not in render_html(data)


def test_order_by_ref_or_by_score(organisation):
    _add(organisation, "R10", (2, 2))
    _add(organisation, "R2", (4, 4))
    _add(organisation, "R1", (3, 3))
    today = timezone.localdate()
    data = pack_data(organisation=organisation, kind="committee", as_of=today)
    assert [r.ref for r in data.risks] == ["R1", "R2", "R10"]
    organisation.pack_order = PackOrder.SCORE
    organisation.save()
    data = pack_data(organisation=organisation, kind="committee", as_of=today)
    assert [r.ref for r in data.risks] == ["R2", "R1", "R10"]
    assert [r.ref for r in data.details] == ["R2", "R1"]  # pages in the same order
    html = render_html(data)
    assert html.index('<th scope="row">R2') < html.index('<th scope="row">R1<')


def test_pack_data_queries_flat_at_two_sizes(organisation):
    for n in range(3):
        _add(organisation, f"R{n}", (1 + n % 4, 2))
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as small:
        pack_data(organisation=organisation, kind="quarterly", as_of=today, three_quarters=True)
    for n in range(3, 15):
        _add(organisation, f"R{n}", (1 + n % 4, 2), horizon="short" if n % 2 else "long")
    with CaptureQueriesContext(connection) as large:
        pack_data(organisation=organisation, kind="quarterly", as_of=today, three_quarters=True)
    assert len(large) == len(small)


def test_a_crowded_heat_map_cell_lists_ten_refs_then_how_many_more(organisation):
    for n in range(12):
        _add(organisation, f"R{n + 1}", (1, 2))
    data = pack_data(organisation=organisation, kind="committee", as_of=timezone.localdate())
    html = render_html(data)
    heat = html.split('id="pack-current-all"', 1)[1].split("</table>", 1)[0]
    assert "R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 +2 more" in " ".join(heat.split())
