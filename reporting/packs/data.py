"""Everything a pack shows, built "as at" the end of a day (in the organisation's timezone) from
history, so a pack rebuilt later for the same date shows the same thing.

Risks, controls, actions, leads, objectives and appetite statements are read from their history
tables as they stood at that moment; the scheme versions named by each record rate them. Nothing
here depends on "now" except the review health of the committee pack, which is counted for the
as-at day.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from copy import copy
from dataclasses import dataclass, field

from django.db.models.functions import Length

from appetite.rules import AppetiteState
from registers.calendar import (
    end_of_day,
    last_committee_date,
    organisation_zone,
    previous_quarter_end,
)
from registers.models import (
    Action,
    ActionStatus,
    Control,
    Marking,
    Objective,
    Organisation,
    Progress,
    Register,
    Risk,
    RiskStatus,
)
from registers.permissions import sensitive_risk_ids
from registers.selectors import (
    OPEN_STATUSES,
    Trend,
    heat_map,
    register_tree,
    review_standing,
    risk_snapshots,
    risks_as_of,
    top_registers,
    trend_between,
    with_appetite_as_of,
)
from registers.selectors.acceptance import acceptances_as_of
from registers.selectors.assurance import with_assurance
from registers.selectors.rescoring import older_rating_versions
from registers.selectors.sign_off import AWAITING_MARKER, awaiting_sign_off
from reporting.movement import movement_between, movement_on_registers, movement_withheld
from reporting.review_health import Health, RegisterHealth
from scoring.engine import RatingError, rate

from .changes import add_changes, add_records_begin
from .charts import add_charts
from .indicators import add_indicators
from .layout import heat_map_refs, layout_apply
from .updates import add_period_words

QUARTERLY, COMMITTEE = "quarterly", "committee"
FULL, PUBLIC = "full", "public"
TITLES = {QUARTERLY: "Quarterly risk report", COMMITTEE: "Bi-annual committee risk report"}
RANK_STATES = {
    0: AppetiteState.NOT_SET,
    1: AppetiteState.WITHIN,
    2: AppetiteState.WARNING,
    3: AppetiteState.BREACH,
}
AWAITING_SIGN_OFF = AWAITING_MARKER[:1].lower() + AWAITING_MARKER[1:]  # "update awaiting ..."
WITHHELD_NOTE = "OFFICIAL-SENSITIVE detail withheld from the public edition."


class PackDataError(ValueError):
    """The pack cannot be built for this input (a readable reason)."""


@dataclass
class PackRisk:
    record: object  # a HistoricalRisk as it stood at the moment
    current: object | None
    target: object | None
    inherent: object | None
    trend: Trend
    appetite: AppetiteState
    tolerance: int | None
    warning: int | None
    withheld: bool
    marked: bool = False  # OFFICIAL-SENSITIVE today (or at the moment)
    leads: list = field(default_factory=list)
    objectives: list = field(default_factory=list)
    controls: list = field(default_factory=list)
    actions: list = field(default_factory=list)
    judgement_since: dt.date | None = None  # when the recorded progress was last set
    older_version: bool = False  # rated under an older scheme version than the pack's others
    changes: object | None = None  # RiskChanges since the last report (packs/changes.py)
    breach_run: object | None = None  # QuarterRun when in breach: .breach_text, .quarters, .since
    period_update: object | None = None  # updates.PeriodUpdate: latest owner's update in period
    # An update of the risk awaited sign-off at the pack's moment: its rating is the last signed
    # off (issue 17).
    awaiting_sign_off: bool = False
    # The acceptance of its breach in force at the pack's moment (issue 17), else None.
    acceptance: object | None = None
    page_reasons: list = field(default_factory=list)  # why a full page (packs/layout.py)
    quarters: list = field(default_factory=list)  # ratings at the last quarter ends (option)
    chart: object | None = None  # charts.Chart over eight quarters, on its full page (charts.py)
    chart_lines: tuple = ()  # its numbers by line, in the fact box beside it (charts.py)

    @property
    def judgement(self) -> str:
        """The road-to-target judgement the organisation recorded (the Met's On track, Limited,
        Slipped, No progress), or "" when none is recorded."""
        value = self.record.progress
        return Progress(value).label if value in Progress.values and value else ""

    @property
    def ref(self) -> str:
        return self.record.ref

    @property
    def sensitive(self) -> bool:
        return self.marked or self.record.marking == Marking.OFFICIAL_SENSITIVE

    @property
    def owner_name(self) -> str:
        return _name(self.record.owner) if self.record.owner_id else "Not assigned"

    @property
    def lead_names(self) -> str:
        return ", ".join(_name(user) for user in self.leads)

    @property
    def at_target(self) -> bool:
        """At or below target by position: likelihood and impact each at or below the target's.
        Two positions in the same band (the Met's H v M and M v M) are not the same position."""
        if self.current is None or self.target is None:
            return False
        return (
            self.current.likelihood.value <= self.target.likelihood.value
            and self.current.impact.value <= self.target.impact.value
        )

    @property
    def progress_to_target(self) -> str:
        """The computed comparison of the current position with the target."""
        if self.current is None or self.target is None:
            return "No target set" if self.current is not None else "Not rated"
        if self.at_target:
            return "At or below target"
        gap = self.current.score - self.target.score
        scheme = self.record.scheme_version.parsed
        if gap <= 0 or scheme.method != "product":
            return f"Not at target ({_position(self.current)} now, target {_position(self.target)})"
        if self.inherent is not None and self.inherent.score > self.target.score:
            done = self.inherent.score - self.current.score
            whole = self.inherent.score - self.target.score
            percent = max(0, round(100 * done / whole))
            return f"{percent}% of the way from inherent to target ({gap} to go)"
        return f"{gap} point{'s' if gap != 1 else ''} above target"

    @property
    def in_breach_or_warning(self) -> bool:
        return self.appetite in (AppetiteState.BREACH, AppetiteState.WARNING)

    @property
    def accepted_short(self) -> str:
        """ "accepted until 31 March 2027" (a summary line), else ""."""
        until = self.acceptance.expires_on if self.acceptance is not None else None
        return f"accepted until {until.day} {until:%B %Y}" if until else ""

    @property
    def accepted_text(self) -> str:
        """ "accepted until 31 March 2027 by Ann Jones: the reason" for a breach accepted at the
        pack's moment (the reason left out of a withheld risk), else ""."""
        acceptance = self.acceptance
        if acceptance is None:
            return ""
        until = acceptance.expires_on
        text = f"accepted until {until.day} {until:%B %Y}"
        if acceptance.accepted_by_id:
            text += f" by {_name(acceptance.accepted_by)}"
        return text if self.withheld else f"{text}: {acceptance.reason}"


@dataclass
class OverdueAction:
    risk: PackRisk
    action: object
    days: int


@dataclass
class PackData:
    organisation: Organisation
    kind: str
    edition: str
    as_of: dt.date
    moment: dt.datetime
    title: str
    registers: list[Register]
    risks: list[PackRisk]
    heat_maps: list = field(default_factory=list)
    alignment: list = field(default_factory=list)  # [(objective, [PackRisk])]
    unaligned: list = field(default_factory=list)
    movement: object | None = None
    since_label: str = ""
    details: list[PackRisk] = field(default_factory=list)
    overdue_actions: list[OverdueAction] = field(default_factory=list)
    health: list = field(default_factory=list)
    flagged_refs: set = field(default_factory=set)
    significant: list = field(default_factory=list)  # committee: rating changes on top register
    uses_horizons: bool = False
    version_legend: str = ""  # what the mark on ratings under an older version means
    # What changed since the last report, breach durations, deep-dive candidates (changes.py).
    changes: object | None = None  # registers.selectors.ChangeSet (.new, .closed, .changed)
    changes_legend: str = ""
    breach_runs: dict = field(default_factory=dict)  # risk id -> QuarterRun (risks in breach)
    deep_dive_quarters: int = 0  # Organisation.deep_dive_quarters
    deep_dive_candidates: frozenset = frozenset()  # ids: red at more than that many quarters
    deep_dive_rows: list = field(default_factory=list)  # [(PackRisk, QuarterRun)], longest first
    # The committee pack's open risks by band and in breach per quarter end (charts.py).
    exposure_charts: tuple = ()
    exposure_note: str = ""
    exposure_lead_in: str = ""  # what the exposure counts: the pack's registers by name
    # When the pack's period starts before the first record on its registers (decision 143):
    # the day records begin, the sentence saying so, and the risks there that day (taken out of
    # the movement's "added": they were first recorded, not added in the period).
    records_begin_at: dt.datetime | None = None
    before_records: bool = False
    records_note: str = ""
    first_recorded: list = field(default_factory=list)  # [movement.RiskEvent]
    exposure_left_out: str = ""  # why the exposure charts are not there (too few quarter ends)
    owners_without_update: list = field(default_factory=list)  # [updates.OwnerWithoutUpdate]
    updated_risks: list[PackRisk] = field(
        default_factory=list
    )  # risks with an update in the period
    emerging: list[PackRisk] = field(default_factory=list)  # risks flagged emerging
    summary_groups: list = field(default_factory=list)  # the summary's tables (packs/layout.py)
    quarter_ends: list = field(default_factory=list)  # three-quarter trend columns (option)

    @property
    def health_awaiting(self) -> bool:
        """Some register's review health counts updates awaiting sign-off: the pack shows that
        column (an organisation that never signs off reads no column of noughts)."""
        return any(row.health.awaiting_sign_off for row in self.health)

    @property
    def health_not_scheduled(self) -> bool:
        """Some register has open risks with no review date as at the pack's day: the pack
        shows that column, so each row adds up to its open risks (decision 142)."""
        return any(row.health.not_scheduled for row in self.health)

    @property
    def health_caption(self) -> str:
        """The review health table's caption, the PDF's and the Word edition's: what adds up
        to the open risks and what the per cent on time is of."""
        day = self.as_of.strftime("%-d %B %Y")
        without = ", without a review date" if self.health_not_scheduled else ""
        awaiting = self.health_awaiting
        among = (
            "those due soon and those awaiting sign-off are" if awaiting else "those due soon are"
        )
        return (
            f"Reviews of open risks, as at {day}. Each register's open risks are overdue"
            f"{without} or on time (due that day or later"
            + (", or with an update awaiting sign-off" if awaiting else "")
            + f"): the {'three' if without else 'two'} add up to its open risks. “On time” is "
            f"how many, with their per cent of the open risks; {among} among them"
            + (
                " (an update awaiting sign-off has been reviewed and is counted on time, "
                "not overdue)"
                if awaiting
                else ""
            )
            + "."
        )

    @property
    def records_begin(self) -> dt.date | None:
        """The day records begin on the pack's registers, where the pack is dated."""
        first = self.records_begin_at
        return first.astimezone(self.moment.tzinfo).date() if first is not None else None

    @property
    def compared_with(self) -> str:
        """The cover's "Compared with" (decision 143: no position before records begin)."""
        if not self.before_records:
            return f"the position at {self.since_label}"
        if self.records_begin is None:
            return f"nothing earlier: nothing is recorded on riskreg by {self.as_of:%-d %B %Y}"
        return f"nothing earlier: records on riskreg begin on {self.records_begin:%-d %B %Y}"

    @property
    def movement_caption(self) -> str:
        """The movement's table of risks added, closed or reopened (and first recorded)."""
        if self.first_recorded:
            return "Risks first recorded, added, closed or reopened"
        return "Risks added, closed or reopened"

    @property
    def public(self) -> bool:
        return self.edition == PUBLIC

    @property
    def register(self) -> Register | None:
        return self.registers[0] if self.registers else None

    @property
    def register_names(self) -> str:
        """ "Corporate risk register", or "Board assurance framework and Corporate risk register"."""
        names = [register.name for register in self.registers]
        if len(names) < 2:
            return names[0] if names else "No register"
        return f"{', '.join(names[:-1])} and {names[-1]}"

    @property
    def register_ids(self) -> frozenset[int]:
        """The ids of the registers the pack covers: the one selection every section reads
        (summary, heat maps, movement, what changed, exposure, review health, breaches, deep
        dives, indicators, overdue actions, updates), so no section counts or names a risk of
        a register the pack does not cover (decision 124)."""
        return frozenset(register.id for register in self.registers)

    @property
    def uses_appetite(self) -> bool:
        """Whether any risk of the pack has an appetite threshold: without one, breach and
        warning counts and a column of "No threshold" say nothing."""
        return any(risk.tolerance is not None for risk in self.risks)

    @property
    def records_judgements(self) -> bool:
        return any(risk.judgement for risk in self.risks)

    @property
    def withheld_count(self) -> int:
        return sum(1 for risk in self.risks if risk.withheld)

    @property
    def marking(self) -> str:
        if self.edition == FULL and any(risk.sensitive for risk in self.risks):
            return Marking.OFFICIAL_SENSITIVE.label
        return Marking.OFFICIAL.label

    @property
    def panel_name(self) -> str:
        return self.organisation.panel_name or "Audit panel"

    @property
    def css_header(self) -> str:
        """Organisation and title as a CSS string body for the running header (not HTML)."""
        return css_string(f"{self.organisation.name} · {self.title}")

    @property
    def has_target_map(self) -> bool:
        return any(m.position == "target" for m in self.heat_maps)

    @property
    def breaches(self) -> list[PackRisk]:
        return [risk for risk in self.risks if risk.appetite == AppetiteState.BREACH]

    @property
    def accepted_breaches(self) -> list[PackRisk]:
        """Breaches accepted at the pack's moment (issue 17): still breaches, explained."""
        return [risk for risk in self.breaches if risk.acceptance is not None]

    @property
    def warnings(self) -> list[PackRisk]:
        return [risk for risk in self.risks if risk.appetite == AppetiteState.WARNING]

    @property
    def band_summary(self) -> list[tuple[str, str, int]]:
        counts = Counter()
        colours = {}
        for risk in self.risks:
            if risk.current is not None:
                counts[risk.current.band.name] += 1
                colours[risk.current.band.name] = (risk.current.colour, risk.current.band)
        ordered = sorted(counts, key=lambda name: -getattr(colours[name][1], "position", 0))
        return [(name, colours[name][0], counts[name]) for name in ordered]


def css_string(text: str) -> str:
    """Escape text for a double-quoted CSS string inside <style> (no HTML escaping applies)."""
    out = []
    for char in text:
        if char in '\\"<>&' or ord(char) < 32:
            out.append(f"\\{ord(char):X} ")
        else:
            out.append(char)
    return "".join(out)


def _position(rating) -> str:
    """A position as likelihood and impact: "H v M" in letters, else "likelihood 2, impact 4"."""
    if " v " in rating.display:
        return rating.display
    return f"likelihood {rating.likelihood.value}, impact {rating.impact.value}"


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.email


def _rating(scheme, likelihood, impact):
    if scheme is None or likelihood is None or impact is None:
        return None
    try:
        return rate(scheme, likelihood, impact)
    except RatingError:
        return None


def _as_of_by_risk(model, risk_ids, moment):
    grouped = defaultdict(list)
    if not risk_ids:
        return grouped
    records = (
        model.history.filter(history_date__lte=moment, risk_id__in=risk_ids)
        .latest_of_each()
        .exclude(history_type="-")
        .select_related("owner")
        .order_by("position", "id")
    )
    for record in records:
        grouped[record.risk_id].append(record)
    return grouped


def _m2m_as_of(records, name: str) -> dict[int, list]:
    """The leads or objectives each historical record carried (simple-history m2m), by risk
    id: one query for all the records (it was one a record: 400 for 200 risks)."""
    result = {record.id: [] for record in records}
    if not records:
        return result
    target = "user" if name == "leads" else "objective"
    through = getattr(records[0], name).model  # HistoricalRisk_leads, ..._objectives
    rows = (
        through.objects.filter(history_id__in=[record.history_id for record in records])
        .select_related(target)
        .order_by("m2m_history_id")
    )
    by_history = {record.history_id: record.id for record in records}
    for row in rows:
        result[by_history[row.history_id]].append(getattr(row, target))
    return result


def parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise PackDataError(f"{text!r} is not a date: use YYYY-MM-DD, e.g. 2026-03-31") from None


def pack_data(
    *,
    organisation: Organisation,
    kind: str,
    as_of: dt.date,
    edition: str = FULL,
    registers: list[Register] | None = None,
    deep_dive_ids=(),
    three_quarters: bool = False,
) -> PackData:
    """The pack's content; it covers ``registers`` (the organisation's own, as chosen when the
    pack was requested), by default those the organisation chose for its packs, else its
    top-level registers. A register archived by the end of ``as_of`` is left out: a pack as at
    an earlier day still covers it."""
    if kind not in TITLES:
        raise PackDataError(f"Unknown pack kind {kind!r}: use quarterly or committee")
    if edition not in (FULL, PUBLIC):
        raise PackDataError(f"Unknown edition {edition!r}: use full or public")
    zone = organisation_zone(organisation)
    moment = end_of_day(as_of, zone)
    all_registers = list(Register.objects.filter(organisation=organisation).order_by("id"))
    if registers:
        wanted = {register.id for register in registers}
        covered = [register for register in all_registers if register.id in wanted]
        if len(covered) != len(wanted):
            raise PackDataError("A pack covers only registers of its own organisation")
        covered = top_registers(covered) + [r for r in covered if r.parent_id]
    else:
        covered = pack_cover_default(organisation, all_registers, moment)
    covered = [register for register in covered if in_use_at(register, moment)]
    data = PackData(
        organisation=organisation,
        kind=kind,
        edition=edition,
        as_of=as_of,
        moment=moment,
        title=TITLES[kind],
        registers=covered,
        risks=[],
    )
    if not covered:
        layout_apply(data, then={})
        return data
    records = list(
        with_appetite_as_of(
            risks_as_of(organisation=organisation, moment=moment).filter(
                register_id__in=data.register_ids,
                status__in=OPEN_STATUSES,
            ),
            organisation=organisation,
            moment=moment,
        )
        .annotate(awaiting_sign_off=awaiting_sign_off(moment))
        .select_related("owner", "manager", "category", "scheme_version")
        .order_by(Length("ref"), "ref")
    )
    ids = [record.id for record in records]
    if kind == QUARTERLY:
        since = previous_quarter_end(organisation=organisation, moment=moment)
    else:
        since = last_committee_date(organisation=organisation, moment=moment - dt.timedelta(days=1))
        if since is None or since >= moment:
            since = moment - dt.timedelta(days=182)
    data.since_label = since.astimezone(zone).date().strftime("%-d %B %Y")
    then = risk_snapshots(moment=since, risk_ids=ids)
    controls = _as_of_by_risk(Control, ids, moment)
    # Each control's assurance as at the pack's day, its "Assurance lapsed" flag on the Risk
    # Action Plans (registers.selectors.assurance): one query for the whole pack.
    with_assurance(
        [control for group in controls.values() for control in group], today=as_of, moment=moment
    )
    actions = _as_of_by_risk(Action, ids, moment)
    leads = _m2m_as_of(records, "leads")
    judged = _judgements_since(records, moment)
    objectives = _m2m_as_of(records, "objectives")
    # Today's marking decides, always: a pack as at a day before a risk was marked holds text
    # written while it was OFFICIAL, and the public edition must leave that out too.
    marked_now = sensitive_risk_ids(organisation)
    for record in records:
        scheme = record.scheme_version.parsed if record.scheme_version_id else None
        sensitive = record.id in marked_now or record.marking == Marking.OFFICIAL_SENSITIVE
        withheld = edition == PUBLIC and sensitive
        data.risks.append(
            PackRisk(
                record=record,
                current=_rating(scheme, record.current_likelihood, record.current_impact),
                target=_rating(scheme, record.target_likelihood, record.target_impact),
                inherent=_rating(scheme, record.inherent_likelihood, record.inherent_impact),
                trend=trend_between(then.get(record.id), record),
                appetite=RANK_STATES.get(record.appetite_rank, AppetiteState.NOT_SET),
                tolerance=record.appetite_tolerance,
                warning=record.appetite_warning,
                withheld=withheld,
                marked=sensitive,
                leads=leads.get(record.history_id, leads.get(record.id, [])),
                objectives=objectives.get(record.id, []),
                controls=[] if withheld else controls.get(record.id, []),
                actions=[] if withheld else actions.get(record.id, []),
                judgement_since=judged.get(record.id),
                awaiting_sign_off=record.awaiting_sign_off,
            )
        )
    _add_acceptances(data)
    data.uses_horizons = any(risk.record.horizon for risk in data.risks)
    older, data.version_legend = older_rating_versions(
        r.record.scheme_version_id for r in data.risks
    )
    for risk in data.risks:
        risk.older_version = risk.record.scheme_version_id in older
    add_period_words(data, since=since)  # updates.py: period_update, owners, emerging
    data.heat_maps = _heat_maps(data)
    data.movement = movement_on_registers(
        movement_between(organisation=organisation, since=since, until=moment),
        register_ids=data.register_ids,
    )
    if edition == PUBLIC:
        data.movement = movement_withheld(data.movement, risk_ids=marked_now)
    add_records_begin(data, since=since)  # changes.py: a period before the first record
    data.flagged_refs = {move.risk.ref for move in data.movement.flagged}
    overdue = _overdue(data.risks, as_of)  # marks each action for the detail pages of both kinds
    if kind == QUARTERLY:
        data.alignment, data.unaligned = _alignment(organisation, data.risks)
        data.overdue_actions = overdue
    else:
        top_ids = {risk.record.id for risk in data.risks}
        data.significant = [
            change
            for change in data.movement.rating_changes
            if change.risk.id in top_ids and change.direction in (Trend.UP, Trend.DOWN)
        ]
        data.health = _health_as_of(organisation, _as_tree(data.registers), moment, as_of)
    add_changes(data, since=since)  # changes.py: changes, breach_runs, deep-dive candidates
    # Who gets a full page, the order, the summary's tables and the options (packs/layout.py).
    layout_apply(data, then=then, chosen_ids=deep_dive_ids, three_quarters=three_quarters)
    add_charts(data)  # charts.py: over eight quarters, for the full pages and the committee
    add_indicators(data)  # indicators.py: key risk indicators as at the day, one query
    return data


def _add_acceptances(data: PackData) -> None:
    """Each breach's acceptance in force at the pack's moment (given by then, not ended by then,
    running to the pack's day or later) that covers the score the risk had then: one query."""
    breaches = {
        risk.record.id: risk for risk in data.risks if risk.appetite == AppetiteState.BREACH
    }
    if not breaches:
        return
    found = acceptances_as_of(
        organisation=data.organisation, risk_ids=breaches, moment=data.moment, day=data.as_of
    )
    for risk_id, acceptance in found.items():
        score = breaches[risk_id].record.current_score
        if score is not None and score <= (acceptance.accepted_score or 0):
            breaches[risk_id].acceptance = acceptance


def in_use_at(register: Register, moment: dt.datetime) -> bool:
    """Whether ``register`` was not yet archived at ``moment`` (packs as at a day before it was
    archived still cover it)."""
    return register.archived_at is None or register.archived_at > moment


def pack_cover_default(organisation: Organisation, registers, moment) -> list[Register]:
    """The registers the organisation chose for its packs (those in use at ``moment``), else
    its top-level registers (then in use)."""
    chosen_ids = set(organisation.pack_registers.values_list("id", flat=True))
    chosen = [r for r in registers if r.id in chosen_ids and in_use_at(r, moment)]
    if chosen:
        return top_registers(chosen) + [r for r in chosen if r.parent_id]
    return top_registers([r for r in registers if in_use_at(r, moment)])


def _judgements_since(records, moment) -> dict[int, dt.date]:
    """For each risk with a recorded progress judgement, the day (in the organisation's zone)
    it was last set to the value it holds at ``moment``: the start of the latest run of that
    value in its history. One query."""
    judged = {record.id: record.progress for record in records if record.progress}
    if not judged:
        return {}
    zone = moment.tzinfo
    rows = (
        Risk.history.filter(id__in=list(judged), history_date__lte=moment)
        .order_by("id", "history_date", "history_id")
        .values_list("id", "progress", "history_date")
    )
    since: dict[int, dt.date] = {}
    previous: dict[int, str] = {}
    for risk_id, progress, when in rows:
        if progress != previous.get(risk_id):
            since[risk_id] = when.astimezone(zone).date()
            previous[risk_id] = progress
    return {
        risk_id: day for risk_id, day in since.items() if previous.get(risk_id) == judged[risk_id]
    }


def _health_as_of(organisation, registers, moment, day: dt.date) -> list[RegisterHealth]:
    """Review health per register from the risks as they stood at ``moment``, by the pages'
    rule (``review_standing``): an update then awaiting sign-off is on time, counted apart."""
    counts: dict[int, Counter] = defaultdict(Counter)
    states = review_standing.with_review_standing(
        risks_as_of(organisation=organisation, moment=moment).filter(status__in=OPEN_STATUSES),
        moment,
    )
    for register_id, due, waiting in states.values_list(
        "register_id", "next_review_due", "awaiting_sign_off"
    ):
        row = counts[register_id]
        row["open"] += 1
        standing = review_standing.standing_of(due=due, awaiting_sign_off=waiting, today=day)
        # Health's overdue, due_soon, not_scheduled and awaiting_sign_off by name; its on_time
        # holds the due soon and the awaiting too.
        if standing != review_standing.ON_TIME:
            row[standing] += 1
        if standing not in (review_standing.OVERDUE, review_standing.NOT_SCHEDULED):
            row["on_time"] += 1
    return [
        RegisterHealth(register=register, depth=depth, health=Health(**counts.get(register.id, {})))
        for register, depth in register_tree(registers)
    ]


def _as_tree(registers: list[Register]) -> list[Register]:
    """The pack's registers as a tree of their own: one whose parent the pack does not cover
    heads its own branch (a copy with no parent), so ``register_tree`` lists it."""
    ids = {register.id for register in registers}
    rooted = []
    for register in registers:
        if register.parent_id is not None and register.parent_id not in ids:
            register = copy(register)
            register.parent_id = None
        rooted.append(register)
    return rooted


def _heat_maps(data: PackData) -> list:
    schemes = Counter(risk.record.scheme_version_id for risk in data.risks if risk.current)
    if not schemes:
        return []
    version_id = schemes.most_common(1)[0][0]
    scheme = next(
        risk.record.scheme_version.parsed
        for risk in data.risks
        if risk.record.scheme_version_id == version_id
    )
    horizons = [""]
    if data.uses_horizons:
        horizons = sorted({risk.record.horizon for risk in data.risks if risk.record.horizon})
    maps = []
    for horizon in horizons:
        chosen = [
            r
            for r in data.risks
            if (not horizon or r.record.horizon == horizon)
            and not (r.record.emerging and r.current is None)  # listed on their own instead
        ]
        suffix = f" ({horizon.replace('_', ' ')} term)" if horizon else ""
        for position in ("current", "target"):
            counts = Counter(
                (
                    getattr(r.record, f"{position}_likelihood"),
                    getattr(r.record, f"{position}_impact"),
                )
                for r in chosen
                if r.record.scheme_version_id == version_id
            )
            if position == "target" and not any(pair[0] is not None for pair in counts):
                continue  # no risk has a target rating: a map of zeros says nothing
            maps.append(
                heat_map(
                    scheme,
                    dict(counts),
                    position=position,
                    horizon=horizon,
                    title=f"{position.title()} position{suffix}",
                    key=f"pack-{position}-{horizon or 'all'}",
                    refs=heat_map_refs(
                        chosen, position=position, horizon=horizon, version_id=version_id
                    ),
                )
            )
    return maps


def _alignment(organisation, risks):
    found = {obj.id: obj for risk in risks for obj in risk.objectives if obj is not None}
    ordered = list(Objective.objects.filter(organisation=organisation).order_by("position", "code"))
    ordered += [obj for obj in found.values() if obj not in ordered]
    rows = []
    for objective in ordered:
        linked = [risk for risk in risks if any(o.id == objective.id for o in risk.objectives)]
        rows.append((objective, linked))
    unaligned = [risk for risk in risks if not risk.objectives]
    return rows, unaligned


def _overdue(risks: list[PackRisk], day: dt.date) -> list[OverdueAction]:
    """The overdue actions as at ``day``, longest overdue first; each action is also marked
    ``is_overdue`` for the Risk Action Plan pages."""
    result = []
    for risk in risks:
        for action in risk.actions:
            done = action.status in (ActionStatus.COMPLETED, ActionStatus.CANCELLED)
            action.is_overdue = bool(action.due_date and action.due_date < day and not done)
            if action.is_overdue:
                result.append(OverdueAction(risk, action, (day - action.due_date).days))
    return sorted(result, key=lambda item: (-item.days, item.risk.ref))


__all__ = ["RiskStatus", "PackData", "PackDataError", "pack_data", "parse_day"]
