"""Load test: 50 Locust users against gunicorn (2 workers, DEBUG off) on loopback for 60 s.

    .venv/bin/python bench/load.py --reuse     # on the organisations bench/pages.py generated

gunicorn runs the project's own gunicorn.conf.py (as the web service does) with 2 workers on a
free port against the bench database; Locust runs headless with bench/locustfile.py, spawning 10
users a second; each user signs in and opens each kind of page once (as a long-running worker
would have them compiled); its statistics are reset 10 s after the last sign-in and the run ends
a minute later, so the sign-ins (one password hash each, slow on purpose) and what queued behind
them are not in the figures. Prints requests/s, p50, p95, p99 and
failures, overall and per kind of request, and merges them into bench/results.json ("locust").
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as gen  # noqa: E402
import pages  # noqa: E402

USERS = int(os.environ.get("BENCH_LOCUST_USERS", "50"))
SECONDS = int(os.environ.get("BENCH_LOCUST_SECONDS", "60"))
SPAWN_RATE = 10
WORKERS = 2
RISKS_PER_USER = 10
VAR = gen.ROOT / "var"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_plan(organisation, path: Path) -> None:
    """Who signs in, what they read and which risks each may edit (disjoint, so users rarely
    collide: two never edit the same risk)."""
    import random

    from registers.models import Category, Membership, Register, Risk, RiskStatus, Role

    coordinators = list(
        Membership.objects.filter(
            organisation=organisation, role__in=[Role.ADMIN, Role.COORDINATOR]
        )
        .select_related("user")
        .order_by("id")
    )
    if len(coordinators) < USERS:
        raise SystemExit(
            f"{organisation.slug} has {len(coordinators)} coordinators; the load test needs "
            f"{USERS}: generate it again (bench/pages.py without --reuse)"
        )
    risks = list(
        Risk.objects.filter(organisation=organisation, status=RiskStatus.OPEN)
        .select_related("category")
        .order_by("id")[: USERS * RISKS_PER_USER]
    )
    refs = list(Risk.objects.filter(organisation=organisation).values_list("ref", flat=True))
    rng = random.Random(6)  # noqa: S311
    plan = {
        "organisation": organisation.slug,
        "password": gen.PASSWORD,
        "registers": list(
            Register.objects.filter(organisation=organisation).values_list("slug", flat=True)
        ),
        "categories": list(
            Category.objects.filter(organisation=organisation).values_list("id", flat=True)
        ),
        "read_refs": rng.sample(refs, min(500, len(refs))),
        "users": [
            {
                "email": membership.user.email,
                "risks": [
                    (risk.ref, pages.edit_form_data(risk))
                    for risk in risks[n * RISKS_PER_USER : (n + 1) * RISKS_PER_USER]
                ],
            }
            for n, membership in enumerate(coordinators[:USERS])
        ],
    }
    path.write_text(json.dumps(plan))


def start_gunicorn(port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(WORKERS),
        "GUNICORN_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(  # noqa: S603
        [str(gen.ROOT / ".venv" / "bin" / "gunicorn"), "riskreg.wsgi:application"],
        cwd=gen.ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit {process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2):  # noqa: S310
                return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"gunicorn did not answer on port {port} within 60 s; see {log}")


def read_stats(prefix: Path) -> dict:
    with Path(f"{prefix}_stats.csv").open() as stats:
        rows = list(csv.DictReader(stats))

    def figures(row) -> dict:
        return {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "requests_per_s": round(float(row["Requests/s"]), 1),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
        }

    # Kinds with no request in the measured minute (the sign-ins) have no percentiles.
    return {row["Name"]: figures(row) for row in rows if int(row["Request Count"])}


def run(organisation) -> dict:
    VAR.mkdir(exist_ok=True)
    plan, prefix = VAR / "bench-locust-plan.json", VAR / "bench-locust"
    write_plan(organisation, plan)
    port = free_port()
    server = start_gunicorn(port, VAR / "bench-gunicorn.log")
    try:
        started = time.perf_counter()
        subprocess.run(  # noqa: S603
            [
                str(gen.ROOT / ".venv" / "bin" / "locust"),
                "-f",
                str(gen.ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--users",
                str(USERS),
                "--spawn-rate",
                str(SPAWN_RATE),
                # A safety stop: the locustfile ends the run a minute after the last sign-in.
                "--run-time",
                f"{SECONDS + 180}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env={
                **os.environ,
                "BENCH_LOCUST_PLAN": str(plan),
                "BENCH_LOCUST_USERS": str(USERS),
                "BENCH_LOCUST_SECONDS": str(SECONDS),
            },
            check=False,
            capture_output=True,
            timeout=SECONDS + 300,
        )
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    stats = read_stats(prefix)
    return {
        "users": USERS,
        "seconds": SECONDS,
        "gunicorn_workers": WORKERS,
        "wall_seconds": round(elapsed, 1),
        "stats": stats,
        "machine": gen.machine(),
    }


def print_stats(result: dict) -> None:
    print()
    print(
        f"Locust: {result['users']} users, {result['seconds']} s, gunicorn {result['gunicorn_workers']}"
        " workers (target: p95 < 300 ms, no failures)"
    )
    print(f"{'request':<16}{'count':>7}{'fail':>6}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}")
    for name, row in sorted(result["stats"].items(), key=lambda item: item[0] == "Aggregated"):
        print(
            f"{name:<16}{row['requests']:>7}{row['failures']:>6}{row['requests_per_s']:>8.1f}"
            f"{row['p50_ms']:>7.0f}{row['p95_ms']:>7.0f}{row['p99_ms']:>7.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="use the organisations already there")
    args = parser.parse_args()
    pages.setup(reuse=args.reuse)
    result = run(pages.organisations()[pages.BIG])
    print_stats(result)
    gen.merge_results("locust", result)


if __name__ == "__main__":
    main()
