"""Spreadsheet import: a 10,000-row file from the command line and a 30-row file in the browser.

    .venv/bin/python bench/imports.py                  # 10,000 rows, then 30 in the browser
    .venv/bin/python bench/imports.py --rows 2000      # a smaller file
    .venv/bin/python bench/imports.py --profile --rows 1000   # cProfile of the command's import

Each row of the generated workbook is a new risk with a category, owner, manager, objectives,
inherent, current and target positions, a response, two controls and an action (one per line),
as a coordinator's register is. Measured in a throwaway organisation made by bench/generate.py
(200 members) in a database of its own, riskreg_bench_imports on 127.0.0.1:5432, dropped and
made again each run (BENCH_DATABASE_URL names another; that one is never dropped).

- ``import_register`` creating every row, then the same file changed (each title edited and one
  control more per row: 10,000 updates), then run a third time (nothing changes);
- the browser's upload (check), preview and confirm of a 30-row file, signed in as the admin
  (median of 5 runs, each into a register of its own so every run creates 30 risks).

Prints the figures with the calibration figure and merges them into bench/results.json under
"imports". Not part of make test: timings depend on the machine and what else runs on it.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as gen  # noqa: E402

DATABASE = "riskreg_bench_imports"
DEFAULT_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
SLUG = "bench-import"
BROWSER_ROWS = 30
BROWSER_RUNS = 5


def setup() -> object:
    os.environ.setdefault("BENCH_DATABASE_URL", DEFAULT_URL)
    gen.configure()
    if gen.database_url() == DEFAULT_URL:
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

    call_command("migrate", verbosity=0)
    from registers.models import Objective

    made = gen.generate(slug=SLUG, name="Bench imports", risks=0, people=200)
    Objective.objects.bulk_create(
        Objective(organisation=made.organisation, code=f"SO{n}", name=f"Objective {n}", position=n)
        for n in range(1, 5)
    )
    return made


def workbook(made, *, rows: int, prefix: str = "IMP", edited: bool = False) -> bytes:
    """``rows`` risks, each with two controls and an action; ``edited``: the same refs with
    changed titles and a third control."""
    from openpyxl import Workbook

    people = [person.email for person in made.people]
    categories = gen.CATEGORIES
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Risks")
    sheet.append(
        [
            "ref",
            "title",
            "description",
            "category",
            "owner",
            "manager",
            "objectives",
            "inherent_likelihood",
            "inherent_impact",
            "current_likelihood",
            "current_impact",
            "target_likelihood",
            "target_impact",
            "response",
            "controls",
            "actions",
        ]
    )
    for n in range(rows):
        words = " ".join(gen.WORDS[(n * k) % len(gen.WORDS)] for k in (1, 3, 7))
        controls = [f"Monthly review of {words}", f"Policy on {gen.WORDS[n % len(gen.WORDS)]}"]
        if edited:
            controls.append(f"Quarterly audit of {words}")
        sheet.append(
            [
                f"{prefix}{n:05}",
                f"{words.capitalize()} risk {n}" + (" (revised)" if edited else ""),
                f"Cause: {words}. Event: the {gen.WORDS[(n * 5) % len(gen.WORDS)]} fails.",
                categories[n % len(categories)],
                people[n % len(people)],
                people[(n * 7 + 3) % len(people)],
                f"SO{1 + n % 4}",
                5 - n % 2,
                4 + n % 2,
                3 + n % 3,
                3 + n % 2,
                1 + n % 2,
                2,
                "Treat",
                "\n".join(controls),
                f"Agree a plan for {words}",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def command(path: Path, register: str = "corporate") -> dict:
    from django.core.management import call_command
    from django.db import connection

    counter, out = QueryCounter(), io.StringIO()
    with connection.execute_wrapper(counter):
        wall, cpu = time.perf_counter(), time.process_time()
        call_command(
            "import_register", str(path), "--org", SLUG, "--register", register, stdout=out
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    summary = out.getvalue().strip().splitlines()[-1]
    return {
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "queries": counter.count,
        "summary": summary.split(": ", 1)[-1],
    }


def run_command(made, rows: int) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, data in (
            ("create", workbook(made, rows=rows)),
            ("update", workbook(made, rows=rows, edited=True)),
            ("unchanged", workbook(made, rows=rows, edited=True)),
        ):
            path = Path(folder) / f"{name}.xlsx"
            path.write_bytes(data)
            print(f"import_register, {rows:,} rows, {name} ...", flush=True)
            results[name] = command(path)
            results[name]["ms_per_row"] = round(results[name]["seconds"] * 1000 / rows, 2)
            print(f"  {results[name]}", flush=True)
    return results


def run_browser(made) -> dict:
    """Upload (the check), preview and confirm of a 30-row file, each run into a new register."""
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from registers.services.organisations import register_create

    client = Client()
    client.force_login(made.coordinator)
    steps: dict[str, list[float]] = {"upload": [], "preview": [], "confirm": []}
    queries: dict[str, int] = {}
    for run in range(BROWSER_RUNS + 1):
        register = register_create(
            organisation=made.organisation, slug=f"browser-{run}", name=f"Browser {run}"
        )
        data = workbook(made, rows=BROWSER_ROWS, prefix=f"B{run}-")
        upload_url = reverse("register_import", args=[SLUG, register.slug])
        timings, counts = {}, {}
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            response = client.post(
                upload_url, {"file": _named(data, f"browser-{run}.xlsx")}, follow=False
            )
            timings["upload"] = time.perf_counter() - started
            assert response.status_code == 302, response.status_code  # noqa: S101
            preview_url = response["Location"]
            counts["upload"], counter.count = counter.count, 0
            started = time.perf_counter()
            response = client.get(preview_url)
            timings["preview"] = time.perf_counter() - started
            counts["preview"], counter.count = counter.count, 0
            fingerprint = re.search(rb'name="fingerprint" value="([0-9a-f]+)"', response.content)
            fingerprint = fingerprint.group(1).decode()
            started = time.perf_counter()
            response = client.post(preview_url, {"fingerprint": fingerprint, "confirm": "1"})
            timings["confirm"] = time.perf_counter() - started
            counts["confirm"] = counter.count
            assert response.status_code == 302, response.status_code  # noqa: S101
        if run == 0:
            continue  # warm-up
        for name, seconds in timings.items():
            steps[name].append(seconds)
        queries = counts
    result = {
        name: {"median_ms": round(statistics.median(values) * 1000), "queries": queries[name]}
        for name, values in steps.items()
    }
    total = [sum(steps[name][n] for name in steps) for n in range(BROWSER_RUNS)]
    result["all three"] = {"median_ms": round(statistics.median(total) * 1000)}
    return result


def _named(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        name, data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def profile(made, rows: int, *, update: bool = False) -> None:
    """cProfile's tables of one import: creating ``rows`` risks, or (``update``) changing them."""
    import cProfile
    import pstats

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profile.xlsx"
        path.write_bytes(workbook(made, rows=rows))
        if update:
            command(path)
            path.write_bytes(workbook(made, rows=rows, edited=True))
        profiler = cProfile.Profile()
        profiler.enable()
        print(command(path))
        profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the command's file")
    parser.add_argument("--profile", action="store_true", help="cProfile the command's import")
    parser.add_argument(
        "--profile-update", action="store_true", help="cProfile an import that changes every row"
    )
    parser.add_argument("--skip-browser", action="store_true", help="leave out the browser")
    args = parser.parse_args()
    made = setup()
    if args.profile or args.profile_update:
        profile(made, args.rows, update=args.profile_update)
        return
    record = {"rows": args.rows, "command": run_command(made, args.rows)}
    if not args.skip_browser:
        print(f"browser, {BROWSER_ROWS} rows ...", flush=True)
        record["browser"] = run_browser(made)
    record["machine"] = gen.machine()
    gen.merge_results("imports", record)
    print()
    print(f"import_register, {args.rows:,} rows (each two controls and an action):")
    for name, figures in record["command"].items():
        print(
            f"  {name:<10} {figures['seconds']:>8.2f} s  ({figures['ms_per_row']} ms a row, "
            f"{figures['queries']:,} queries): {figures['summary']}"
        )
    if "browser" in record:
        print(f"browser, {BROWSER_ROWS} rows (median of {BROWSER_RUNS}):")
        for name, figures in record["browser"].items():
            queries = f", {figures['queries']} queries" if "queries" in figures else ""
            print(f"  {name:<10} {figures['median_ms']:>6} ms{queries}")
    print(
        f"machine: {record['machine']} (calibration: a fixed Python workload, lower is faster); "
        f"figures merged into {gen.RESULTS}"
    )


if __name__ == "__main__":
    main()
