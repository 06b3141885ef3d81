"""What changed since the last report, how long each breach has lasted, and the deep-dive
candidates, added to a pack's data (issue 16).

Everything is read from history by the registers' selectors (``registers.selectors.changes`` and
``quarter_runs``), as at the pack's moment and compared with the pack's own comparison date (the
previous quarter end, or the last committee date), so a rebuilt pack highlights the same things.

What it sets on ``PackData`` (other pack pieces may read these):
- ``changes``: a ``ChangeSet`` of the pack's risks and those closed since (``.new``, ``.closed``,
  ``.changed``, ``.get(risk_id)``); each ``PackRisk.changes`` is its ``RiskChanges`` or None.
- ``breach_runs``: {risk id: ``QuarterRun``} for each risk in breach; ``PackRisk.breach_run`` the
  same; ``run.breach_text`` is "outside appetite since March 2026, 3 quarters", ``run.quarters``
  and ``run.since`` (a date) the figures.
- ``deep_dive_candidates``: a frozenset of the ids of the risks red (their scheme's top band)
  at more than ``Organisation.deep_dive_quarters`` consecutive quarter ends (the layout gives
  them full pages); ``deep_dive_rows`` the same as (PackRisk, QuarterRun) pairs, longest run
  first, for the pack's list.
In the public edition the changed text of OFFICIAL-SENSITIVE risks is withheld.
"""

from __future__ import annotations

import datetime as dt

from appetite.rules import AppetiteState
from registers.models import RiskStatus
from registers.permissions import sensitive_risk_ids
from registers.selectors import quarter_standing, risk_changes, risks_as_of
from registers.selectors.records_begin import records_begin

CHANGES_LEGEND = (
    "Changed marks a risk with a field changed since {since}: the new text is printed in bold "
    "and underlined, the previous text follows it after “was”; a risk added since is marked New, "
    "one closed since Closed; a changed rating is shown beside the rating it replaced."
)


# A pack whose period starts before the first record on its registers (decision 143): the
# demo's Met pack as at its paper's day, an adopter's first pack after importing on day one.
RECORDS_BEGIN = "Records on riskreg begin on {day}: there is no earlier position to compare with."
RECORDS_NONE = (
    "Nothing is recorded on riskreg for the {registers} by {day}: there is no earlier position "
    "to compare with."
)
FIRST_RECORDED = (
    "{count} {were} on the register when records began ({day}): counted as first recorded, not "
    "as added since {since}."
)


def add_records_begin(data, *, since: dt.datetime) -> None:
    """When the period starts (``since``, the comparison date) before the first record on the
    pack's registers, say so (``records_note``) and count the risks recorded on the day records
    began as first recorded (``first_recorded``, taken out of the movement's ``added``): there
    is no earlier position, so they were not added in the period. One query."""
    first = records_begin(
        organisation=data.organisation, register_ids=data.register_ids, until=data.moment
    )
    zone = data.moment.tzinfo
    data.records_begin_at = first
    data.before_records = first is None or since < first
    if not data.before_records:
        return
    if first is None:
        data.records_note = RECORDS_NONE.format(
            registers=data.register_names, day=f"{data.as_of:%-d %B %Y}"
        )
        return
    begins = data.records_begin
    day = f"{begins:%-d %B %Y}"
    data.records_note = RECORDS_BEGIN.format(day=day)
    movement = data.movement
    if movement is None:
        return
    began = [
        event
        for event in movement.added
        if event.when is not None and event.when.astimezone(zone).date() == begins
    ]
    if began:
        ids = {event.risk.id for event in began}
        movement.added = [event for event in movement.added if event.risk.id not in ids]
        data.first_recorded = began
        data.records_note += " " + FIRST_RECORDED.format(
            count=len(began),
            were="risk was" if len(began) == 1 else "risks were",
            day=day,
            since=data.since_label,
        )


def add_changes(data, *, since: dt.datetime) -> None:
    """Set what changed, breach runs and deep-dive candidates on ``data`` (a PackData)."""
    organisation = data.organisation
    open_ids = [risk.record.id for risk in data.risks]
    closed_ids = []
    if data.registers:
        closed_ids = list(
            risks_as_of(organisation=organisation, moment=data.moment)
            .filter(
                register_id__in=data.register_ids,
                status=RiskStatus.CLOSED,
                closed_at__gt=since,
            )
            .values_list("id", flat=True)
        )
    withheld = sensitive_risk_ids(organisation) if data.public else frozenset()
    data.changes = risk_changes(
        risk_ids=[*open_ids, *closed_ids],
        since=since,
        until=data.moment,
        withheld_risk_ids=withheld,
    )
    data.changes_legend = CHANGES_LEGEND.format(since=data.since_label)
    # The movement section, printed before this one, lists the risks added, closed and reopened
    # with their register and date: here only those it does not list (ESPO's committee pack
    # listed its new risks twice).
    movement = getattr(data, "movement", None)
    listed = {event.risk.id for event in (*movement.added, *movement.closed)} if movement else set()
    # First recorded when records began (decision 143): listed above, and neither new nor changed.
    began = {event.risk.id for event in data.first_recorded}
    listed |= began
    data.changes_new = [r for r in data.changes.new if r.risk_id not in listed]
    data.changes_closed = [r for r in data.changes.closed if not r.new and r.risk_id not in listed]
    data.changes_listed_above = any(
        r.risk_id in listed for r in (*data.changes.new, *data.changes.closed)
    )
    for risk in data.risks:
        changes = data.changes.get(risk.record.id)
        risk.changes = (
            None if changes is not None and changes.new and changes.risk_id in began else changes
        )

    standing = quarter_standing(organisation=organisation, risk_ids=open_ids, moment=data.moment)
    data.breach_runs = {}
    for risk in data.risks:
        run = standing.breach.get(risk.record.id) if risk.appetite == AppetiteState.BREACH else None
        risk.breach_run = run
        if run is not None:
            data.breach_runs[risk.record.id] = run
    data.deep_dive_quarters = organisation.deep_dive_quarters
    data.deep_dive_candidates = standing.deep_dive_ids(organisation.deep_dive_quarters)
    rows = [
        (risk, standing.red[risk.record.id])
        for risk in data.risks
        if risk.record.id in data.deep_dive_candidates
    ]
    rows.sort(key=lambda pair: -pair[1].quarters)  # stable: the pack's order otherwise
    data.deep_dive_rows = rows
