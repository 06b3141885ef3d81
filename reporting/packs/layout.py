"""The exception-based layout of a pack (issue 16): who gets a full Risk Action Plan page, the
order of the summary, its split by horizon, the refs each heat-map cell holds and the ratings
at the last three quarter ends.

A panel reads the risks that need its attention in full and the rest as one line each. The one
rule of who gets a full page is ``full_page_reasons``; ``layout_apply`` runs it (and the rest)
over a pack's data once the data is read. Pure apart from ``quarter_ratings`` (one query of the
risks' history and, when a rating was made under another scheme version, one of the versions).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from appetite.rules import AppetiteState
from registers.calendar import quarter_ends
from registers.models import Horizon, PackOrder, Risk
from scoring.engine import RatingError, rate
from scoring.models import SchemeVersion

BREACH = "In breach of appetite"
WARNING = "At the appetite warning threshold"
MOVED = "Moved more than one tolerance level"
CHOSEN = "Chosen by the coordinator for a deep dive"
CANDIDATE = "Deep-dive candidate (red for consecutive quarters)"
QUARTERS = 3


def moved_more_than_one_level(risk, then: dict | None, *, flagged_refs=()) -> bool:
    """Whether the risk moved more than one tolerance level since the comparison date:

    - flagged by the organisation's tolerance levels (Aberdeen's score ranges, see
      ``reporting.movement``), or
    - crossed from within tolerance to breach: its score then was at or below today's tolerance
      threshold and is above it now (a threshold that changed does not move a risk), or
    - its current band moved by more than one band, either way (both ratings under the same
      scheme version: a new scheme is not a move).

    A risk new since then, or not rated then or now, has not moved."""
    if risk.ref in flagged_refs:
        return True
    if then is None or risk.current is None or then.get("current_likelihood") is None:
        return False
    then_score = then.get("current_score")
    tolerance = risk.tolerance
    if (
        tolerance is not None
        and then_score is not None
        and then_score <= tolerance < risk.current.score
    ):
        return True
    if then.get("scheme_version_id") != risk.record.scheme_version_id:
        return False
    try:
        before = rate(
            risk.record.scheme_version.parsed, then["current_likelihood"], then["current_impact"]
        )
    except RatingError:
        return False
    return abs(risk.current.band.position - before.band.position) > 1


def full_page_reasons(
    risk, *, then: dict | None = None, flagged_refs=(), chosen_ids=(), candidate_ids=()
) -> list[str]:
    """Why ``risk`` (a PackRisk) gets a full Risk Action Plan page, or [] when one summary line
    is enough: in breach of appetite, at the appetite warning threshold, moved more than one
    tolerance level since the comparison date (``then``: its snapshot then), chosen by the
    coordinator for a deep dive (``chosen_ids``), or a deep-dive candidate (``candidate_ids``:
    red for the organisation's number of quarters). Ids are risk ids."""
    reasons = []
    if risk.appetite == AppetiteState.BREACH:
        reasons.append(BREACH)
    elif risk.appetite == AppetiteState.WARNING:
        reasons.append(WARNING)
    if moved_more_than_one_level(risk, then, flagged_refs=flagged_refs):
        reasons.append(MOVED)
    if risk.record.id in chosen_ids:
        reasons.append(CHOSEN)
    if risk.record.id in candidate_ids:
        reasons.append(CANDIDATE)
    return reasons


def progress_line(risk) -> str:
    """The road to target in a few words, for a risk's one summary line: "At or below
    target", "83% of the way (4 to go)", "3 above target", "No target set"."""
    if risk.current is None or risk.target is None or risk.at_target:
        return risk.progress_to_target
    full = risk.progress_to_target
    if "% of the way" in full:
        return full.replace(" from inherent to target", "")
    if full.endswith("above target"):
        return full.replace(" points", "").replace(" point", "")
    return "Not at target"


NO_UPDATE = "no update"  # a one-line risk whose owner gave no update this period (decision 50)
LINES_KEY = (
    "Current: the rating now and its trend since {since} (↑ higher, → level, ↓ lower){appetite}. "
    "“No update”: its owner gave no update this period."
)
LINES_KEY_APPETITE = "; every risk here is within appetite unless marked otherwise"


def line_marks(risk, *, uses_appetite: bool) -> str:
    """What follows a one-line risk's current rating, in both editions: its trend arrow ("→"),
    or the trend's word where there is no arrow ("new"), and its appetite where it is not within
    ("no threshold"; a risk in breach or at warning has a full page, not a line)."""
    if risk.current is None:
        return ""  # "Not rated" says it
    marks = [risk.trend.arrow or risk.trend.word.lower()]
    if uses_appetite and risk.appetite != AppetiteState.WITHIN:
        marks.append(risk.appetite.label.lower())
    return " · ".join(mark for mark in marks if mark)


def order_risks(risks: list, order: str) -> list:
    """By reference (the order read: short refs first, then alphabetical), or by current score,
    highest first (ESPO), ties and unrated risks by reference."""
    if order != PackOrder.SCORE:
        return list(risks)
    return sorted(risks, key=lambda r: -(r.current.score if r.current is not None else -1))


@dataclass
class SummaryGroup:
    caption: str
    risks: list

    @property
    def full(self) -> list:
        """The group's risks with a full page: a full row each (description, leads)."""
        return [risk for risk in self.risks if risk.page_reasons]

    @property
    def lines(self) -> list:
        """The rest: one line each."""
        return [risk for risk in self.risks if not risk.page_reasons]


def summary_groups(risks: list, *, uses_horizons: bool, caption: str) -> list[SummaryGroup]:
    """One summary table, or, where the organisation uses horizons, one per horizon (short-term,
    then long-term, then risks given none), each in the pack's order."""
    if not uses_horizons:
        return [SummaryGroup(caption, risks)]
    groups = []
    for value, label in ((Horizon.SHORT, "Short-term"), (Horizon.LONG, "Long-term"), ("", "")):
        chosen = [risk for risk in risks if (risk.record.horizon or "") == value]
        if chosen:
            name = f"{label} risks" if label else "Risks with no horizon"
            groups.append(SummaryGroup(f"{name}: {caption[0].lower()}{caption[1:]}", chosen))
    return groups


def heat_map_refs(risks: list, *, position: str, horizon: str, version_id) -> dict:
    """The refs of the risks in each (likelihood, impact) cell of one heat map, in the pack's
    order. Refs are shown in public editions too, as the summary table shows them."""
    cells = defaultdict(list)
    for risk in risks:
        if risk.record.scheme_version_id != version_id:
            continue
        if horizon and risk.record.horizon != horizon:
            continue
        key = (
            getattr(risk.record, f"{position}_likelihood"),
            getattr(risk.record, f"{position}_impact"),
        )
        cells[key].append(risk.ref)
    return dict(cells)


def last_quarter_ends(organisation, moment: dt.datetime, count: int = QUARTERS) -> list:
    """The ends of the last ``count`` quarters of the organisation's calendar before ``moment``,
    oldest first: a pack as at a quarter's end shows that quarter as its current rating and the
    three before beside it (no column twice)."""
    return quarter_ends(organisation=organisation, moment=moment, count=count)


def quarter_ratings(risks: list, ends: list) -> dict[int, list]:
    """Each risk's current rating (or None) at each of ``ends``, from history: one query of the
    risks' history up to the last end (the rows' few fields), and one of scheme versions only
    when a rating was made under a version no risk of the pack uses now."""
    ids = [risk.record.id for risk in risks]
    if not ids or not ends:
        return {}
    rows = (
        Risk.history.filter(id__in=ids, history_date__lte=ends[-1])
        .order_by("id", "history_date", "history_id")
        .values_list(
            "id",
            "history_date",
            "history_type",
            "status",
            "current_likelihood",
            "current_impact",
            "scheme_version_id",
        )
    )
    states: dict[int, list] = {risk_id: [None] * len(ends) for risk_id in ids}
    for risk_id, when, kind, status, likelihood, impact, version in rows:
        state = None if kind == "-" else (status, likelihood, impact, version)
        for index, end in enumerate(ends):
            if when <= end:
                states[risk_id][index] = state
    schemes = {r.record.scheme_version_id: r.record.scheme_version.parsed for r in risks}
    missing = {
        state[3]
        for row in states.values()
        for state in row
        if state is not None and state[3] and state[3] not in schemes
    }
    if missing:
        for version in SchemeVersion.objects.filter(id__in=missing):
            schemes[version.id] = version.parsed
    result = {}
    for risk_id, row in states.items():
        ratings = []
        for state in row:
            rating = None
            if state is not None and state[0] != "closed" and state[1] is not None:
                try:
                    rating = rate(schemes[state[3]], state[1], state[2])
                except (RatingError, KeyError):
                    rating = None
            ratings.append(rating)
        result[risk_id] = ratings
    return result


def pack_options(pack) -> dict:
    """``pack_data``'s layout options as a pack requested them (none without a pack): the
    coordinator's deep-dive risks and, on a quarterly pack, the three-quarter columns."""
    if pack is None or pack.pk is None:
        return {}
    return {
        "deep_dive_ids": set(pack.deep_dive_risks.values_list("id", flat=True)),
        "three_quarters": pack.three_quarters,
    }


CAPTIONS = {
    "quarterly": "Open risks on the register, as at the report date",
    "committee": "Strategic risks, as at the report date",
}


def layout_apply(data, *, then: dict, chosen_ids=(), three_quarters: bool = False) -> None:
    """Lay the pack out: order its risks, mark each with why it gets a full page, set the
    detail pages, the summary groups, the heat maps' refs and (with ``three_quarters``, on a
    quarterly pack) each risk's rating at the last three quarter ends."""
    organisation = data.organisation
    data.risks = order_risks(data.risks, organisation.pack_order)
    candidates = set(getattr(data, "deep_dive_candidates", None) or ())
    chosen = set(chosen_ids or ())
    for risk in data.risks:
        risk.page_reasons = full_page_reasons(
            risk,
            then=then.get(risk.record.id),
            flagged_refs=data.flagged_refs,
            chosen_ids=chosen,
            candidate_ids=candidates,
        )
        if not risk.page_reasons:
            risk.progress_line = progress_line(risk)
            risk.line_marks = line_marks(risk, uses_appetite=data.uses_appetite)
    appetite = LINES_KEY_APPETITE if data.uses_appetite else ""
    data.lines_key = LINES_KEY.format(since=data.since_label, appetite=appetite)
    data.details = [risk for risk in data.risks if risk.page_reasons]
    data.summary_groups = summary_groups(
        data.risks, uses_horizons=data.uses_horizons, caption=CAPTIONS[data.kind]
    )
    if three_quarters and data.kind == "quarterly":
        moments = last_quarter_ends(organisation, data.moment)
        data.quarter_ends = [end.astimezone(data.moment.tzinfo).date() for end in moments]
        ratings = quarter_ratings(data.risks, moments)
        for risk in data.risks:
            risk.quarters = ratings.get(risk.record.id, [None] * len(moments))
