"""Pack build time: each seeded organisation's quarterly and committee packs, and both packs of a
generated organisation with 200 risks (3 controls and 3 actions each, a default appetite: 80
risks above tolerance, each with a Risk Action Plan page, as a stress case) and of another with
20 of 200 above tolerance, as registers usually are, each against WeasyPrint's time for a
plain HTML table of the same text (the pack's own words, one table row per pack row, heading or
paragraph; no styles, no fonts). The design asks for no more than 1.5x that, and under 5 s for
200 risks.

    make bench            # or: .venv/bin/python bench/packs.py

Uses its own PostgreSQL database (riskreg_bench on 127.0.0.1:5432, recreated each run; override
with BENCH_DATABASE_URL). Prints a table and writes the "packs" figures into bench/results.json
(other benchmarks' figures in that file are kept). Not part of make test.
"""

from __future__ import annotations

import datetime as dt
import html as html_module
import os
import statistics
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/riskreg_bench"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskreg.settings.local")
os.environ["CELERY_BROKER_URL"] = ""  # build synchronously, as the command does
# A released pack's e-mails built and dropped, not printed (bench/generate.py's EMAIL_BACKEND).
os.environ["DJANGO_EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
# No log line per e-mail task run in-process (Celery's "succeeded in" at INFO), as
# generate.configure() sets for the other pieces.
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
os.environ.setdefault("RISKREG_SECURITY_LOG_LEVEL", "WARNING")  # no line per seeded account
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
# BENCH_ONLY=bench200 times only the organisations whose slug starts so (both 200-risk ones)
ONLY = os.environ.get("BENCH_ONLY", "")


def recreate_database() -> None:
    name = DATABASE_URL.rsplit("/", 1)[-1]
    if not name.startswith("riskreg_bench") or not name.replace("_", "").isalnum():
        return  # a database named by the caller is theirs: do not drop it
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(  # noqa: S603
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql],  # noqa: S607
            check=True,
            capture_output=True,
        )


