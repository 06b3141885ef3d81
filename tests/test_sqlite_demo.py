"""The demo's embedded default: with no DATABASE_URL, `make demo` migrates an SQLite file. Every
migration must run there too (a PostgreSQL-only statement broke it once: extended statistics),
and the pages must draw there (the risk page's JSON-nested rows broke it once: SQLite nests a
JSON column as its text)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# Run on the migrated SQLite file: a rated risk's page as its coordinator sees it.
RISK_PAGE = """
import django
django.setup()
from django.test import Client
from registers.models import Register, Risk, Role
from tests.factories import MembershipFactory, OrganisationFactory, RiskFactory
organisation = OrganisationFactory(name="Example Police")
register = Register.objects.get(organisation=organisation, slug="corporate")
RiskFactory(register=register, ref="CRR01", title="Cyber attack",
            positions={"current": (4, 5), "target": (2, 3)})
from registers.services.risks import risk_create
from django.db import transaction
with transaction.atomic():  # the service as the pages and seed_demo call it (its register held)
    risk_create(register=register, ref="CRR02", title="Flood")
coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(coordinator)
page = client.get(f"/o/{organisation.slug}/risks/CRR01/")
print(page.status_code, "20 (High)" in page.content.decode() and Risk.objects.count() == 2)
"""


# Run on the migrated SQLite file: a pack asked for with a register or deep-dive risk id too big
# for SQLite's integers (99999999999999999999) is refused as not one of those offered (400, as on
# PostgreSQL), not an OverflowError (500); and an id list holding one finds the rest.
OVERFLOWING_IDS = """
import django
django.setup()
from django.test import Client
from registers.models import Register, Role
from tests.factories import MembershipFactory, OrganisationFactory, RiskFactory
organisation = OrganisationFactory(name="Example Police")
register = Register.objects.get(organisation=organisation, slug="corporate")
RiskFactory(register=register, ref="CRR01", title="Cyber attack")
coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(coordinator)
HUGE = "99999999999999999999"
for field in ("registers", "deep_dive_risks"):
    data = {"kind": "quarterly", "edition": "full", "as_of": "2026-03-31", field: HUGE}
    page = client.post(f"/o/{organisation.slug}/reports/", data)
    print(field, page.status_code)
print("found", Register.objects.filter(pk__in=[int(HUGE), register.pk]).count())
"""


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """An SQLite file every migration ran on, as `make demo` makes it (once for the module)."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert path.stat().st_size > 0
    return path


@pytest.fixture
def demo_database(migrated, tmp_path) -> dict:
    """The environment of a fresh copy of the migrated file, one a test."""
    copied = tmp_path / "demo.sqlite3"
    shutil.copyfile(migrated, copied)
    return {**os.environ, "DATABASE_URL": f"sqlite:///{copied}"}


def _run_on_demo(env, script: str) -> str:
    environment = {
        key: value
        for key, value in env.items()
        if key not in ("DJANGO_CACHE_URL", "RISKREG_PAGE_CACHE", "CELERY_BROKER_URL")
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "riskreg.settings.local"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_every_migration_runs_on_sqlite_and_a_risk_page_draws(demo_database):
    assert _run_on_demo(demo_database, RISK_PAGE).split()[-2:] == ["200", "True"]


def test_an_id_too_big_for_sqlite_is_not_one_of_the_choices(demo_database):
    lines = _run_on_demo(demo_database, OVERFLOWING_IDS).splitlines()[-3:]
    assert lines == ["registers 400", "deep_dive_risks 400", "found 1"]


def _local_setting(name: str, **env) -> str:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_CACHE_URL", "RISKREG_PAGE_CACHE", "CELERY_BROKER_URL")
    }
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; print(settings.{name})",
        ],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "riskreg.settings.local", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_the_demo_keeps_no_pages_in_a_cache_its_other_processes_cannot_reach():
    """`make demo` without Redis: a command in another terminal (an import, a member added) or a
    Celery worker writes in a process of its own; a per-process memory cache would keep showing
    the dashboard as it was (decision 67). Only a shared cache turns the page cache on."""
    assert _local_setting("RISKREG_PAGE_CACHE") == "False"
    assert (
        _local_setting("RISKREG_PAGE_CACHE", DJANGO_CACHE_URL="redis://127.0.0.1:6379/1") == "True"
    )


def test_make_demo_serves_the_products_own_error_pages():
    """`make demo` is how people try riskreg: its server runs with DEBUG off unless asked
    (`DJANGO_DEBUG=true make demo`), so a mistyped address shows the product's "Page not found",
    not Django's technical page listing every URL (a user walk met it). Static files are served
    by WhiteNoise from static/ whatever DEBUG says (settings/local.py)."""
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    servers = [line.strip() for line in recipe.splitlines() if "manage.py runserver" in line]
    assert len(servers) == 2, recipe  # with and without Redis
    for line in servers:
        assert line.startswith("DJANGO_DEBUG=$${DJANGO_DEBUG:-false} "), line
