"""Many organisations in one database: the pages of a 10,000-risk and a 100-risk organisation
alone, then again beside 40 other organisations of 2,500 risks each (110,100 risks in all, some
3.8 million rows), as a hosted installation keeps them.

    .venv/bin/python bench/tenants.py            # generate, measure alone, grow, measure again
    .venv/bin/python bench/tenants.py --reuse    # measure again on what is there (beside only)
    .venv/bin/python bench/tenants.py --explain  # also EXPLAIN ANALYZE each page's slowest SQL
    .venv/bin/python bench/tenants.py --others 4 # a quick trial: 4 other organisations

The design asks every page's time and SQL time to stay within 10% of the single-organisation
figures: nothing a page does may grow with the installation instead of the organisation. Each
page is measured as in bench/pages.py (test client, DEBUG off) with the time spent in the
database beside the total, in BENCH_TENANTS_PASSES passes (default 3) of BENCH_PAGE_RUNS runs
(default 20) over all the pages, so a page's runs are spread over minutes: its figure is the
median of its passes' medians, and how far those passes disagree (with how far the machine's
calibration moved between alone and beside) is the noise bench/targets.py weighs a change
against. A page is met within 10%, missed beyond 10% plus that noise, and "within noise" between.

Uses its own PostgreSQL database (riskreg_bench_tenants, recreated unless --reuse; override
with BENCH_TENANTS_DATABASE_URL). Writes the "tenants" figures into bench/results.json (with
--reuse, the figures alone are carried over from the last full run and marked with its time).
Generating the 40 organisations takes some minutes (about 4 s per 1,000 risks on the faster
machine).
"""

from __future__ import annotations

import argparse
import os
import statistics
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
import targets  # noqa: E402

