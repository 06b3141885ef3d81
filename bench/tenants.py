"""Many organisations in one database: the pages of a 10,000-risk and a 100-risk organisation
alone, then again beside 40 other organisations of 2,500 risks each (110,100 risks in all, some
3.8 million rows), as a hosted installation keeps them.

    .venv/bin/python bench/tenants.py            # generate, measure alone, grow, measure again
    .venv/bin/python bench/tenants.py --reuse    # measure again on what is there (beside only)
    .venv/bin/python bench/tenants.py --explain  # also EXPLAIN ANALYZE each page's slowest SQL

The design asks every page's time and SQL time to stay within 10% of the single-organisation
figures: nothing a page does may grow with the installation instead of the organisation. Each
page is measured as in bench/pages.py (test client, DEBUG off, median of BENCH_PAGE_RUNS runs)
with the time spent in the database beside the total.

Uses its own PostgreSQL database (riskreg_bench_tenants, recreated unless --reuse; override
with BENCH_TENANTS_DATABASE_URL). Writes the "tenants" figures into bench/results.json.
Generating the 40 organisations takes some minutes (about 4 s per 1,000 risks on the faster
machine).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
TENANTS_DATABASE = "riskreg_bench_tenants"
os.environ["BENCH_DATABASE_URL"] = os.environ.get(
    "BENCH_TENANTS_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{TENANTS_DATABASE}"
)
import generate as gen  # noqa: E402  (bench/ is scripts, not a package)
import pages  # noqa: E402

OTHERS, OTHER_RISKS = 40, 2_500
WITHIN = 0.10  # the design: within 10% of the figures alone
PAGES = (
    "dashboard",
    "register: sorted by owner",
    "register: filtered, sorted",
    "register: one department",
    "risk page",
    "risk history page",
    "my work",
    "reviews",
    "movement",
    "export csv (all registers)",
)


def recreate_database() -> None:
    name = gen.database_url().rsplit("/", 1)[-1]
    if name != TENANTS_DATABASE:
        return  # a database named by the caller is theirs: never dropped
    for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(  # noqa: S603
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql],  # noqa: S607
            check=True,
            capture_output=True,
        )


def generate_others() -> float:
    from registers.models import Organisation

    started = time.perf_counter()
    for n in range(OTHERS):
        slug = f"tenant{n:02}"
        if Organisation.objects.filter(slug=slug).exists():
            continue
        made = gen.generate(slug=slug, name=f"Tenant {n:02}", risks=OTHER_RISKS)
        print(f"  {slug}: {sum(made.rows.values())} rows in {made.seconds:.1f} s", flush=True)
    gen.analyse()
    return time.perf_counter() - started


def measure(label: str) -> dict:
    print(f"{label}:", flush=True)
    results = {}
    for name in PAGES:
        results.update(pages.run_pages(pages.organisations(), only=name))
    return {name: by_org for name, by_org in results.items() if name in PAGES}


def explain(organisation) -> None:
    """EXPLAIN ANALYZE the three slowest statements of one request of each page."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from registers.models import Membership, Role

    admin = Membership.objects.filter(organisation=organisation, role=Role.ADMIN).first().user
    client = Client()
    client.force_login(admin)
    for page in pages.pages_for(organisation):
        if page.name not in PAGES or page.name.startswith("export"):
            continue
        requests = page.requests(0)
        for request in requests:
            client.get(request.url)  # warm
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            for request in requests:
                client.get(request.url)
        print(f"\n== {organisation.slug}: {page.name}")
        statements = [
            q for q in captured.captured_queries if q["sql"].lstrip().startswith("SELECT")
        ]
        slowest = sorted(statements, key=lambda q: -float(q["time"]))[:3]
        for query in slowest:
            print(f"-- {float(query['time']) * 1000:.2f} ms  {query['sql'][:300]}")
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                print("\n".join(f"   {row[0]}" for row in cursor.fetchall()))


def compare(alone: dict, beside: dict) -> list[str]:
    """Print alone against beside for each page and organisation; return what missed."""
    missed = []
    print(
        f"\n{'page':<30}{'org':>10}{'alone ms':>10}{'sql':>8}{'beside ms':>11}{'sql':>8}"
        f"{'total':>8}{'sql':>8}{'queries':>9}"
    )
    for name in PAGES:
        for slug in (pages.BIG, pages.SMALL):
            a, b = alone.get(name, {}).get(slug), beside.get(name, {}).get(slug)
            if not a or not b:
                continue
            total = b["median_ms"] / a["median_ms"] - 1 if a["median_ms"] else 0
            sql = b["sql_ms"] / a["sql_ms"] - 1 if a["sql_ms"] else 0
            # Below a millisecond of SQL, 10% is the timer's noise: judged by the total alone.
            late = total > WITHIN or (sql > WITHIN and b["sql_ms"] - a["sql_ms"] > 1)
            if late:
                missed.append(f"{name} ({slug})")
            queries = f"{a['queries']}/{b['queries']}"
            print(
                f"{name:<30}{slug:>10}{a['median_ms']:>10.1f}{a['sql_ms']:>8.1f}"
                f"{b['median_ms']:>11.1f}{b['sql_ms']:>8.1f}{total:>+8.0%}{sql:>+8.0%}"
                f"{queries:>9}{'  MISSED' if late else ''}"
            )
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="measure what is there (beside)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the slowest statements")
    parser.add_argument(
        "--explain-only",
        action="store_true",
        help="only EXPLAIN, on what is there (implies --reuse)",
    )
    args = parser.parse_args()
    args.reuse = args.reuse or args.explain_only
    gen.configure()
    if not args.reuse:
        recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    from registers.models import Organisation

    call_command("migrate", verbosity=0)
    if args.explain_only:
        for organisation in pages.organisations().values():
            explain(organisation)
        return
    record = {"machine_before": gen.machine()}
    alone = {}
    if not Organisation.objects.filter(slug=pages.BIG).exists():
        for slug, count, coordinators in ((pages.BIG, 10_000, 50), (pages.SMALL, 100, 1)):
            print(f"generating {slug} ({count} risks) ...", flush=True)
            gen.generate(
                slug=slug, name=f"Bench {count} risks", risks=count, coordinators=coordinators
            )
        gen.analyse()
        alone = measure("alone")
    print(f"generating {OTHERS} other organisations of {OTHER_RISKS} risks ...", flush=True)
    record["generation_s"] = round(generate_others(), 1)
    beside = measure(f"beside {Organisation.objects.count() - 2} other organisations")
    record.update(alone=alone, beside=beside, machine_after=gen.machine())
    if alone:
        missed = compare(alone, beside)
        record["missed"] = missed
        print(
            f"\nwithin {WITHIN:.0%} of alone: {'all' if not missed else 'MISSED ' + ', '.join(missed)}"
        )
    else:
        pages.print_table(beside)
    print(f"machine: {record['machine_after']} (calibration: lower is faster)")
    if args.explain:
        for organisation in pages.organisations().values():
            explain(organisation)
    gen.merge_results("tenants", record)


if __name__ == "__main__":
    main()
