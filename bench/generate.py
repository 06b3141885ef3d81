"""A generated organisation for the benchmarks: N risks, each with controls, actions and two
years of quarterly history, on a register hierarchy, owned by a few hundred people.

The organisation itself, its scheme (the ESPO-like 5x5 preset), appetite levels, registers,
appetite statements and coordinators are made through the services, exactly as ``create_org``
and the members page make them. Everything there are thousands of (people, risks, controls,
actions, reviews and their history) is written with ``bulk_create``: rows and history records
are built here with the fields the services would have written (ratings through the scoring
engine, next review from the band's period, versions counting the saves), and the history
records carry backdated ``history_date``s so trends, movement, "as it stood" and the risk page's
history have two years to read.

Also the shared plumbing of the bench scripts: the bench database, Django set-up and the merge
into ``bench/results.json``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# BENCH_RESULTS names another file (a trial run's figures kept out of the shared one).
RESULTS = Path(os.environ.get("BENCH_RESULTS") or ROOT / "bench" / "results.json")
BENCH_DATABASE = "riskreg_bench_pages"
DEFAULT_DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{BENCH_DATABASE}"
# Every e-mail the bench's pages, load test and imports send is built and then dropped, never
# printed: the console backend (the local default) wrote some 34,000 lines a run, inside timed
# requests; locmem would keep them all in a worker's memory for its 5,000 requests. Set in the
# environment, so gunicorn's workers get it too. bench/reminders.py counts its e-mails in
# locmem's outbox (override_settings around the timed run).
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
# Every generated account signs in with this (the load test logs in through the form).
PASSWORD = "bench-password-not-secret-2026"  # noqa: S105

CATEGORIES = (
    "Finance",
    "People",
    "Technology and cyber",
    "Legal and regulatory",
    "Operations",
    "Reputation",
    "Health and safety",
    "Partnerships",
)
# (tolerance, warning) per category, on the 5x5 product scale (1-25); ESPO's own tolerance is 10.
TOLERANCES = ((10, 6), (12, 8), (8, 5), (10, None), (15, 10), (9, 6), (6, 4), (12, None))
DEPARTMENTS = (
    ("finance", "Finance and commercial"),
    ("people", "People and organisational development"),
    ("operations", "Operations"),
    ("digital", "Digital and technology"),
    ("estates", "Estates and facilities"),
)
WORDS = [
    "flood",
    "supplier",
    "contract",
    "cyber",
    "attack",
    "funding",
    "shortfall",
    "staff",
    "turnover",
    "audit",
    "finding",
    "data",
    "breach",
    "procurement",
    "delay",
    "power",
    "outage",
    "legislation",
    "change",
    "fraud",
    "budget",
    "pressure",
    "recruitment",
    "backlog",
    "system",
    "failure",
    "partner",
    "withdrawal",
    "inflation",
    "estate",
    "condition",
]


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def configure(*, settings: str = "riskreg.settings.local") -> str:
    """Point Django at the bench database, production-like (DEBUG off), before django.setup()."""
    url = database_url()
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")  # no line per sign-in in the tables
    os.environ.setdefault("RISKREG_SECURITY_LOG_LEVEL", "WARNING")
    os.environ["CELERY_BROKER_URL"] = ""  # packs and reminders in-process, as the commands do
    os.environ["DJANGO_EMAIL_BACKEND"] = EMAIL_BACKEND
    # The page cache as production has it (there shared through Redis): here one process serves
    # and writes, so its memory cache sees every write (bench/load.py gives gunicorn Redis).
    os.environ.setdefault("RISKREG_PAGE_CACHE", "true")
    # The test client calls itself "testserver"; the load test uses 127.0.0.1.
    os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return url


def recreate_database() -> None:
    """Drop and create the bench database, only when it is the bench's own (a database named
    by the caller through BENCH_DATABASE_URL is theirs: it is never dropped)."""
    if database_url() != DEFAULT_DATABASE_URL:
        return
    for sql in (
        f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)",
        f"CREATE DATABASE {BENCH_DATABASE}",
    ):
        subprocess.run(  # noqa: S603
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql],  # noqa: S607
            check=True,
            capture_output=True,
        )


def now_iso() -> str:
    """The time a record was made, in UTC: bench/targets.py tells this run's figures from an
    earlier run's by it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def read_results() -> dict:
    try:
        results = json.loads(RESULTS.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return results if isinstance(results, dict) else {}


def merge_results(key: str, value) -> None:
    """Read-modify-write bench/results.json so each script's figures survive the others'. A
    record (a dict) is stamped with the time it was written ("when") unless it has one."""
    if isinstance(value, dict) and "when" not in value:
        value = {"when": now_iso(), **value}
    results = read_results()
    results[key] = value
    # Written whole then renamed: a reader never sees half a file.
    partial = RESULTS.with_name(f".{RESULTS.name}.{os.getpid()}")
    partial.write_text(json.dumps(results, indent=2, default=str))
    partial.replace(RESULTS)


def machine() -> dict:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (None, None, None)
    return {
        "cpus": os.cpu_count(),
        "load_average_1_5_15": [round(x, 2) for x in load],
        "calibration_ms": calibration_ms(),
        "render_calibration_ms": render_calibration_ms(),
    }


def calibration_ms() -> float:
    """A fixed pure-Python workload (the kind of work Django and WeasyPrint do: objects, dicts,
    strings), median of 5 runs in ms. Machines of one kind differ by 2x here; compare figures
    from two runs only after scaling by this."""
    import statistics
    import time

    def work() -> int:
        rows = [
            {"ref": f"R{n:05}", "score": (n * 7919) % 25, "title": "risk " * (n % 7)}
            for n in range(60_000)
        ]
        rows.sort(key=lambda row: (row["score"], row["ref"]))
        return sum(len(f"{row['ref']}:{row['title']}") for row in rows)

    times = []
    for _ in range(5):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


def render_calibration_ms() -> float:
    """A second fixed workload, of the code the pages and packs run: a Django template of 120
    rows rendered, then WeasyPrint laying the result out as a table (one A4 page), median of 3
    runs in ms. ``calibration_ms``'s small loop can read fast while this kind of work runs slow:
    on 2026-12-07 it read 64 to 74 ms while the packs took as long as at 146 ms that morning.
    Compare packs and pages across runs by this figure too."""
    import statistics
    import time

    import django
    from django.apps import apps
    from django.template import Context, Engine
    from weasyprint import HTML

    if not apps.ready:  # bench/targets.py asks before any piece has set Django up
        configure()
        django.setup()

    template = Engine().from_string(
        "<table><thead><tr><th>Ref</th><th>Title</th><th>Owner</th><th>Score</th></tr></thead>"
        "<tbody>{% for row in rows %}<tr><td>{{ row.ref }}</td><td>{{ row.title|title }}</td>"
        "<td>{{ row.owner }}</td><td>{% if row.score > 12 %}<b>{{ row.score }}</b>"
        "{% else %}{{ row.score }}{% endif %}</td></tr>{% endfor %}</tbody></table>"
    )
    rows = [
        {
            "ref": f"R{n:04}",
            "title": "supplier failure " * (1 + n % 3),
            "owner": f"Owner {n % 40}",
            "score": (n * 7) % 25,
        }
        for n in range(120)
    ]
    style = (
        "<style>@page { size: A4; margin: 15mm } td, th { border: 1px solid; padding: 2pt }</style>"
    )

    def work() -> None:
        html = style + template.render(Context({"rows": rows}))
        HTML(string=html).render()

    work()  # fonts and WeasyPrint's own first-use work, not the machine's speed
    times = []
    for _ in range(3):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


@contextlib.contextmanager
def _dates_as_given(*models):
    """bulk_create with the backdated created_at / updated_at the rows carry: auto_now(_add)
    would stamp them all with now, and the history's review matching reads created_at."""
    from django.core.exceptions import FieldDoesNotExist

    changed = []
    for model in models:
        for name in ("created_at", "updated_at"):
            try:
                field_ = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            changed.append((field_, field_.auto_now, field_.auto_now_add))
            field_.auto_now = field_.auto_now_add = False
    try:
        yield
    finally:
        for field_, auto_now, auto_now_add in changed:
            field_.auto_now, field_.auto_now_add = auto_now, auto_now_add


@dataclass
class Generated:
    organisation: object
    coordinators: list  # users who edit every register (the load test signs in as them)
    people: list  # risk, control and action owners
    registers: list
    risks: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def coordinator(self):
        return self.coordinators[0]


def generate(
    *,
    slug: str,
    name: str,
    risks: int,
    people: int = 200,
    coordinators: int = 1,
    controls: int = 3,
    actions: int = 3,
    versions: int = 8,
    seed: int = 6,
    chunk: int = 500,
) -> Generated:
    """Generate an organisation of ``risks`` risks. Each risk has ``versions`` history records
    a quarter apart over two years (the last within the current quarter for a third of them),
    a review per re-score, ``controls`` controls and ``actions`` actions with history."""
    import django

    if not django.apps.apps.ready:
        django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from appetite.models import AppetiteStatement
    from appetite.services import appetite_statement_set
    from registers.models import Category, RegisterLevel, Role
    from registers.services.organisations import member_add, organisation_create, register_create
    from registers.services.risks import scheme_version_for_register

    started = time.perf_counter()
    rng = random.Random(f"{seed}-{slug}")  # noqa: S311  data, not secrets
    now = timezone.now()
    start = now - dt.timedelta(days=2 * 365 + 10)
    with transaction.atomic():
        organisation = organisation_create(slug=slug, name=name, short_name=name[:50])
        corporate = organisation.registers.get(slug="corporate")
        registers = [corporate] + [
            register_create(
                organisation=organisation,
                slug=dept_slug,
                name=f"{dept_name} risk register",
                level=RegisterLevel.DIRECTORATE,
                parent=corporate,
            )
            for dept_slug, dept_name in DEPARTMENTS
        ]
        categories = Category.objects.bulk_create(
            Category(organisation=organisation, name=category, position=n)
            for n, category in enumerate(CATEGORIES)
        )
        appetite_statement_set(
            organisation=organisation, tolerance=12, warning=8, reason="bench: default"
        )
        for category, (tolerance, warning) in zip(categories, TOLERANCES, strict=True):
            appetite_statement_set(
                organisation=organisation,
                category=category,
                tolerance=tolerance,
                warning=warning,
                reason="bench",
            )
        # The statements have stood for the two years the history covers.
        AppetiteStatement.history.filter(organisation_id=organisation.id).update(history_date=start)

        password_hash = make_password(PASSWORD)  # hashed once: thousands of PBKDF2 runs is minutes
        coordinator_users = []
        for n in range(coordinators):
            membership = member_add(
                organisation=organisation,
                email=f"coordinator{n}@{slug}.bench.test",
                role=Role.ADMIN if n == 0 else Role.COORDINATOR,
                full_name=f"Coordinator {n}",
                password_hash=password_hash,
            )
            coordinator_users.append(membership.user)
        owners = add_people(organisation, people, password_hash=password_hash, start=0)

        version = scheme_version_for_register(corporate)
        counts = {"risks": 0, "risk_history": 0, "controls": 0, "actions": 0}
        counts.update({"control_history": 0, "action_history": 0, "reviews": 0})
        weights = [0.1] + [0.9 / len(DEPARTMENTS)] * len(DEPARTMENTS)
        for first in range(0, risks, chunk):
            _write_chunk(
                numbers=range(first, min(first + chunk, risks)),
                organisation=organisation,
                registers=registers,
                weights=weights,
                categories=categories,
                owners=owners,
                author=coordinator_users[0],
                version=version,
                versions=versions,
                controls=controls,
                actions=actions,
                now=now,
                start=start,
                rng=rng,
                counts=counts,
            )
    return Generated(
        organisation=organisation,
        coordinators=coordinator_users,
        people=owners,
        registers=registers,
        risks=risks,
        seconds=time.perf_counter() - started,
        rows=counts,
    )


def add_people(organisation, count: int, *, password_hash: str, start: int) -> list:
    """``count`` members with the owner role (people named as risk, control and action owners),
    created in bulk; their accounts sign in with PASSWORD, and have their sign-in address in
    allauth's table as every account does (``registers.services.accounts``, decision 96)."""
    from allauth.account.models import EmailAddress

    from registers.models import Membership, Role, User

    users = User.objects.bulk_create(
        User(
            email=f"person{n}@{organisation.slug}.bench.test",
            full_name=f"Person {n:04}",
            job_title=rng_title(n),
            password=password_hash,
        )
        for n in range(start, start + count)
    )
    Membership.objects.bulk_create(
        Membership(user=user, organisation=organisation, role=Role.OWNER) for user in users
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
    return users


def rng_title(n: int) -> str:
    return ("Head of service", "Director", "Programme manager", "Risk lead", "")[n % 5]


def _write_chunk(
    *,
    numbers,
    organisation,
    registers,
    weights,
    categories,
    owners,
    author,
    version,
    versions,
    controls,
    actions,
    now,
    start,
    rng,
    counts,
) -> None:
    from dateutil.relativedelta import relativedelta

    from registers.models import (
        Action,
        ActionStatus,
        Control,
        Effectiveness,
        Marking,
        Review,
        Risk,
        RiskStatus,
    )
    from registers.services.risks import next_review_due
    from scoring.engine import rate

    scheme = version.parsed
    ratings = {
        (likelihood.value, impact.value): rate(scheme, likelihood.value, impact.value)
        for likelihood in scheme.likelihood
        for impact in scheme.impact
    }
    top = len(scheme.likelihood)
    today = now.date()
    # Quarterly versions: 24, 21, ... months ago; the last a few weeks ago for some risks, so
    # arrows since the last quarter end are not all level.
    base_dates = [now - relativedelta(months=3 * (versions - 1 - q) + 3) for q in range(versions)]

    def rated(risk, position, pair):
        rating = ratings[pair]
        setattr(risk, f"{position}_likelihood", pair[0])
        setattr(risk, f"{position}_impact", pair[1])
        setattr(risk, f"{position}_score", rating.score)
        if position == "current":
            risk.current_band = rating.band.name

    live, states, dates = [], [], []
    for n in numbers:
        register = rng.choices(registers, weights)[0]
        category = categories[n % len(categories)]
        words = rng.sample(WORDS, 4)
        risk = Risk(
            organisation=organisation,
            register=register,
            ref=f"R{n + 1}",
            title=f"{words[0].capitalize()} {words[1]} affects {words[2]} {words[3]}",
            description=(
                f"Cause: {' '.join(rng.sample(WORDS, 6))}. Event: {' '.join(rng.sample(WORDS, 8))}"
                " leads to a loss of service that the organisation must plan for."
            ),
            consequence=f"Consequence: {' '.join(rng.sample(WORDS, 10))}.",
            category=category,
            owner=owners[n % len(owners)],
            manager=owners[(n * 7 + 3) % len(owners)],
            scheme_version=version,
            response=("Treat", "Tolerate", "Transfer", "Terminate")[n % 4],
            marking=Marking.OFFICIAL_SENSITIVE if n % 20 == 7 else Marking.OFFICIAL,
            created_at=start,
        )
        risk.register.organisation = organisation
        risk.organisation = organisation
        rated(risk, "inherent", (rng.randint(3, top), rng.randint(3, top)))
        rated(risk, "target", (rng.randint(1, 2), rng.randint(1, 3)))
        current = (rng.randint(1, top), rng.randint(1, top))
        when = list(base_dates)
        if n % 3 == 0:  # re-scored within the current quarter
            when[-1] = now - dt.timedelta(days=rng.randint(1, 40))
        risk_states = []
        for q in range(versions):
            if q:
                current = (
                    min(top, max(1, current[0] + rng.choice((-1, 0, 0, 1)))),
                    min(top, max(1, current[1] + rng.choice((-1, 0, 0, 1)))),
                )
            rated(risk, "current", current)
            risk.version = q + 1
            risk.last_reviewed = when[q].date()
            closing = q == versions - 1 and n % 25 == 11
            if closing:
                risk.status, risk.closed_reason, risk.closed_at = (
                    RiskStatus.CLOSED,
                    "Fully mitigated",
                    when[q],
                )
            # Next review: the band's period from a review somewhere in the last 14 months, so
            # some are overdue, some due within the notice period, most later.
            reviewed = today - dt.timedelta(days=rng.randint(0, 420)) if q == versions - 1 else None
            risk.next_review_due = next_review_due(
                risk=risk, scheme=scheme, reviewed_on=reviewed or when[q].date()
            )
            if reviewed:
                risk.last_reviewed = min(reviewed, today)
            risk.updated_at = when[q]
            risk_states.append(_field_values(risk))
        live.append(risk)
        states.append(risk_states)
        dates.append(when)

    with _dates_as_given(Risk, Control, Action, Review):
        Risk.objects.bulk_create(live)
        history = Risk.history.model
        records, reviews = [], []
        for risk, risk_states, when in zip(live, states, dates, strict=True):
            previous = None
            for q, values in enumerate(risk_states):
                values["id"] = risk.id
                rescored = previous is not None and (
                    values["current_score"] != previous["current_score"]
                )
                if q == 0:
                    kind, reason = "+", "created"
                elif values["status"] == RiskStatus.CLOSED:
                    kind, reason = "~", "closed: Fully mitigated"
                else:
                    kind = "~"
                    reason = "re-scored: quarterly review" if rescored else "reviewed, no change"
                    reviews.append(
                        Review(
                            organisation_id=organisation.id,
                            risk_id=risk.id,
                            reviewed_by_id=author.id,
                            reviewed_on=when[q].date(),
                            rescored=rescored,
                            note="quarterly review" if rescored else "",
                            created_at=when[q],
                        )
                    )
                records.append(
                    history(
                        **values,
                        history_date=when[q],
                        history_type=kind,
                        history_change_reason=reason,
                        history_user_id=author.id,
                    )
                )
                previous = values
        history.objects.bulk_create(records, batch_size=2000)
        Review.objects.bulk_create(reviews, batch_size=2000)
        counts["risks"] += len(live)
        counts["risk_history"] += len(records)
        counts["reviews"] += len(reviews)

        control_rows, action_rows = [], []
        effectiveness = list(Effectiveness.values)
        year_ago = now - dt.timedelta(days=365)
        for risk in live:
            for c in range(controls):
                control_rows.append(
                    Control(
                        organisation_id=organisation.id,
                        risk_id=risk.id,
                        description=f"Control {c + 1}: {' '.join(rng.sample(WORDS, 8))}",
                        owner=owners[rng.randrange(len(owners))],
                        effectiveness=effectiveness[(risk.id + c) % len(effectiveness)],
                        assurance="Internal audit" if c == 0 else "",
                        position=c,
                        created_at=start,
                    )
                )
            for a in range(actions):
                status = (
                    ActionStatus.COMPLETED,
                    ActionStatus.IN_PROGRESS,
                    ActionStatus.IN_PROGRESS,
                    ActionStatus.NOT_STARTED,
                    ActionStatus.NOT_STARTED,
                )[(risk.id + a) % 5]
                action_rows.append(
                    Action(
                        organisation_id=organisation.id,
                        risk_id=risk.id,
                        description=f"Action {a + 1}: {' '.join(rng.sample(WORDS, 8))}",
                        owner=owners[rng.randrange(len(owners))],
                        due_date=today + dt.timedelta(days=rng.randint(-90, 270)),
                        status=status,
                        priority=("high", "medium", "low")[a % 3],
                        progress_note="Under way" if status == ActionStatus.IN_PROGRESS else "",
                        completed_at=year_ago if status == ActionStatus.COMPLETED else None,
                        position=a,
                        created_at=start,
                    )
                )
        Control.objects.bulk_create(control_rows, batch_size=2000)
        Action.objects.bulk_create(action_rows, batch_size=2000)
    for model, rows, key in (
        (Control, control_rows, "control"),
        (Action, action_rows, "action"),
    ):
        history = model.history.model
        records = []
        for row in rows:
            values = _field_values(row)
            # Added with the risk two years ago, then one change a year ago (an effectiveness
            # re-assessment, a progress update): what the risk page's history reads.
            first = dict(values)
            if model is Control:
                first["effectiveness"] = Effectiveness.NOT_ASSESSED
            else:
                first["status"], first["progress_note"] = ActionStatus.NOT_STARTED, ""
                first["completed_at"] = None
            records.append(
                history(**first, history_date=start, history_type="+", history_user_id=author.id)
            )
            records.append(
                history(
                    **values,
                    history_date=year_ago,
                    history_type="~",
                    history_change_reason="updated",
                    history_user_id=author.id,
                )
            )
        history.objects.bulk_create(records, batch_size=2000)
        counts[f"{key}s"] += len(rows)
        counts[f"{key}_history"] += len(records)


def _field_values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def analyse() -> None:
    """VACUUM ANALYZE the freshly loaded tables, as autovacuum does soon after a bulk load in
    production: planner statistics (without them PostgreSQL guesses row counts) and the
    visibility map that lets counts read an index alone."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def main() -> None:
    """Generate the 10,000-risk and 100-risk organisations into a fresh bench database."""
    configure()
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    for slug, count in (("bench10k", 10_000), ("bench100", 100)):
        made = generate(slug=slug, name=f"Bench {count} risks", risks=count)
        print(f"{slug}: {made.rows} in {made.seconds:.1f} s")
    analyse()


if __name__ == "__main__":
    main()
