"""Load test: 50 Locust users against gunicorn (DEBUG off) on loopback for 60 s.

    .venv/bin/python bench/load.py --reuse     # on the organisations bench/pages.py generated

gunicorn runs the project's own gunicorn.conf.py (as the web service does, with its workers and
threads unless told otherwise) on a free port against the bench database; Locust runs headless with bench/locustfile.py, spawning 10
users a second; each user signs in and opens each kind of page once (as a long-running worker
would have them compiled); its statistics are reset 10 s after the last sign-in and the run ends
a minute later, so the sign-ins (one password hash each, slow on purpose) and what queued behind
them are not in the figures. Prints requests/s, p50, p95, p99 and
failures, overall and per kind of request, and merges them into bench/results.json ("locust").

It also prints what a request costs the server in CPU, which the clock under a shared machine's
load does not show reliably: the gunicorn workers' CPU seconds over the measured minute (from the
operating system, master and workers, recycled ones included) divided by the requests they
answered in it, and per kind of page the CPU of the request itself in its worker
(bench/gunicorn_bench.conf.py, the project's gunicorn.conf.py plus a hook that records it).
Options: --workers and --threads (default: gunicorn.conf.py's), --cache-url: production's
DJANGO_CACHE_URL (the shared cache: cached_db sessions, the page cache, the header's counts),
by default a Redis database of the bench's own, redis://127.0.0.1:6379/9 (BENCH_CACHE_URL names
another), emptied before the run, when Redis answers there; "none" (or no Redis) runs without
one, as the demo does: sessions in the database and, with several workers, no page cache (a
per-process cache cannot carry one worker's writes to the others).

--slower FACTOR (make bench: --slower 2.3 after the normal run, recorded as "load_slower"):
the same run on an emulated slower machine, the server side (gunicorn and the PostgreSQL
backends of its connections, not Locust) held to 2 cores / FACTOR by a CPU quota in a cgroup
(bench/slower.py: what it is and is not, and why it errs on the pessimistic side). The workers
keep their database connections for the run (DATABASE_CONN_MAX_AGE, 60 s by default, would
renew them, and the new backends start outside the cgroup until the next sweep). Where no cgroup
can be written it says the emulation is unavailable and skips it.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import runpy
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as gen  # noqa: E402
import pages  # noqa: E402
import slower  # noqa: E402

USERS = int(os.environ.get("BENCH_LOCUST_USERS", "50"))
SECONDS = int(os.environ.get("BENCH_LOCUST_SECONDS", "60"))
SPAWN_RATE = 10
RISKS_PER_USER = 10
VAR = gen.ROOT / "var"
CPU_DIR = VAR / "bench-cpu"
# The kinds of request the locustfile names, from the path the server saw.
KINDS = (
    ("login", re.compile(r"^/login/$")),
    ("dashboard", re.compile(r"^/o/[^/]+/$")),
    ("register", re.compile(r"^/o/[^/]+/registers/[^/]+/$")),
    ("edit", re.compile(r"^/o/[^/]+/risks/[^/]+/edit/$")),
    ("risk", re.compile(r"^/o/[^/]+/risks/[^/]+/$")),
)


DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/9"


def default_cache_url() -> str:
    """BENCH_CACHE_URL, else the bench's own Redis database when Redis answers on loopback."""
    if "BENCH_CACHE_URL" in os.environ:
        return os.environ["BENCH_CACHE_URL"]
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return DEFAULT_CACHE_URL
    except OSError:
        return ""


def empty_cache(url: str) -> None:
    """The cache starts empty: pieces cached for another state of the bench database (generated
    again since) must not be read."""
    import redis

    redis.Redis.from_url(url).flushdb()


def gunicorn_defaults() -> dict:
    """The workers and threads gunicorn.conf.py starts here: its defaults, or GUNICORN_WORKERS
    and GUNICORN_THREADS when set, as for the web service."""
    config = runpy.run_path(str(gen.ROOT / "gunicorn.conf.py"))
    return {"workers": config["workers"], "threads": config.get("threads", 1)}


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


