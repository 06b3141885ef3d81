"""Pages, load test and reminders in one go, on one freshly generated bench database
(``make bench`` runs bench/packs.py, bench/imports.py, this, bench/api.py and bench/tenants.py,
then bench/targets.py's summary of every target).

    .venv/bin/python bench/run.py            # generate, then measure everything
    .venv/bin/python bench/run.py --reuse    # measure again on the data already generated

The database is riskreg_bench_pages on 127.0.0.1:5432, dropped and created again each run (set
BENCH_DATABASE_URL to use another; a database named that way is never dropped). Figures are
merged into bench/results.json under "pages", "locust", "load_slower" (the load test again on the
slower machine of our kind, emulated by slowing this one by what separates the two, bench/slower.py;
when this machine is that slow already, the load test itself, said so; skipped where no cgroup can
be written) and "reminders"; bench/packs.py writes
"packs" there. Not part of make test: timings depend on the machine and what else runs on it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as gen  # noqa: E402
import load  # noqa: E402
import pages  # noqa: E402
import reminders  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="use the organisations already there")
    parser.add_argument("--skip-load", action="store_true", help="leave out the Locust run")
    parser.add_argument(
        "--skip-slower", action="store_true", help="leave out the emulated slower machine's run"
    )
    parser.add_argument("--skip-reminders", action="store_true", help="leave out the reminders")
    args = parser.parse_args()

    generation = pages.setup(reuse=args.reuse)
    organisations = pages.organisations()
    print("pages (in-process test client, DEBUG off):", flush=True)
    results = pages.run_pages(organisations)
    record = {"machine": gen.machine(), "pages": results}
    print(f"machine: {record['machine']} (calibration: a fixed Python workload, lower is faster)")
    if generation:
        record["generation"] = generation
    gen.merge_results("pages", record)

    if not args.skip_load:
        print("load test (gunicorn + Locust) ...", flush=True)
        locust = load.run(organisations[pages.BIG])
        gen.merge_results("locust", locust)
        emulated = None
        if not args.skip_slower and locust:
            emulated = slower_machine_run(organisations[pages.BIG], locust)
    if not args.skip_reminders:
        # Last: it spreads the organisation over 1,000 people, which the pages above do not use.
        print("reminders ...", flush=True)
        sent = reminders.run(organisations[pages.BIG])
        gen.merge_results("reminders", sent)

    if generation:
        print()
        for slug, made in generation.items():
            print(f"generated {slug}: {sum(made['rows'].values())} rows in {made['seconds']} s")
    pages.print_table(results)
    if not args.skip_load:
        load.print_stats(locust)
        if emulated:
            load.print_stats(emulated)
    if not args.skip_reminders:
        reminders.print_result(sent)
    print(f"\nmachine: {gen.machine()}; figures merged into {gen.RESULTS}")


def slower_machine_run(organisation, locust: dict) -> dict | None:
    """The load test on the slower machine of our kind: emulated by a CPU quota of what separates
    this machine from it (bench/slower.py ``factor_here``), or, when this machine is at least as
    slow already, the load test just run, recorded as the slower machine's and said so."""
    # Two readings (the load test's own, taken as it ended, and one now): the faster decides,
    # so a slow moment never passes for a slow machine and the emulation errs on the slow side.
    readings = [(locust.get("machine") or {}).get("calibration_ms"), gen.calibration_ms()]
    calibration = min(reading for reading in readings if reading)
    factor = load.slower.factor_here(calibration)
    if factor is None:
        print(
            f"no emulated slower machine: this machine's calibration, {calibration:g} ms, is at "
            f"least the slower machine's ({load.slower.SLOWER_CALIBRATION_MS:g} ms): the load "
            "test above ran on a machine that slow",
            flush=True,
        )
        gen.merge_results(
            "load_slower",
            {
                "users": locust.get("users"),
                "stats": locust.get("stats"),
                "machine": {**gen.machine(), "calibration_ms": calibration},
                "not_emulated": {
                    "calibration_ms": calibration,
                    "readings_ms": [reading for reading in readings if reading],
                    "slower_calibration_ms": load.slower.SLOWER_CALIBRATION_MS,
                },
            },
        )
        return None
    print(
        f"load test on an emulated slower machine ({factor:g}x this one at calibration "
        f"{calibration:g} ms) ...",
        flush=True,
    )
    emulated = load.run(organisation, slower_by=factor)
    if emulated:
        emulated.setdefault("emulated_slower_machine", {})["calibration_ms"] = calibration
        gen.merge_results("load_slower", emulated)
    return emulated


if __name__ == "__main__":
    main()
