"""Load the five source organisations (``demo/seed_data``) into the database.

Idempotent and non-destructive: what exists (matched by slug, name, code, e-mail or ref) is left as
it is, so a second run changes nothing and never overwrites what a demo user has edited.

History is written as the sources date it, so trends derived from history mean something:

- WMP publishes a trend per quarter of 2021/22 ("N/A", "New", arrows). Each risk is created inside
  the quarter its trend first says "New" (or before Q1 when its first trend is an arrow), with its
  published rating, and no later change is recorded: "N/A New →" becomes "not on the register at
  the end of Q1, created before the end of Q2, unchanged at the end of Q3". An arrow that says the
  rating rose or fell cannot be reproduced without an earlier rating the source does not give: it is
  left out and the risk's source note says so.
- The Met (4 October 2021) and MOPAC (28 March 2022) registers are created on the date of the paper
  that publishes them. The Met's arrows give a direction only, never the earlier rating, so no
  earlier rating is invented: the note says so.
- Aberdeen and ESPO publish no risks: Aberdeen's strategic risks were on the register at its last
  report to the Audit Committee; its school and project risks came onto their registers a
  quarter before their demo review (``ADDED_BEFORE_REVIEW_DAYS``), added by their owners; ESPO's
  enter history when the demo is seeded, and their back history (below) dates them before that. Three of them carry an illustrative re-score since that report (``ILLUSTRATIVE_MOVES``)
  so the "more than one tolerance level" flag has something to show, each said in its note.
- The sources publish no review dates: the demo's last reviews are spread over the past eight
  months, each recorded as a review by the risk's owner (a ``Review`` with ``DEMO_REVIEW_NOTE``)
  on that date, as the product records one.
- ESPO's and Aberdeen's strategic risks (illustrative registers) get eight quarters of
  illustrative back history before their first record: quarterly reviews moving toward the
  position they were seeded with (``demo.back_history``), so the dashboard's exposure and each
  risk's chart have something to show. The papers' registers (the Met, MOPAC, WMP) get none.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import re
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.formats import date_format

from appetite.models import AppetiteLevel, AppetiteStatement
from appetite.services import appetite_levels_install, appetite_statement_set
from demo.back_history import back_history_add
from demo.evidence import evidence_seed
from registers import permissions, selectors
from registers.models import (
    Action,
    Category,
    Control,
    Indicator,
    Marking,
    Membership,
    Objective,
    Organisation,
    Register,
    Review,
    Risk,
    Role,
)
from registers.selectors.exposure import forget_exposure
from registers.services.accounts import sign_in_address_add
from registers.services.indicators import indicator_add, reading_record
from registers.services.reviews import review_record
from registers.services.risks import action_add, control_add, risk_create
from scoring.presets import preset
from scoring.services import scheme_save

SEED_ORGANISATIONS = ("mopac", "met", "wmp", "aberdeen", "espo")
DEMO_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.VIEWER, Role.PANEL)
JOINT_PANEL_EMAIL = "joint.panel@audit.demo"
JOINT_PANEL_ORGANISATIONS = ("mopac", "met")
ORG_FIELDS = (
    "name",
    "short_name",
    "source",
    "panel_name",
    "response_options",
    "quarter_end_months",
    "committee_months",
    "default_review_months",
    "pack_order",
)


# When the published registers stood as transcribed (local dates; London).
PAPER_DATES = {"met": dt.date(2021, 10, 4), "mopac": dt.date(2022, 3, 28)}
# WMP's Q1, Q2, Q3 trending: the quarters of 2021/22 (see demo/seed_data/wmp.py).
PUBLISHED_QUARTERS = {
    "wmp": (
        ("Q1", "Q1 2021/22", dt.date(2021, 6, 30)),
        ("Q2", "Q2 2021/22", dt.date(2021, 9, 30)),
        ("Q3", "Q3 2021/22", dt.date(2021, 12, 31)),
    )
}
# Illustrative current positions at Aberdeen's last report to the Audit Committee: the risk has
# been re-scored since, to the position in demo/seed_data/aberdeen.py. Tolerance levels
# (Table 4): SRR02 12 Averse -> 20 Open and SRR04 20 Open -> 12 Averse move two levels (flagged);
# SRR05 12 Averse -> 18 Moderate moves one (not flagged).
ILLUSTRATIVE_MOVES = {"aberdeen": {"SRR02": (3, 4), "SRR04": (4, 5), "SRR05": (3, 4)}}
ILLUSTRATIVE_HISTORY_REGISTERS = {"aberdeen": ("corporate",)}
# How their notes date them: the day their first record says (_date_illustrative_notes).
ON_REGISTER_SINCE = "Illustrative history: on the register since {day}, "
_ON_REGISTER_SINCE = re.compile(r"Illustrative history: on the register since [^,]+, ")
# Registers whose illustrative risks get eight quarters of illustrative back history
# (demo.back_history): the sources publish no register, so no real position is overwritten.
BACK_HISTORY_REGISTERS = {"espo": ("corporate",), "aberdeen": ("corporate",)}
SEEDED_APPETITE = "seeded from source"
SEED_HOUR = 9  # backdated records are written at 09:00 local time
# Risks of illustrative registers without back history or a paper (Aberdeen's schools and
# projects) come onto the register this long before their demo review.
ADDED_BEFORE_REVIEW_DAYS = 91
DEMO_REVIEW_NOTE = "Review dated by the demo: the source publishes no review dates."
LONDON = ZoneInfo("Europe/London")


def demo_password() -> str:
    """Every demo account shares one password, printed by seed_demo (not a secret: demo data)."""
    return os.environ.get("RISKREG_DEMO_PASSWORD", "riskreg-demo-2026")


# What each printed login may read of an OFFICIAL-SENSITIVE risk (``login_clearance``).
CLEARED = "cleared for OFFICIAL-SENSITIVE"
NOT_CLEARED = "not cleared for OFFICIAL-SENSITIVE"
NOT_CLEARED_OWNER = "not cleared for OFFICIAL-SENSITIVE (reads the risks they own or manage)"


@dataclass
class SeedReport:
    organisations_created: list[str] = field(default_factory=list)
    risks_created: int = 0
    # (organisation, role, email, clearance)
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)


def login_clearance(*memberships: Membership) -> str:
    """Whether a demo login reads OFFICIAL-SENSITIVE detail, by the one rule
    (``OrganisationAccess.is_cleared``), as the database has it now: an admin may have cleared
    a demo viewer since the first run. A login with several memberships (the joint panel) says
    so per organisation where they differ."""
    said = {
        membership.organisation.slug: _clearance_words(membership) for membership in memberships
    }
    if len(set(said.values())) == 1:
        return next(iter(said.values()))
    return "; ".join(f"{slug}: {words}" for slug, words in said.items())


def sensitive_demo_risks() -> list[str]:
    """What seed_demo prints under the logins: the seeded organisations' risks marked
    OFFICIAL-SENSITIVE now (the Met's risk 3 as seeded; a demo user may mark or unmark others),
    and what a login not cleared sees of them."""
    marked = (
        Risk.objects.filter(
            organisation__slug__in=SEED_ORGANISATIONS, marking=Marking.OFFICIAL_SENSITIVE
        )
        .select_related("organisation")
        .order_by("organisation__slug", "id")
    )
    names = [f"{risk.organisation.slug} {risk.ref} ({risk.title})" for risk in marked]
    if not names:
        return []
    return [
        f"\nMarked OFFICIAL-SENSITIVE: {', '.join(names)}. A login not cleared sees only its ref, "
        "title and rating, and only the public edition of packs; admins, coordinators and the "
        "risk's owner and manager read it all."
    ]


def _clearance_words(membership: Membership) -> str:
    if permissions.OrganisationAccess(membership.organisation, membership).is_cleared:
        return CLEARED
    return NOT_CLEARED_OWNER if membership.role == Role.OWNER else NOT_CLEARED


def source_day(organisation: Organisation) -> dt.date:
    """The day a seeded organisation's registers stand as its source published them (the demo's
    packs are as at it): the paper's date (the Met, MOPAC), the end of the last published quarter
    (WMP), else the day the demo was seeded: Aberdeen's and ESPO's sources publish no risks, so
    their illustrative registers stand as seeded."""
    if organisation.slug in PAPER_DATES:
        return PAPER_DATES[organisation.slug]
    if organisation.slug in PUBLISHED_QUARTERS:
        return PUBLISHED_QUARTERS[organisation.slug][-1][2]
    return timezone.localdate(
        organisation.created_at, timezone=selectors.organisation_zone(organisation)
    )


def seed_data(slug: str) -> dict:
    return importlib.import_module(f"demo.seed_data.{slug}").ORGANISATION


def seed_demo(
    *, slugs: tuple[str, ...] = SEED_ORGANISATIONS, today: dt.date | None = None
) -> SeedReport:
    report = SeedReport()
    password_hash = make_password(demo_password())  # hashed once: dozens of demo users
    today = today or timezone.localdate()
    for slug in slugs:
        _seed_organisation(seed_data(slug), report=report, password_hash=password_hash, today=today)
    with transaction.atomic():
        user = _demo_user(
            JOINT_PANEL_EMAIL,
            "Joint Audit Panel member (demo)",
            "Independent member, MPS-MOPAC Joint Audit Panel",
            password_hash,
        )
        joint = []
        for slug in JOINT_PANEL_ORGANISATIONS:
            organisation = Organisation.objects.filter(slug=slug).first()
            if organisation is not None:
                membership, _ = Membership.objects.get_or_create(
                    user=user, organisation=organisation, defaults={"role": Role.PANEL}
                )
                joint.append(membership)
        if joint:
            clearance = login_clearance(*joint)
            report.logins.append(("mopac + met", "panel (joint)", JOINT_PANEL_EMAIL, clearance))
    return report


@transaction.atomic
def _seed_organisation(
    data: dict, *, report: SeedReport, password_hash: str, today: dt.date
) -> None:
    slug = data["slug"]
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        organisation = Organisation(
            slug=slug, **{key: data[key] for key in ORG_FIELDS if key in data}
        )
        organisation.full_clean()
        organisation.save()
        report.organisations_created.append(slug)
    definition = preset(data["scheme"])
    scheme = scheme_save(
        organisation=organisation, definition=definition, name=definition.name, make_default=True
    ).scheme
    appetite_levels_install(
        organisation=organisation, preset=data.get("appetite_levels", "orange_book")
    )

    categories = {}
    for position, spec in enumerate(data.get("categories", []), start=1):
        categories[spec["name"]], _ = Category.objects.get_or_create(
            organisation=organisation,
            name=spec["name"],
            defaults={"description": spec.get("description", ""), "position": position},
        )
    objectives = {}
    for position, spec in enumerate(data.get("objectives", []), start=1):
        objectives[spec["code"]], _ = Objective.objects.get_or_create(
            organisation=organisation,
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "description": spec.get("description", ""),
                "position": position,
            },
        )
    levels = {
        level.name: level for level in AppetiteLevel.objects.filter(organisation=organisation)
    }
    seeded_statements = []
    for spec in data.get("appetite_statements", []):
        category = categories[spec["category"]] if spec.get("category") else None
        if not AppetiteStatement.objects.filter(
            organisation=organisation, category=category
        ).exists():
            statement = appetite_statement_set(
                organisation=organisation,
                category=category,
                level=levels.get(spec.get("level")),
                tolerance=spec["tolerance"],
                warning=spec.get("warning"),
                rationale=spec.get("rationale", ""),
                reason=SEEDED_APPETITE,
            )
            seeded_statements.append(statement.pk)

    people = {}
    for spec in data.get("people", []):
        user = _demo_user(spec["email"], spec["name"], spec.get("job_title", ""), password_hash)
        Membership.objects.get_or_create(
            user=user, organisation=organisation, defaults={"role": Role.OWNER}
        )
        people[spec["key"]] = user
    for role in DEMO_ROLES:
        email = f"{role}@{slug}.demo"
        title = f"{dict(Role.choices)[role]} (demo)"
        user = _demo_user(
            email, f"{data.get('short_name') or data['name']} {title}", title, password_hash
        )
        membership, _ = Membership.objects.get_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )
        report.logins.append((slug, role, email, login_clearance(membership)))
    owner_login = _owner_login(data, people)
    if owner_login is None:  # the source names no owners (WMP): a demo owner with no risks yet
        owner_login = f"{Role.OWNER}@{slug}.demo"
        user = _demo_user(
            owner_login,
            f"{data.get('short_name') or data['name']} risk owner (demo)",
            "Risk owner (demo)",
            password_hash,
        )
        Membership.objects.get_or_create(
            user=user, organisation=organisation, defaults={"role": Role.OWNER}
        )
    owner = Membership.objects.select_related("organisation").get(
        user__email=owner_login, organisation=organisation
    )
    report.logins.append((slug, "owner", owner_login, login_clearance(owner)))

    registers = {}
    for spec in data.get("registers", []):
        register = Register.objects.filter(organisation=organisation, slug=spec["slug"]).first()
        if register is None:
            register = Register(
                organisation=organisation,
                slug=spec["slug"],
                name=spec["name"],
                level=spec.get("level", "corporate"),
                parent=registers.get(spec.get("parent")) if spec.get("parent") else None,
                review_months=spec.get("review_months"),
                scheme=scheme if spec.get("scheme") else None,
                description=spec.get("description", ""),
            )
            register.full_clean()
            register.save()
        permissions.register_grant_defaults(register)  # idempotent
        registers[spec["slug"]] = register

    for membership in Membership.objects.filter(organisation=organisation).select_related("user"):
        permissions.membership_sync(membership)  # idempotent

    existing = set(Risk.objects.filter(organisation=organisation).values_list("ref", flat=True))
    timeline = _Timeline(organisation, today=today)
    _seed_indicators(organisation, data, people=people, today=today)  # of risks seeded before
    for spec in data.get("risks", []):
        if spec["ref"] in existing:
            continue
        _seed_risk(
            spec,
            registers=registers,
            categories=categories,
            objectives=objectives,
            people=people,
            today=today,
            timeline=timeline,
        )
        report.risks_created += 1
    if organisation.slug in BACK_HISTORY_REGISTERS:
        specs = {spec["ref"]: spec for spec in data.get("risks", [])}
        added = back_history_add(
            organisation=organisation,
            specs=specs,
            register_slugs=BACK_HISTORY_REGISTERS[organisation.slug],
            at=_at,
        )
        _date_illustrative_notes(organisation)
        if added and not seeded_statements:  # a demo database seeded before back history
            seeded_statements = list(
                AppetiteStatement.history.filter(
                    organisation_id=organisation.id, history_change_reason=SEEDED_APPETITE
                ).values_list("id", flat=True)
            )
    evidence_seed(organisation, today=today)  # illustrative, once (demo.evidence)
    _backdate_appetite(organisation, seeded_statements)
    forget_exposure(organisation.id)  # history written into past quarters


# How far apart illustrative readings are, by the indicator's frequency (days).
READING_STEP_DAYS = {"weekly": 7, "monthly": 30, "quarterly": 91}


def _seed_indicators(organisation: Organisation, data: dict, *, people, today: dt.date) -> None:
    """Key risk indicators of risks seeded before indicators were (a demo database kept from
    an earlier version); a risk that already has indicators keeps them as they are."""
    wanted = {
        spec["ref"]: spec
        for spec in data.get("risks", [])
        if any("indicator" in control for control in spec.get("controls", []))
    }
    if not wanted:
        return
    risks = Risk.objects.filter(organisation=organisation, ref__in=wanted).exclude(
        indicators__isnull=False
    )
    for risk in risks.select_related("register", "organisation"):
        _indicators_of_risk(risk, wanted[risk.ref], people=people, today=today)


def _indicators_of_risk(risk: Risk, spec: dict, *, people, today: dt.date) -> None:
    """The risk's illustrative key risk indicators (issue 18) with readings showing a trend: one
    a period (``READING_STEP_DAYS``), the last ``last`` periods before today."""
    kris = [control for control in spec.get("controls", []) if "indicator" in control]
    for position, control in enumerate(kris):
        kri = control["indicator"]
        owner = people.get(control.get("owner"))
        indicator = indicator_add(
            user=None,
            risk=risk,
            name=kri["name"],
            description=kri["description"],
            unit=kri["unit"],
            direction=kri["direction"],
            amber_from=Decimal(kri["amber_from"]),
            red_from=Decimal(kri["red_from"]),
            frequency=kri["frequency"],
            owner=owner,
            illustrative=True,
            position=position,
        )
        step = READING_STEP_DAYS[kri["frequency"]]
        values = kri["readings"]
        first = today - dt.timedelta(days=step * (kri["last"] + len(values) - 1))
        for n, value in enumerate(values):
            reading_record(
                user=owner,
                indicator=indicator,
                taken_on=first + dt.timedelta(days=step * n),
                value=Decimal(value),
                note="Illustrative reading (demo)" if n == len(values) - 1 else "",
                today=today,
            )
        # Set up before its first reading, so it was never "stale" before it began.
        Indicator.objects.filter(pk=indicator.pk).update(created_at=_at(first))


def _backdate_appetite(organisation: Organisation, statement_ids: list[int]) -> None:
    """Date newly seeded appetite statements just before the organisation's earliest backdated
    risk: the source's appetite held when its risks were published, so a pack or export "as at"
    an earlier report shows breaches and warnings instead of "no threshold"."""
    if not statement_ids:
        return
    earliest = Risk.history.filter(organisation_id=organisation.id).aggregate(
        first=Min("history_date")
    )["first"]
    if earliest is None:
        return
    AppetiteStatement.history.filter(
        id__in=statement_ids,
        history_date__gt=earliest,
        history_change_reason=SEEDED_APPETITE,  # never a later edit of a demo user's
    ).update(history_date=earliest - dt.timedelta(minutes=1))


def _seed_risk(
    spec, *, registers, categories, objectives, people, today: dt.date, timeline: _Timeline
) -> Risk:
    note = spec.get("source_note", "")
    trend = spec.get("reported_trend") or []
    if trend:
        published = ", ".join(f"{period} {direction}" for period, direction in trend)
        note = f"{note}\nPublished trend: {published}.".strip()
    plan = timeline.plan(spec)
    if plan.note:
        note = f"{note}\n{plan.note}".strip()
    closed = spec.get("status") == "closed"
    positions = {name: spec.get(name) for name in ("inherent", "current", "target")}
    if plan.rescore_from is not None:
        positions["current"] = plan.rescore_from
    backdated = plan.created is not None
    risk = risk_create(
        register=registers[spec["register"]],
        ref=spec["ref"],
        title=spec["title"],
        description=spec.get("description", ""),
        consequence=spec.get("consequence", ""),
        category=categories.get(spec.get("category")),
        owner=people.get(spec.get("owner")),
        manager=people.get(spec.get("manager")),
        horizon=spec.get("horizon", ""),
        kind=spec.get("kind", "threat"),
        response=spec.get("response", ""),
        status="closed" if closed else "open",
        closed_reason=spec.get("closed_reason", ""),
        progress=spec.get("progress", ""),
        marking=spec.get("marking", "OFFICIAL"),
        source_note=note,
        illustrative=spec.get("illustrative", False),
        positions=positions,
        objectives=[objectives[code] for code in spec.get("objectives", [])],
        leads=[people[key] for key in spec.get("leads", [])],
        reviewed_on=None if closed or backdated else _demo_review_date(spec["ref"], today),
        reason="seeded from source document",
    )
    for position, control in enumerate(spec.get("controls", []), start=1):
        if "indicator" in control:
            continue  # a key risk indicator: _indicators_of_risk
        control_add(
            risk=risk,
            description=control["description"],
            position=position,
            owner=people.get(control.get("owner")),
            effectiveness=control.get("effectiveness") or "not_assessed",
            assurance=control.get("assurance", ""),
        )
    for position, action in enumerate(spec.get("actions", []), start=1):
        action_add(
            risk=risk,
            description=action["description"],
            position=position,
            owner=people.get(action.get("owner")),
            due_date=dt.date.fromisoformat(action["due"]) if action.get("due") else None,
            status=action.get("status") or "not_started",
            priority=action.get("priority", ""),
            difficulty=action.get("difficulty", ""),
            progress_note=action.get("progress_note", ""),
        )
    _indicators_of_risk(risk, spec, people=people, today=today)
    if backdated:
        _backdate(risk, plan.created, by=_reviewer(risk) if plan.by_owner else None)
        if plan.rescore_from is not None:
            _illustrative_rescore(risk, spec["current"], plan.rescored)
        elif not closed:
            _demo_review(risk, _demo_review_date(spec["ref"], today))
    return risk


@dataclass(frozen=True)
class _Plan:
    created: dt.datetime | None = None  # None: created now, as the seeding runs
    note: str = ""
    rescore_from: tuple | None = None  # the illustrative current position at the last report
    rescored: dt.datetime | None = None
    by_owner: bool = False  # added by its owner (illustrative); else by nobody named (a paper's)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(SEED_HOUR), tzinfo=LONDON)


def _day(day: dt.date) -> str:
    return date_format(day, "j F Y")


class _Timeline:
    """When each seeded risk came onto its register, as far as the organisation's source dates it."""

    def __init__(self, organisation: Organisation, *, today: dt.date):
        self.slug = organisation.slug
        self.today = today
        self.now = timezone.now()
        self.last_report: dt.datetime | None = None
        if self.slug in ILLUSTRATIVE_MOVES:
            zone = selectors.organisation_zone(organisation)
            months = selectors.calendar_months(organisation.committee_months)
            (self.last_report,) = selectors.month_ends(
                months=months, zone=zone, moment=self.now, count=1, inclusive=False
            )
            # Before the last report, and before the earliest demo review date.
            earliest = min(self.last_report.date(), today - dt.timedelta(days=240))
            self.illustrative_created = _at(earliest - dt.timedelta(days=30))
            halfway = self.last_report + (self.now - self.last_report) / 2
            self.rescored = min(_at(halfway.astimezone(LONDON).date()), self.now)

    def plan(self, spec: dict) -> _Plan:
        if self.slug in PUBLISHED_QUARTERS:
            return self._quarters(spec, PUBLISHED_QUARTERS[self.slug])
        if self.slug in PAPER_DATES:
            return self._paper(spec, PAPER_DATES[self.slug])
        if spec["register"] in ILLUSTRATIVE_HISTORY_REGISTERS.get(self.slug, ()):
            return self._illustrative(spec)
        if spec["register"] in BACK_HISTORY_REGISTERS.get(self.slug, ()):
            return _Plan()  # dated by its back history (demo.back_history)
        # On the register before its demo review: it said "added today" and "last reviewed" months
        # ago.
        review = _demo_review_date(spec["ref"], self.today)
        added = _at(review - dt.timedelta(days=ADDED_BEFORE_REVIEW_DAYS))
        return _Plan(created=added, by_owner=True)

    def _paper(self, spec: dict, day: dt.date) -> _Plan:
        note = f"History: on the register as published on {_day(day)}."
        if any(direction in ("up", "down") for _, direction in spec.get("reported_trend") or []):
            note += (
                " The published arrow gives a direction only, not the earlier rating, so no "
                "earlier rating is recorded: the trend the product shows starts from this paper."
            )
        return _Plan(created=_at(day), note=note)

    def _quarters(self, spec: dict, quarters) -> _Plan:
        """WMP: created in the quarter whose trend first says "New", or before Q1 when its first
        trend is an arrow; arrows after that can only be "level" with no earlier rating."""
        trend = dict(spec.get("reported_trend") or [])
        published = [(name, end, trend.get(key, "")) for key, name, end in quarters]
        first = next(
            ((i, value) for i, (_, _, value) in enumerate(published) if value not in ("", "n/a")),
            None,
        )
        if first is None:
            return _Plan()
        index, value = first
        name, end, _ = published[index]
        if value == "new":
            # The first day of the quarter's last month: inside the quarter, after the one before.
            created = _at(end.replace(day=1))
            when = f"created on {_day(created.date())}, in {name} (published 'New')"
        else:
            start = end - dt.timedelta(days=92)  # the end of the quarter before
            created = _at(start.replace(day=1))
            when = f"created on {_day(created.date())}, before {name} (published '{value}')"
        later = [(n, v) for n, _, v in published[index + 1 :]]
        kept = [n for n, v in later if v == "level"]
        unreproduced = [f"{n} {v}" for n, v in later if v not in ("level", "")]
        note = f"History reconstructed from the published quarterly trend: {when}"
        if kept:
            note += f"; rating unchanged since, as published ('level' in {', '.join(kept)})"
        note += "."
        if unreproduced:
            note += (
                f" Not reproduced ({', '.join(unreproduced)}): the register gives no earlier "
                "rating to move from."
            )
        return _Plan(created=created, note=note)

    def _illustrative(self, spec: dict) -> _Plan:
        created = self.illustrative_created
        before = ILLUSTRATIVE_MOVES.get(self.slug, {}).get(spec["ref"])
        # The day is the risk's first record's; back history, written after, moves it back and
        # the note with it (_date_illustrative_notes).
        note = ON_REGISTER_SINCE.format(day=_day(created.date())) + (
            f"before the last report to the Audit Committee ({_day(self.last_report.date())})."
        )
        if before is None or spec.get("current") is None:
            return _Plan(created=created, note=note, by_owner=True)
        rescored = self.rescored
        note += (
            f" Illustrative re-score on {_day(rescored.date())}: current position "
            f"{before[0]} x {before[1]} = {before[0] * before[1]} at the last report, "
            f"{spec['current'][0]} x {spec['current'][1]} now, to show movement between "
            "tolerance levels."
        )
        return _Plan(
            created=created,
            note=note,
            rescore_from=tuple(before),
            rescored=rescored,
            by_owner=True,
        )