def start_gunicorn(
    port: int, log: Path, *, workers: int, threads: int, cache_url: str, extra_env=None
) -> subprocess.Popen:
    env = {
        **os.environ,
        **(extra_env or {}),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_LOG_LEVEL": "warning",
        "BENCH_CPU_DIR": str(CPU_DIR),
    }
    if cache_url:
        env["DJANGO_CACHE_URL"] = cache_url
        empty_cache(cache_url)
    elif workers > 1:
        # The local settings keep the page cache in each process's memory without a broker;
        # several workers would each keep their own, and miss each other's writes.
        env["RISKREG_PAGE_CACHE"] = "false"
    shutil.rmtree(CPU_DIR, ignore_errors=True)
    CPU_DIR.mkdir(parents=True)
    config = gen.ROOT / "bench" / "gunicorn_bench.conf.py"
    process = subprocess.Popen(  # noqa: S603
        [str(gen.ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(config)],
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


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


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


def kind_of(method: str, path: str, query: str) -> str:
    for name, pattern in KINDS:
        if pattern.match(path):
            if name == "register" and re.search(r"(^|&)q=", query):
                name = "search"
            return f"{name} ({method})" if name in ("login", "edit") else name
    return "other"


def cpu_figures(window: dict, served: int) -> dict:
    """CPU per request over the measured minute: the workers' (operating system) over the
    requests they answered, and the request's own in its worker per kind (the hook's lines)."""
    start, end = window["start"], window["end"]
    seconds = end["time"] - start["time"]
    per_kind: dict[str, list[float]] = {}
    for log in CPU_DIR.glob("*.tsv"):
        for line in log.read_text().splitlines():
            at, cpu_ms, method, path, query = (line.split("\t") + [""])[:5]
            if start["time"] <= float(at) <= end["time"]:
                per_kind.setdefault(kind_of(method, path, query), []).append(float(cpu_ms))
    answered = sum(len(times) for times in per_kind.values()) or served
    workers_cpu = end["gunicorn_cpu_s"] - start["gunicorn_cpu_s"]
    machine = end["machine_busy_s"] - start["machine_busy_s"]
    machine_total = end["machine_s"] - start["machine_s"]
    every = [cpu for times in per_kind.values() for cpu in times]
    return {
        "seconds": round(seconds, 1),
        "requests_answered": answered,
        "gunicorn_cpu_s": round(workers_cpu, 2),
        "gunicorn_cpu_ms_per_request": round(workers_cpu * 1000 / answered, 1)
        if answered
        else None,
        "gunicorn_cores_busy": round(workers_cpu / seconds, 2),
        "in_request_cpu_ms_mean": round(statistics.mean(every), 1) if every else None,
        "locust_cpu_s": round(end["locust_cpu_s"] - start["locust_cpu_s"], 2),
        # The whole machine, other people's work included: how busy the 2 cores were.
        "machine_busy_fraction": round(machine / machine_total, 2) if machine_total else None,
        "per_kind": {
            kind: {
                "requests": len(times),
                "cpu_ms_mean": round(statistics.mean(times), 1),
                "cpu_ms_median": round(statistics.median(times), 1),
                "cpu_ms_p95": round(pages.percentile(times, 95), 1),
            }
            for kind, times in sorted(per_kind.items())
        },
    }


def run(
    organisation,
    *,
    workers: int | None = None,
    threads: int | None = None,
    cache_url: str | None = None,
    slower_by: float | None = None,
) -> dict | None:
    """One load run; with ``slower_by``, on the emulated slower machine (None when this machine
    cannot emulate it)."""
    controller = None
    if slower_by:
        slower.quota_us(slower_by)  # a factor under 1 is refused before anything starts
        controller = slower.find_controller()
        if controller is None:
            print(
                "emulated slower machine: unavailable (no writable cgroup cpu controller, v1 or "
                "v2, under /sys/fs/cgroup: needs root); skipped",
                flush=True,
            )
            return None
        print(slower.banner(slower_by), flush=True)
    defaults = gunicorn_defaults()
    workers = workers or defaults["workers"]
    threads = threads or defaults["threads"]
    cache_url = default_cache_url() if cache_url is None else cache_url
    cache_url = "" if cache_url == "none" else cache_url
    VAR.mkdir(exist_ok=True)
    plan, prefix = VAR / "bench-locust-plan.json", VAR / "bench-locust"
    window = VAR / "bench-locust-window.json"
    window.unlink(missing_ok=True)
    write_plan(organisation, plan)
    port = free_port()
    emulation = None
    with contextlib.ExitStack() as stack:
        cgroup = keeper = None
        if controller:
            cgroup = stack.enter_context(
                slower.SlowCgroup(controller, slower_by, processes=1 + 2 * workers)
            )
        server = start_gunicorn(
            port,
            VAR / "bench-gunicorn.log",
            workers=workers,
            threads=threads,
            cache_url=cache_url,
            # Connections kept for the whole run, so their backends stay the ones moved in.
            extra_env={"DATABASE_CONN_MAX_AGE": "86400"} if cgroup else None,
        )
        stack.callback(stop, server)
        if cgroup:
            keeper = slower.Keeper(cgroup, server.pid)
            keeper.start()
            stack.callback(keeper.stop)
        started = time.perf_counter()
        locust_log = VAR / "bench-locust.log"
        completed = subprocess.run(  # noqa: S603
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
                "BENCH_LOCUST_WINDOW": str(window),
                "BENCH_GUNICORN_PID": str(server.pid),
            },
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=locust_log.open("w"),
            timeout=SECONDS + 300,
        )
        elapsed = time.perf_counter() - started
        if not window.exists():
            print(
                f"Locust ended (exit {completed.returncode}) without measuring: see {locust_log}",
                file=sys.stderr,
            )
        if cgroup:
            emulation = {
                "factor": slower_by,
                "cores": slower.cores_left(slower_by),
                "quota_us": slower.quota_us(slower_by),
                "weight": slower.weight(1 + 2 * workers, controller.version),
                "period_us": slower.PERIOD_US,
                "cgroup": f"{controller.version} {controller.path}",
                "gunicorn_workers_moved": len(keeper.workers),
                "postgres_backends_moved": len(keeper.backends),
                # The whole run's, sign-ins included.
                "throttling": cgroup.throttling(),
                "note": slower.banner(slower_by),
            }
    stats = read_stats(prefix)
    result = {
        "users": USERS,
        "seconds": SECONDS,
        "gunicorn_workers": workers,
        "gunicorn_threads": threads,
        "cache": cache_url or "none (sessions in the database)",
        "wall_seconds": round(elapsed, 1),
        "stats": stats,
        "machine": gen.machine(),
    }
    if emulation:
        result["emulated_slower_machine"] = emulation
    if window.exists():
        served = stats.get("Aggregated", {}).get("requests", 0)
        result["cpu"] = cpu_figures(json.loads(window.read_text()), served)
    return result


def print_stats(result: dict) -> None:
    print()
    print(
        f"Locust: {result['users']} users, {result['seconds']} s, gunicorn "
        f"{result['gunicorn_workers']} workers x {result['gunicorn_threads']} threads, cache: "
        f"{result['cache']} (target: p95 < 300 ms, no failures)"
    )
    print(f"{'request':<16}{'count':>7}{'fail':>6}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}")
    for name, row in sorted(result["stats"].items(), key=lambda item: item[0] == "Aggregated"):
        print(
            f"{name:<16}{row['requests']:>7}{row['failures']:>6}{row['requests_per_s']:>8.1f}"
            f"{row['p50_ms']:>7.0f}{row['p95_ms']:>7.0f}{row['p99_ms']:>7.0f}"
        )
    cpu = result.get("cpu")
    if cpu:
        print(
            f"\nServer CPU over the measured {cpu['seconds']} s: gunicorn "
            f"{cpu['gunicorn_cpu_s']} s for {cpu['requests_answered']} requests = "
            f"{cpu['gunicorn_cpu_ms_per_request']} ms a request ({cpu['gunicorn_cores_busy']} "
            f"cores); in the request itself {cpu['in_request_cpu_ms_mean']} ms on average; "
            f"Locust {cpu['locust_cpu_s']} s; machine {cpu['machine_busy_fraction']:.0%} busy"
        )
        print(f"{'CPU in request':<16}{'count':>7}{'mean':>7}{'median':>8}{'p95':>7}")
        for kind, row in cpu["per_kind"].items():
            print(
                f"{kind:<16}{row['requests']:>7}{row['cpu_ms_mean']:>7.1f}"
                f"{row['cpu_ms_median']:>8.1f}{row['cpu_ms_p95']:>7.1f}"
            )
    emulation = result.get("emulated_slower_machine")
    if emulation:
        throttled = emulation.get("throttling") or {}
        print(
            f"\n{emulation['note']}\nin the cgroup ({emulation['cgroup']}, quota "
            f"{emulation['quota_us']} us every {emulation['period_us']} us): gunicorn's master, "
            f"{emulation['gunicorn_workers_moved']} workers and "
            f"{emulation['postgres_backends_moved']} PostgreSQL backends; the quota held them "
            f"back in {throttled.get('throttled_periods', '?')} of "
            f"{throttled.get('periods', '?')} periods ({throttled.get('throttled_s', '?')} s, "
            "the whole run)"
        )
        busy = (cpu or {}).get("machine_busy_fraction")
        if busy is not None and busy >= 0.9:
            # The quota is a ceiling: other work on the machine can hold the server below it.
            print(
                f"the machine was {busy:.0%} busy: what else ran on it, not only the quota, "
                "held the server back; emulate on a quiet machine (calibration near its quiet "
                "figure) before reading these figures as the slower machine's"
            )
    machine = result["machine"]
    print(
        f"calibration {machine['calibration_ms']} ms, load average "
        f"{' / '.join(str(x) for x in machine['load_average_1_5_15'])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="use the organisations already there")
    defaults = gunicorn_defaults()
    parser.add_argument(
        "--workers",
        type=int,
        default=defaults["workers"],
        help=f"gunicorn workers (default: gunicorn.conf.py's, {defaults['workers']})",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=defaults["threads"],
        help=f"threads a worker (default: gunicorn.conf.py's, {defaults['threads']})",
    )
    parser.add_argument(
        "--cache-url",
        default=None,
        help=f"DJANGO_CACHE_URL for gunicorn, emptied first, or none (default: {DEFAULT_CACHE_URL} "
        "when Redis answers)",
    )
    parser.add_argument(
        "--slower",
        type=float,
        metavar="FACTOR",
        help=f"emulate a machine FACTOR times slower (ours: {slower.FACTOR}): the server side "
        "held to 2 cores / FACTOR by a CPU quota (root; recorded as load_slower)",
    )
    args = parser.parse_args()
    if args.slower is not None and args.slower < 1:
        parser.error("--slower: a factor of at least 1")
    pages.setup(reuse=args.reuse)
    result = run(
        pages.organisations()[pages.BIG],
        workers=args.workers,
        threads=args.threads,
        cache_url=args.cache_url,
        slower_by=args.slower,
    )
    if result is None:  # the emulation is unavailable here
        return
    print_stats(result)
    gen.merge_results("load_slower" if args.slower else "locust", result)


if __name__ == "__main__":
    main()
