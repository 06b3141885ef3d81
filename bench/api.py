"""The REST API and the reporting feed at 10,000 risks (and 100), against PostgreSQL.

    .venv/bin/python bench/api.py            # generate both organisations, then measure
    .venv/bin/python bench/api.py --reuse    # measure again on the data already there
    .venv/bin/python bench/api.py --reuse --profile   # cProfile of ten pages of 100

In a database of its own, riskreg_bench_api on 127.0.0.1:5432, dropped and made again each run
(BENCH_DATABASE_URL names another; that one is never dropped), with bench/generate.py's
organisations (10,000 risks, each with eight quarters of history; 100 risks). Requests go
in-process through Django's test client with a real Bearer token (DEBUG off, the throttle
raised so the benchmark is not refused):

- ``GET /api/v1/risks/?organisation=…&page_size=100``: BENCH_API_RUNS requests (default 200)
  after 10 warm-ups, each a page of 100 risks, walking the cursor through the organisation (the
  first page, then each ``next``, round again at the end); median, 95th percentile, CPU time
  and the query count. Target (issue 19): p95 under 150 ms at 10,000 risks;
- the same filtered to one register and ``appetite=breach``;
- the reporting feed: risks (JSON and CSV) and the history table (eight quarter ends), each
  read whole (the streamed body consumed), median of BENCH_FEED_RUNS (default 5): time, CPU,
  size, rows and queries.

Prints the figures with the calibration figure and merges them into bench/results.json under
"api". Not part of make test: timings depend on the machine and what else runs on it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as gen  # noqa: E402

DATABASE = "riskreg_bench_api"
DEFAULT_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
BIG, SMALL = "benchapi10k", "benchapi100"
RUNS = int(os.environ.get("BENCH_API_RUNS", "200"))
WARM_UP = 10
FEED_RUNS = int(os.environ.get("BENCH_FEED_RUNS", "5"))
TARGET_P95_MS = 150


def setup(*, reuse: bool) -> dict:
    os.environ.setdefault("BENCH_DATABASE_URL", DEFAULT_URL)
    # The per-token throttle (600/min) would refuse a benchmark's 200 quick requests.
    os.environ["RISKREG_API_RATE"] = "1000000/min"
    gen.configure()
    if not reuse and gen.database_url() == DEFAULT_URL:
        for sql in (
            f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)",
            f"CREATE DATABASE {DATABASE}",
        ):
            subprocess.run(  # noqa: S603
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql],  # noqa: S607
                check=True,
                capture_output=True,
            )
    import django

    django.setup()
    from django.core.management import call_command

    from registers.models import Organisation

    call_command("migrate", verbosity=0)
    generation = {}
    for slug, count in ((BIG, 10_000), (SMALL, 100)):
        if Organisation.objects.filter(slug=slug).exists():
            continue
        print(f"generating {slug} ({count} risks) ...", flush=True)
        made = gen.generate(slug=slug, name=f"Bench API {count} risks", risks=count)
        generation[slug] = {"seconds": round(made.seconds, 1), "rows": made.rows}
        print(f"  {sum(made.rows.values())} rows in {made.seconds:.1f} s", flush=True)
    if generation:
        gen.analyse()
    return generation


def client_for(organisation):
    """A test client carrying a fresh read-only token of the organisation's admin."""
    from django.test import Client

    from api.services import api_token_create
    from registers.models import Membership, Role

    admin = (
        Membership.objects.filter(organisation=organisation, role=Role.ADMIN)
        .order_by("id")
        .first()
        .user
    )
    _, secret = api_token_create(
        user=admin, name=f"bench {time.time_ns()}", organisations=[organisation]
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _percentile(values, pct):
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def measure_pages(client, first: str, *, runs: int = RUNS) -> dict:
    """``runs`` pages of the list, following ``next`` (back to ``first`` at the end)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = first
    walls, cpus, counts, sizes, sql = [], [], [], [], []
    for run in range(WARM_UP + runs):
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            body = response.content
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {body[:2000]!r}")
        data = json.loads(body)
        url = _relative(data["next"]) if data.get("next") else first
        if run >= WARM_UP:
            walls.append(wall * 1000)
            cpus.append(cpu * 1000)
            counts.append(len(captured))
            sizes.append(len(data["results"]))
            sql.append(sum(float(query["time"]) for query in captured.captured_queries) * 1000)
    return {
        "median_ms": round(statistics.median(walls), 1),
        "p95_ms": round(_percentile(walls, 95), 1),
        "cpu_median_ms": round(statistics.median(cpus), 1),
        "cpu_p95_ms": round(_percentile(cpus, 95), 1),
        # Time in the queries as Django's cursor saw it (PostgreSQL's work and the wait for it).
        "sql_median_ms": round(statistics.median(sql), 1),
        "queries": max(counts),
        "query_counts_seen": sorted(set(counts)),
        "risks_a_page": max(sizes),
        "runs": runs,
    }


def measure_feed(client, url: str, *, runs: int = FEED_RUNS) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walls, cpus, counts, sql = [], [], [], []
    size = rows = 0
    for run in range(1 + runs):
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            body = b"".join(response.streaming_content)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {body[:2000]!r}")
        size = len(body)
        rows = len(json.loads(body)) if url.endswith(".json") else body.count(b"\n") - 1
        if run:  # the first is a warm-up
            walls.append(wall * 1000)
            cpus.append(cpu * 1000)
            counts.append(len(captured))
            sql.append(sum(float(query["time"]) for query in captured.captured_queries) * 1000)
    return {
        "median_ms": round(statistics.median(walls), 1),
        "max_ms": round(max(walls), 1),
        # Without the server-side cursor's fetches, which Django's cursor does not time.
        "sql_median_ms": round(statistics.median(sql), 1),
        "cpu_median_ms": round(statistics.median(cpus), 1),
        "bytes": size,
        "rows": rows,
        "queries": max(counts),
        "query_counts_seen": sorted(set(counts)),
        "runs": runs,
    }


def cases(organisation) -> list[tuple[str, str, str]]:
    slug = organisation.slug
    return [
        ("list", "risks, page of 100", f"/api/v1/risks/?organisation={slug}&page_size=100"),
        (
            "list",
            "risks, one register, open, page of 100",
            f"/api/v1/risks/?organisation={slug}&register=finance&status=open&page_size=100",
        ),
        ("feed", "feed risks.json", f"/api/v1/feed/{slug}/risks.json"),
        ("feed", "feed risks.csv", f"/api/v1/feed/{slug}/risks.csv"),
        ("feed", "feed history.json (8 quarters)", f"/api/v1/feed/{slug}/history.json"),
        ("feed", "feed history.csv (8 quarters)", f"/api/v1/feed/{slug}/history.csv"),
    ]


def run(organisations: dict, *, only: str = "") -> dict:
    results: dict[str, dict] = {}
    for slug, organisation in organisations.items():
        client = client_for(organisation)
        for kind, name, url in cases(organisation):
            if only and only not in name:
                continue
            figures = measure_pages(client, url) if kind == "list" else measure_feed(client, url)
            results.setdefault(name, {})[slug] = figures
            print(f"  {slug:<12} {name:<46} {figures}", flush=True)
    return results


def print_table(results: dict) -> None:
    print()
    print(
        f"{'request':<46}{'10k median':>11}{'p95':>9}{'CPU':>8}{'SQL':>8}{'queries':>8}"
        f"{'100 median':>11}{'queries':>8}  size / rows at 10k"
    )
    for name, by_org in results.items():
        big, small = by_org.get(BIG), by_org.get(SMALL)
        if not big or not small:
            continue
        p95 = big.get("p95_ms", big.get("max_ms"))
        extra = (
            f"{big['bytes'] / 1e6:.1f} MB, {big['rows']:,} rows"
            if "bytes" in big
            else f"p95 target < {TARGET_P95_MS} ms: "
            + ("met" if big["p95_ms"] < TARGET_P95_MS else "MISSED")
        )
        print(
            f"{name:<46}{big['median_ms']:>11.1f}{p95:>9.1f}{big['cpu_median_ms']:>8.1f}"
            f"{big['sql_median_ms']:>8.1f}{big['queries']:>8}{small['median_ms']:>11.1f}{small['queries']:>8}  {extra}"
        )


def profile(organisation) -> None:
    """cProfile (the standard library's: nothing to install) of ten pages of 100, by own time."""
    import cProfile
    import pstats

    client = client_for(organisation)
    url = cases(organisation)[0][2]
    for _ in range(3):
        client.get(url)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="time the data already there")
    parser.add_argument("--profile", action="store_true", help="profile a page of 100 instead")
    parser.add_argument("--only", default="", help="only requests whose name contains this")
    args = parser.parse_args()
    generation = setup(reuse=args.reuse)
    from registers.models import Organisation

    organisations = {slug: Organisation.objects.get(slug=slug) for slug in (BIG, SMALL)}
    if args.profile:
        profile(organisations[BIG])
        return
    # As a gunicorn worker does after loading the application (gunicorn.conf.py): what is
    # loaded by now is kept out of the collector's full passes, which otherwise walk it all.
    gc.collect()
    gc.freeze()
    results = run(organisations, only=args.only)
    record = {"machine": gen.machine(), "requests": results}
    if generation:
        record["generation"] = generation
    if not args.only:
        gen.merge_results("api", record)
    print_table(results)
    print(
        f"machine: {record['machine']} (calibration: a fixed Python workload, lower is faster)"
        + ("" if args.only else f"; figures merged into {gen.RESULTS}")
    )


if __name__ == "__main__":
    main()