def timed(function, runs: int = RUNS) -> tuple[float, float, object]:
    """Median wall-clock and CPU seconds over ``runs`` calls, and the last result. CPU time is
    steadier than wall-clock on a shared machine; both are reported."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


class _PlainRows(HTMLParser):
    """The text of a pack's HTML as rows: each table row's cells, and each heading, paragraph,
    list item or definition as a one-cell row."""

    BLOCKS = {"h1", "h2", "h3", "p", "li", "dt", "dd", "caption", "div"}
    HIDDEN = {"style", "title", "head"}

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.cells: list[str] | None = None
        self.text: list[str] = []
        self.hidden = 0

    def _words(self) -> str:
        words = " ".join("".join(self.text).split())
        self.text = []
        return words

    def _flush_block(self):
        words = self._words()
        if words:
            self.rows.append([words])

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "tr":
            self._flush_block()
            self.cells = []
        elif tag in ("td", "th"):
            self.text = []
        elif tag in self.BLOCKS and self.cells is None:
            self._flush_block()

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden -= 1
        elif tag in ("td", "th") and self.cells is not None:
            self.cells.append(self._words())
        elif tag == "tr" and self.cells is not None:
            self.rows.append(self.cells)
            self.cells = None
        elif tag in self.BLOCKS and self.cells is None:
            self._flush_block()

    def handle_data(self, data):
        if not self.hidden:
            self.text.append(data)


def plain_table(pack_html: str) -> str:
    """A plain HTML table holding the same text as the pack."""
    parser = _PlainRows()
    parser.feed(pack_html)
    parser._flush_block()
    body = "".join(
        "<tr>" + "".join(f"<td>{html_module.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in parser.rows
    )
    return f"<!DOCTYPE html><html><body><table>{body}</table></body></html>"


def main() -> None:
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone
    from weasyprint import HTML

    from appetite.models import AppetiteStatement
    from appetite.services import appetite_statement_set
    from registers.models import Action, Control, Organisation, Register, Risk
    from registers.services.organisations import organisation_create
    from registers.services.risks import action_add, control_add, risk_create
    from reporting.packs.data import pack_data
    from reporting.packs.render import collector_paused, render_html, render_pdf

    def plain_pdf(html: str) -> bytes:
        # under the same paused collector as the pack (render.collector_paused), so the ratio
        # compares WeasyPrint's work on the two documents and not the collector's
        with collector_paused():
            return HTML(string=html).write_pdf()

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--quiet-logins", "--no-packs", stdout=open(os.devnull, "w"))  # noqa: SIM115
    today = timezone.localdate()

    # Two organisations of 200 risks, each risk with 3 controls and 3 actions (one overdue) and
    # a default appetite of tolerance 12, warning 8. "bench200": a stress case, 80 risks (40%)
    # above tolerance, each with its own Risk Action Plan page. "bench200-typical": 20 risks
    # (10%) above tolerance, the rest well within, as a real register looks.
    def positions(n: int, typical: bool) -> tuple[int, int]:
        if typical:
            return (4, 5) if n % 10 == 3 else (1 + n % 3, 1 + (n * 2) % 3)
        return (1 + n % 5, 1 + (n * 3) % 5)

    for slug, typical in (("bench200", False), ("bench200-typical", True)):
        name = "Benchmark organisation (200 risks" + (", typical)" if typical else ")")
        big = organisation_create(slug=slug, name=name)
        appetite_statement_set(organisation=big, tolerance=12, warning=8, reason="benchmark")
        register = Register.objects.get(organisation=big, slug="corporate")
        for n in range(200):
            risk = risk_create(
                register=register,
                ref=f"B{n:03}",
                title=f"Benchmark risk {n}",
                description="A cause and an event described in a sentence or two, as registers "
                "do. " * 2,
                positions={"inherent": (5, 5), "current": positions(n, typical), "target": (1, 2)},
            )
            for c in range(3):
                control_add(risk=risk, description=f"Control {c} of risk {n}", position=c)
                action_add(
                    risk=risk,
                    description=f"Action {c} of risk {n}",
                    position=c,
                    due_date=today - dt.timedelta(days=c * 40),
                )
        # A register in use: its risks were written a year ago, so the pack compares them with
        # the last report (trend level, nothing "added"), as a real committee pack does.
        year_ago = timezone.now() - dt.timedelta(days=400)
        ids = list(big.risks.values_list("id", flat=True))
        Risk.history.filter(id__in=ids).update(history_date=year_ago)
        Control.history.filter(risk_id__in=ids).update(history_date=year_ago)
        Action.history.filter(risk_id__in=ids).update(history_date=year_ago)
        AppetiteStatement.history.filter(organisation=big).update(history_date=year_ago)

    rows = []
    for organisation in Organisation.objects.filter(slug__startswith=ONLY).order_by("slug"):
        for kind in ("quarterly", "committee"):
            # the pack as the task builds it: data from history, then HTML, then PDF
            wall, cpu, rendered = timed(
                lambda o=organisation, k=kind: render_pdf(
                    pack_data(organisation=o, kind=k, as_of=today)
                )
            )
            plain = plain_table(
                render_html(pack_data(organisation=organisation, kind=kind, as_of=today))
            )
            plain_wall, plain_cpu, _ = timed(lambda p=plain: plain_pdf(p))
            rows.append(
                {
                    "pack": f"{organisation.slug} {kind}",
                    "risks": organisation.risks.count(),
                    "pages": rendered.pages,
                    "seconds": round(wall, 2),
                    "cpu_seconds": round(cpu, 2),
                    "plain_table_seconds": round(plain_wall, 2),
                    "plain_table_cpu_seconds": round(plain_cpu, 2),
                    "over_plain": round(cpu / plain_cpu, 2) if plain_cpu else None,
                }
            )

    print(
        f"{'pack':<24}{'risks':>6}{'pages':>6}{'wall s':>8}{'cpu s':>7}"
        f"{'plain wall':>11}{'plain cpu':>10}{'ratio':>7}"
    )
    for row in rows:
        print(
            f"{row['pack']:<24}{row['risks']:>6}{row['pages']:>6}{row['seconds']:>8.2f}"
            f"{row['cpu_seconds']:>7.2f}{row['plain_table_seconds']:>11.2f}"
            f"{row['plain_table_cpu_seconds']:>10.2f}{row['over_plain']:>6.2f}x"
        )
    print(
        "ratio: the pack's CPU time over WeasyPrint's for a plain table of the same text "
        "(design: at most 1.5x; a 200-risk pack under 5 s, issue 20)"
    )
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import machine, merge_results

    host = machine()
    print(f"machine: {host} (calibration: a fixed Python workload, lower is faster)")
    merge_results(
        "packs",
        {
            "when": timezone.now().isoformat(timespec="seconds"),
            "runs": RUNS,
            "only": ONLY,
            "machine": host,
            "packs": rows,
        },
    )


if __name__ == "__main__":
    main()