def _date_illustrative_notes(organisation: Organisation) -> None:
    """The illustrative note names the day the risk came onto its register as the demo tells it
    in the end. The note is written when the risk is seeded; back history (demo.back_history)
    then puts eight quarters of illustrative reviews before that and moves ``created_at`` to
    the first of them, so the note's day moves too (it said "on the register since 12 March
    2026" above reviews from 2024). The risk and each record of it that carries the same note
    (a record with other words, an edit since, is left as it was). Seeding again changes
    nothing."""
    risks = Risk.objects.filter(
        organisation=organisation, source_note__contains=ON_REGISTER_SINCE.split("{")[0]
    )
    for risk in risks.only("id", "source_note", "created_at"):
        day = _day(risk.created_at.astimezone(LONDON).date())
        note = _ON_REGISTER_SINCE.sub(ON_REGISTER_SINCE.format(day=day), risk.source_note, count=1)
        if note == risk.source_note:
            continue
        Risk.objects.filter(pk=risk.pk).update(source_note=note)
        Risk.history.filter(id=risk.id, source_note=risk.source_note).update(source_note=note)


def _backdate(risk: Risk, created: dt.datetime, *, by=None) -> None:
    """Move what seeding just wrote for ``risk`` (its history, controls and actions) to
    ``created``: the records keep their order, a second apart, so each has its own instant. The
    sources publish no review dates, so the backdated records carry none. ``by``: who added it
    (its records say so), for an illustrative risk; a paper's names nobody."""
    records = list(
        Risk.history.filter(id=risk.id)
        .order_by("history_date", "history_id")
        .values_list("history_id", flat=True)
    )
    values = {"created_at": created, "updated_at": created, "last_reviewed": None}
    values["next_review_due"] = None
    if risk.closed_at is not None:
        values["closed_at"] = created
    who = {"history_user_id": by.pk} if by is not None else {}
    for offset, history_id in enumerate(records):
        Risk.history.filter(history_id=history_id).update(
            history_date=created + dt.timedelta(seconds=offset), **values, **who
        )
    Risk.objects.filter(pk=risk.pk).update(**values)
    later = created + dt.timedelta(seconds=len(records))
    for model in (Control, Action):
        model.objects.filter(risk_id=risk.id).update(created_at=created)
        model.history.filter(risk_id=risk.id).update(history_date=later, created_at=created, **who)
    risk.refresh_from_db()


