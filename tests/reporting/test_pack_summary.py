"""The executive summary's generated draft (issue 16), a pure function of the pack's data: headline
counts by band, the risks that moved, the breaches (with how long, when the data says), the new
and the emerging risks. Built here from hand-made PackData, so every rule is seen in isolation;
tests/reporting/test_pack_release.py sees it on the draft's page and in the built pack."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from appetite.rules import AppetiteState
from registers.selectors import Trend
from registers.selectors.quarter_runs import QuarterRun
from reporting.movement import Movement, RatingChange, RiskEvent, RiskInfo
from reporting.packs.data import PackData, PackRisk
from reporting.packs.summary import MAX_LISTED, summary_draft
from scoring.definition import Band
from scoring.engine import Rating

AS_OF = dt.date(2026, 9, 30)
MOMENT = dt.datetime(2026, 9, 30, 23, 59, tzinfo=dt.UTC)
RED = Band(name="Red", position=3, colour="#d4351c", min=15, max=25)
AMBER = Band(name="Amber", position=2, colour="#ffdd00", min=5, max=14)
GREEN = Band(name="Green", position=1, colour="#00703c", min=1, max=4)


def rating(score: int, band: Band) -> Rating:
    return Rating(
        likelihood=SimpleNamespace(value=1),
        impact=SimpleNamespace(value=score),
        score=score,
        band=band,
        display=str(score),
    )


def risk(pk, ref, title, current=None, *, appetite=AppetiteState.WITHIN, emerging=False, **extra):
    record = SimpleNamespace(id=pk, ref=ref, title=title, emerging=emerging, progress="")
    made = PackRisk(
        record=record,
        current=current,
        target=None,
        inherent=None,
        trend=Trend.LEVEL,
        appetite=appetite,
        tolerance=12 if appetite != AppetiteState.NOT_SET else None,
        warning=None,
        withheld=False,
    )
    for name, value in extra.items():
        setattr(made, name, value)
    return made


def data(risks, movement=None) -> PackData:
    return PackData(
        organisation=SimpleNamespace(name="Met", panel_name="Audit panel"),
        kind="quarterly",
        edition="full",
        as_of=AS_OF,
        moment=MOMENT,
        title="Quarterly risk report",
        registers=[SimpleNamespace(name="Corporate risk register")],
        risks=risks,
        movement=movement or Movement(since=MOMENT, until=MOMENT),
        since_label="30 June 2026",
    )


def info(item) -> RiskInfo:
    return RiskInfo(
        id=item.record.id, ref=item.ref, title=item.record.title, register=None, marking=""
    )


def test_headline_counts_by_band_highest_first():
    risks = [risk(i, f"R{i}", "t", rating(2, GREEN)) for i in range(8)]
    risks += [risk(10, "R10", "t", rating(9, AMBER)), risk(11, "R11", "t", rating(8, AMBER))]
    risks.append(risk(12, "R12", "Not rated yet"))
    text = summary_draft(data(risks))
    assert text.startswith("11 open risks as at 30 September 2026: 2 Amber, 8 Green, 1 not rated.")


def test_breaches_are_named_with_their_rating_or_how_long():
    risks = [
        risk(1, "CRR1", "Cyber attack", rating(20, RED), appetite=AppetiteState.BREACH),
        risk(
            2,
            "CRR2",
            "Funding gap",
            rating(16, RED),
            appetite=AppetiteState.BREACH,
            breach_run=SimpleNamespace(
                breach_text="outside appetite since March 2026, 3 quarters", quarters=3
            ),
        ),
        risk(3, "CRR3", "Estates", rating(10, AMBER), appetite=AppetiteState.WARNING),
    ]
    text = summary_draft(data(risks))
    assert (
        "2 risks outside appetite: CRR1 Cyber attack (Red at 20 against a tolerance of 12); "
        "CRR2 Funding gap (outside appetite since March 2026, 3 quarters). 1 risk at warning."
    ) in text


def test_a_breach_new_this_quarter_has_no_brackets_in_its_brackets():
    """The pack's summary read "(newly outside appetite this quarter (not at the end of
    September 2026))": the run's words are in the summary's brackets, so have none of their
    own."""
    run = QuarterRun(quarters=0, since=None, latest=dt.date(2026, 6, 30))
    risks = [
        risk(1, "CRR1", "Cyber attack", rating(20, RED), appetite=AppetiteState.BREACH),
        risk(2, "CRR2", "Fraud", rating(16, RED), appetite=AppetiteState.BREACH, breach_run=run),
    ]
    text = summary_draft(data(risks))
    assert "CRR2 Fraud (newly outside appetite: it was not at the end of June 2026)" in text, text
    breaches = next(line for line in text.split("\n\n") if "outside appetite:" in line)
    depth = 0
    for character in breaches:
        depth += {"(": 1, ")": -1}.get(character, 0)
        assert depth <= 1, breaches


def test_no_breach_is_said_so():
    text = summary_draft(data([risk(1, "R1", "t", rating(2, GREEN))]))
    assert "No risk is outside appetite." in text


def test_risks_that_moved_new_and_emerging():
    up = risk(1, "R1", "Cyber attack", rating(20, RED))
    down = risk(2, "R2", "Fraud", rating(4, GREEN))
    level = risk(3, "R3", "Estates", rating(9, AMBER))
    emerging = risk(4, "R4", "AI misuse", emerging=True)
    movement = Movement(since=MOMENT, until=MOMENT)
    movement.rating_changes = [
        RatingChange(info(up), MOMENT, None, rating(9, AMBER), rating(20, RED), Trend.UP, ""),
        RatingChange(info(down), MOMENT, None, rating(9, AMBER), rating(4, GREEN), Trend.DOWN, ""),
        RatingChange(
            info(level), MOMENT, None, rating(9, AMBER), rating(9, AMBER), Trend.LEVEL, ""
        ),
        # a risk no longer in the pack (another register, closed) is not the pack's
        RatingChange(
            RiskInfo(id=99, ref="X9", title="Elsewhere", register=None, marking=""),
            MOMENT,
            None,
            None,
            rating(9, AMBER),
            Trend.UP,
            "",
        ),
    ]
    movement.added = [RiskEvent(risk=info(emerging), when=MOMENT, by=None)]
    text = summary_draft(data([up, down, level, emerging], movement))
    assert (
        "Moved since 30 June 2026: R1 Cyber attack up from 9 (Amber) to 20 (Red); "
        "R2 Fraud down from 9 (Amber) to 4 (Green)."
    ) in text
    assert "R3" not in text.split("Moved")[1].split("\n")[0] and "X9" not in text
    assert "New since 30 June 2026: R4 AI misuse." in text
    assert "Emerging risks: R4 AI misuse." in text


def test_nothing_moved_and_long_lists_are_cut():
    risks = [
        risk(i, f"R{i}", "Breach", rating(20, RED), appetite=AppetiteState.BREACH)
        for i in range(MAX_LISTED + 3)
    ]
    text = summary_draft(data(risks))
    assert "No risk's rating moved since 30 June 2026." in text
    assert "; and 3 more." in text


def test_an_empty_pack():
    assert summary_draft(data([])) == (
        "No open risks on Corporate risk register as at 30 September 2026."
    )
