"""Pack build time: each seeded organisation's quarterly and committee packs, a quarterly pack of
a generated organisation with 200 risks, and WeasyPrint's time for a plain HTML table of the same
text (the design asks for no more than 1.5x that, and under 7 s for 200 risks).

    make bench            # or: .venv/bin/python bench/packs.py

Uses its own PostgreSQL database (riskreg_bench on 127.0.0.1:5432, recreated each run; override
with BENCH_DATABASE_URL). Prints a table and writes bench/results.json. Not part of make test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/riskreg_bench"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskreg.settings.local")
os.environ["CELERY_BROKER_URL"] = ""  # build synchronously, as the command does
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def recreate_database() -> None:
    if not DATABASE_URL.endswith("/riskreg_bench"):
        return  # a database named by the caller is theirs: do not drop it
    for sql in ("DROP DATABASE IF EXISTS riskreg_bench", "CREATE DATABASE riskreg_bench"):
        subprocess.run(  # noqa: S603
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql],  # noqa: S607
            check=True,
            capture_output=True,
        )


def timed(function, runs: int = RUNS) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone
    from weasyprint import HTML

    from registers.models import Organisation, Register
    from registers.services.organisations import organisation_create
    from registers.services.risks import action_add, control_add, risk_create
    from reporting.packs.services import pack_render

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--quiet-logins", stdout=open(os.devnull, "w"))  # noqa: SIM115
    today = timezone.localdate()
    rows = []
    for organisation in Organisation.objects.order_by("slug"):
        for kind in ("quarterly", "committee"):
            seconds, pack = timed(
                lambda o=organisation, k=kind: pack_render(organisation=o, kind=k, as_of=today)
            )
            rows.append(
                {
                    "pack": f"{organisation.slug} {kind}",
                    "risks": organisation.risks.count(),
                    "pages": pack.pages,
                    "seconds": round(seconds, 2),
                }
            )

    big = organisation_create(slug="bench200", name="Benchmark organisation (200 risks)")
    register = Register.objects.get(organisation=big, slug="corporate")
    for n in range(200):
        risk = risk_create(
            register=register,
            ref=f"B{n:03}",
            title=f"Benchmark risk {n}",
            description="A cause and an event described in a sentence or two, as registers do. "
            * 2,
            positions={
                "inherent": (5, 5),
                "current": (1 + n % 5, 1 + (n * 3) % 5),
                "target": (1, 2),
            },
        )
        for c in range(3):
            control_add(risk=risk, description=f"Control {c} of risk {n}", position=c)
            action_add(
                risk=risk,
                description=f"Action {c} of risk {n}",
                position=c,
                due_date=today - dt.timedelta(days=c * 40),
            )
    seconds, pack = timed(lambda: pack_render(organisation=big, kind="quarterly", as_of=today))
    rows.append(
        {
            "pack": "bench200 quarterly",
            "risks": 200,
            "pages": pack.pages,
            "seconds": round(seconds, 2),
        }
    )

    cells = "".join(
        f"<tr><td>B{n:03}</td><td>Benchmark risk {n}</td><td>{'A cause and an event. ' * 4}</td>"
        f"<td>Owner</td><td>12 (Medium)</td><td>Within</td></tr>"
        for n in range(200)
    )
    plain_html = f"<table><thead><tr><th>Ref</th><th>Title</th><th>Description</th><th>Owner</th><th>Rating</th><th>Appetite</th></tr></thead><tbody>{cells}</tbody></table>"
    plain_seconds, _ = timed(lambda: HTML(string=plain_html).write_pdf())
    ratio = seconds / plain_seconds if plain_seconds else None

    print(f"{'pack':<26}{'risks':>7}{'pages':>7}{'seconds':>10}")
    for row in rows:
        print(f"{row['pack']:<26}{row['risks']:>7}{row['pages']:>7}{row['seconds']:>10.2f}")
    print(f"plain table of 200 rows (WeasyPrint only): {plain_seconds:.2f} s")
    print(f"200-risk pack / plain table: {ratio:.1f}x (design: at most 1.5x; under 7 s)")
    results = {
        "when": timezone.now().isoformat(),
        "runs": RUNS,
        "packs": rows,
        "plain_table_seconds": round(plain_seconds, 2),
        "pack_200_over_plain": round(ratio, 2) if ratio else None,
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
