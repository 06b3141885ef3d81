"""Load the five source organisations (``registers/seed_data``) into the database.

Idempotent and non-destructive: what exists (matched by slug, name, code, e-mail or ref) is left as
it is, so a second run changes nothing and never overwrites what a demo user has edited.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import zlib
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from appetite.models import AppetiteLevel, AppetiteStatement
from appetite.services import appetite_levels_install, appetite_statement_set
from scoring.presets import preset
from scoring.services import scheme_save

from .. import permissions
from ..models import Category, Membership, Objective, Organisation, Register, Risk, Role
from .risks import action_add, control_add, risk_create

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
)


def demo_password() -> str:
    """Every demo account shares one password, printed by seed_demo (not a secret: demo data)."""
    return os.environ.get("RISKREG_DEMO_PASSWORD", "riskreg-demo-2026")


@dataclass
class SeedReport:
    organisations_created: list[str] = field(default_factory=list)
    risks_created: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (organisation, role, email)


def seed_data(slug: str) -> dict:
    return importlib.import_module(f"registers.seed_data.{slug}").ORGANISATION


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
        for slug in JOINT_PANEL_ORGANISATIONS:
            organisation = Organisation.objects.filter(slug=slug).first()
            if organisation is not None:
                Membership.objects.get_or_create(
                    user=user, organisation=organisation, defaults={"role": Role.PANEL}
                )
        report.logins.append(("mopac + met", "panel (joint)", JOINT_PANEL_EMAIL))
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
    for spec in data.get("appetite_statements", []):
        category = categories[spec["category"]] if spec.get("category") else None
        if not AppetiteStatement.objects.filter(
            organisation=organisation, category=category
        ).exists():
            appetite_statement_set(
                organisation=organisation,
                category=category,
                level=levels.get(spec.get("level")),
                tolerance=spec["tolerance"],
                warning=spec.get("warning"),
                rationale=spec.get("rationale", ""),
                reason="seeded from source",
            )

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
        Membership.objects.get_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )
        if role == Role.ADMIN and not user.is_staff:  # organisation admins use the scoped admin
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        report.logins.append((slug, role, email))
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
    report.logins.append((slug, "owner", owner_login))

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
        )
        report.risks_created += 1


def _seed_risk(spec, *, registers, categories, objectives, people, today: dt.date) -> Risk:
    note = spec.get("source_note", "")
    trend = spec.get("reported_trend") or []
    if trend:
        published = ", ".join(f"{period} {direction}" for period, direction in trend)
        note = f"{note}\nPublished trend: {published}.".strip()
    closed = spec.get("status") == "closed"
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
        positions={name: spec.get(name) for name in ("inherent", "current", "target")},
        objectives=[objectives[code] for code in spec.get("objectives", [])],
        leads=[people[key] for key in spec.get("leads", [])],
        reviewed_on=None if closed else _demo_review_date(spec["ref"], today),
        reason="seeded from source document",
    )
    for position, control in enumerate(spec.get("controls", []), start=1):
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
    return risk


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
