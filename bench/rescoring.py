"""Guided re-scoring: a new scheme version's preview and "re-rate them all now" for 10,000 risks.

    .venv/bin/python bench/rescoring.py                # 10,000 open risks
    .venv/bin/python bench/rescoring.py --risks 2000

Measured in a throwaway organisation made by bench/generate.py in a database of its own,
riskreg_bench_rescoring on 127.0.0.1:5432, dropped and made again each run (BENCH_DATABASE_URL
names another; that one is never dropped). The new version moves the edge between the two lowest
bands of the organisation's product scheme down by two, so the risks scored on those scores change
band; every open risk is re-rated (one history record each, with its objectives and leads).

Prints the figures with the calibration figure and merges them into bench/results.json under
"rescoring". Not part of make test: timings depend on the machine and what else runs on it.
"""

from __future__ import annotations

import argparse
import copy
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as gen  # noqa: E402

DATABASE = "riskreg_bench_rescoring"
DEFAULT_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
SLUG = "bench-rescoring"


def setup(risks: int):
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
    return gen.generate(
        slug=SLUG, name="Bench re-scoring", risks=risks, controls=0, actions=0, versions=1
    )


def moved_edge(definition):
    from scoring.definition import parse_scheme

    data = copy.deepcopy(definition.as_dict())
    if data["method"] == "product" and len(data["bands"]) > 1:
        data["bands"][0]["max"] -= 2
        data["bands"][1]["min"] -= 2
    return parse_scheme(data)


def timed(fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
    return result, round(seconds, 2), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--risks", type=int, default=10_000)
    args = parser.parse_args()
    made = setup(args.risks)
    from registers.selectors.rescoring import rescoring_preview
    from registers.services.rescoring import scheme_version_adopt
    from scoring.models import Scheme

    organisation = made.organisation
    scheme = Scheme.objects.select_related("current_version").get(
        organisation=organisation, is_default=True
    )
    proposed = moved_edge(scheme.current_version.parsed)
    preview, preview_s, preview_q = timed(
        lambda: rescoring_preview(scheme=scheme, definition=proposed)
    )
    adopted, adopt_s, adopt_q = timed(
        lambda: scheme_version_adopt(
            scheme=scheme,
            definition=proposed,
            by=made.coordinator,
            rerate=True,
            reason="bench: the lowest band's edge moved",
        )
    )
    record = {
        "risks": preview.total,
        "preview": {"seconds": preview_s, "queries": preview_q, "changing": preview.changing},
        "rerate_now": {"seconds": adopt_s, "queries": adopt_q, "rerated": adopted.rerated},
        "machine": gen.machine(),
    }
    gen.merge_results("rescoring", record)
    print(f"{preview.total:,} open risks on the scheme's registers")
    print(
        f"  preview     {preview_s:>7.2f} s  ({preview_q} queries): "
        f"{preview.changing:,} would change band"
    )
    print(f"  re-rate now {adopt_s:>7.2f} s  ({adopt_q} queries): {adopted.rerated:,} re-rated")
    print(
        f"machine: {record['machine']} (calibration: a fixed Python workload, lower is faster); "
        f"figures merged into {gen.RESULTS}"
    )


if __name__ == "__main__":
    main()