OTHERS, OTHER_RISKS = 40, 2_500
PASSES = int(os.environ.get("BENCH_TENANTS_PASSES", "3"))
PAGES = (
    "dashboard",
    "register: sorted by owner",
    "register: filtered, sorted",
    "register: search",
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


def generate_others(others: int) -> float:
    from registers.models import Organisation

    started = time.perf_counter()
    for n in range(others):
        slug = f"tenant{n:02}"
        if Organisation.objects.filter(slug=slug).exists():
            continue
        made = gen.generate(slug=slug, name=f"Tenant {n:02}", risks=OTHER_RISKS)
        print(f"  {slug}: {sum(made.rows.values())} rows in {made.seconds:.1f} s", flush=True)
    gen.analyse()
    return time.perf_counter() - started


def combine(passes: list[dict]) -> dict:
    """One page's figures at one size from its passes: the median of the passes' medians (total
    and SQL), each pass kept for the noise."""
    return {
        "median_ms": round(statistics.median(f["median_ms"] for f in passes), 1),
        "p95_ms": round(statistics.median(f["p95_ms"] for f in passes), 1),
        "sql_ms": round(statistics.median(f["sql_ms"] for f in passes), 1),
        "queries": max(f["queries"] for f in passes),
        "query_counts_seen": sorted({n for f in passes for n in f["query_counts_seen"]}),
        "runs": sum(f["runs"] for f in passes),
        "passes": [{"median_ms": f["median_ms"], "sql_ms": f["sql_ms"]} for f in passes],
    }


def measure(label: str) -> dict:
    """Every page of PAGES at both sizes, PASSES times over, as {page: {slug: figures}}, with
    the machine (calibration, load) before and after."""
    print(f"{label}: {PASSES} passes of {pages.RUNS} runs a page", flush=True)
    before = gen.machine()
    started = time.perf_counter()
    seen: dict[str, dict[str, list[dict]]] = {}
    for n in range(PASSES):
        print(f" pass {n + 1} of {PASSES}", flush=True)
        for name in PAGES:
            for page, by_org in pages.run_pages(pages.organisations(), only=name).items():
                if page != name:
                    continue
                for slug, figures in by_org.items():
                    seen.setdefault(page, {}).setdefault(slug, []).append(figures)
    return {
        "pages": {
            page: {slug: combine(passes) for slug, passes in by_org.items()}
            for page, by_org in seen.items()
        },
        "seconds": round(time.perf_counter() - started, 1),
        "machine_before": before,
        "machine_after": gen.machine(),
    }


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


def compare(record: dict) -> list[str]:
    """Print alone against beside for each page and organisation, judged as bench/targets.py
    judges them; return the pages missed."""
    alone, beside = record["alone"]["pages"], record["beside"]["pages"]
    drift = targets.calibration_drift(record)
    missed = []
    print(
        f"\n{'page':<30}{'org':>10}{'alone ms':>10}{'sql':>7}{'beside ms':>11}{'sql':>7}"
        f"{'total':>8}{'sql':>7}{'noise':>7}{'queries':>9}  within {targets.WITHIN:.0%}?"
    )
    for name in PAGES:
        for slug in (pages.BIG, pages.SMALL):
            a, b = alone.get(name, {}).get(slug), beside.get(name, {}).get(slug)
            if not a or not b:
                continue
            judged = targets.judge_change(a, b, drift=drift)
            if judged["verdict"] == targets.MISSED:
                missed.append(f"{name} ({slug})")
            print(
                f"{name:<30}{slug:>10}{a['median_ms']:>10.1f}{a['sql_ms']:>7.1f}"
                f"{b['median_ms']:>11.1f}{b['sql_ms']:>7.1f}{judged['total']:>+8.0%}"
                f"{judged['sql']:>+7.0%}{judged['noise']:>7.0%}"
                f"{a['queries']:>4}/{b['queries']:<4}  {judged['verdict']}"
            )
    print(
        f"(median of {PASSES} passes' medians, {pages.RUNS} runs each; noise: half the spread "
        f"of the passes plus the calibration's move between alone and beside, {drift:.0%}; SQL "
        f"within {targets.SQL_FLOOR_MS} ms counts as met)"
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
    parser.add_argument(
        "--others", type=int, default=OTHERS, help=f"other organisations (default {OTHERS})"
    )
    args = parser.parse_args()
    args.reuse = args.reuse or args.explain_only
    started = time.perf_counter()
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
    record = {
        "when": gen.now_iso(),
        "others": args.others,
        "other_risks": OTHER_RISKS,
        "passes": PASSES,
        "runs_per_pass": pages.RUNS,
    }
    if not Organisation.objects.filter(slug=pages.BIG).exists():
        generating = time.perf_counter()
        for slug, count, coordinators in ((pages.BIG, 10_000, 50), (pages.SMALL, 100, 1)):
            print(f"generating {slug} ({count} risks) ...", flush=True)
            gen.generate(
                slug=slug, name=f"Bench {count} risks", risks=count, coordinators=coordinators
            )
        gen.analyse()
        record["generation_measured_s"] = round(time.perf_counter() - generating, 1)
    if not Organisation.objects.filter(slug__startswith="tenant").exists():
        record["alone"] = measure("alone")
        record["alone_when"] = record["when"]
    else:
        # The organisations alone can no longer be measured here: the last full run's figures,
        # with their time, so the summary can say they are older than this run.
        earlier = gen.read_results().get("tenants") or {}
        if isinstance(earlier.get("alone"), dict) and "pages" in earlier["alone"]:
            record["alone"] = earlier["alone"]
            record["alone_when"] = earlier.get("alone_when") or earlier.get("when")
    print(f"generating {args.others} other organisations of {OTHER_RISKS} risks ...", flush=True)
    record["generation_s"] = round(generate_others(args.others), 1)
    risks = Organisation.objects.count() - 2
    record["beside"] = measure(f"beside {risks} other organisations")
    record["beside_when"] = gen.now_iso()
    record["risks_in_database"] = _risks()
    if "alone" in record:
        missed = compare(record)
        record["missed"] = missed
        print(
            f"\nwithin {targets.WITHIN:.0%} of alone: "
            + ("all (or within noise)" if not missed else "MISSED " + ", ".join(missed))
        )
    else:
        pages.print_table(record["beside"]["pages"])
    record["seconds"] = round(time.perf_counter() - started, 1)
    print(
        f"{record['risks_in_database']:,} risks in the database; the run took "
        f"{record['seconds']:.0f} s; machine: {record['beside']['machine_after']} "
        "(calibration: lower is faster)"
    )
    if args.explain:
        for organisation in pages.organisations().values():
            explain(organisation)
    gen.merge_results("tenants", record)


def _risks() -> int:
    from registers.models import Risk

    return Risk.objects.count()


if __name__ == "__main__":
    main()