def _reviewer(risk: Risk):
    """Who reviews a seeded risk: its owner, else its manager, else (WMP names neither) the
    organisation's demo coordinator."""
    if risk.owner_id or risk.manager_id:
        return risk.owner or risk.manager
    coordinator = (
        Membership.objects.filter(organisation_id=risk.organisation_id, role=Role.COORDINATOR)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return coordinator.user if coordinator is not None else None


def _demo_review(risk: Risk, reviewed_on: dt.date) -> None:
    """The demo's last review: a review by the risk's owner, as the product records one (a
    ``Review``, last reviewed and next review due, the history's reason and note), dated
    ``reviewed_on``. It was a save by nobody whose reason the history page could not read."""
    _review_on(risk, _at(reviewed_on), note=DEMO_REVIEW_NOTE)


def _illustrative_rescore(risk: Risk, current, moment: dt.datetime) -> None:
    """Re-score through a review by the risk's owner, as in the product, dated ``moment``."""
    _review_on(
        risk,
        moment,
        note="illustrative re-score since the last report (demo)",
        positions={"current": current},
    )


def _review_on(risk: Risk, moment: dt.datetime, *, note: str, positions=None) -> None:
    review = review_record(
        risk=risk,
        user=_reviewer(risk),
        expected_version=risk.version,
        positions=positions,
        reviewed_on=moment.astimezone(LONDON).date(),
        note=note,
    )
    Review.objects.filter(pk=review.pk).update(created_at=moment)
    latest = Risk.history.filter(id=risk.id).order_by("-history_date", "-history_id").first()
    Risk.history.filter(history_id=latest.history_id).update(
        history_date=moment, updated_at=moment, history_user_id=review.reviewed_by_id
    )
    Risk.objects.filter(pk=risk.pk).update(updated_at=moment)


def _demo_review_date(ref: str, today: dt.date) -> dt.date:
    """Spread last reviews over the past eight months (stable per ref), so the demo has risks that
    are reviewed, due soon and overdue. The sources publish no review dates."""
    return today - dt.timedelta(days=zlib.crc32(ref.encode()) % 240)


def _demo_user(email: str, name: str, job_title: str, password_hash: str):
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email).first()
    if user is None:
        user = user_model(email=email.lower(), full_name=name, job_title=job_title)
        user.password = password_hash
        user.full_clean(exclude=["password"])
        user.save()
        sign_in_address_add(user=user)
    return user


def _owner_login(data: dict, people: dict) -> str | None:
    """The demo login for a risk owner: the owner of the most risks in the source."""
    counts: dict[str, int] = {}
    for risk in data.get("risks", []):
        if risk.get("owner"):
            counts[risk["owner"]] = counts.get(risk["owner"], 0) + 1
    if not counts:
        return None
    key = max(counts, key=lambda k: (counts[k], k))
    return people[key].email
