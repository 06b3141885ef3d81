"""A/B of the PDF packs' layout on the same data (issue 20): dump a pack's HTML as the templates
write it now, then compare WeasyPrint's CPU time and Python calls on two dumps, alternated in one
process (CPU time and call counts, not wall-clock: the machine is shared).

    # after bench/packs.py has made the bench database (BENCH_ONLY=bench200 is enough)
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/riskreg_bench_x \
        .venv/bin/python bench/packs_ab.py dump /tmp/a        # HTML, PDF, text, PNG pages
    ... change the templates ...
    .venv/bin/python bench/packs_ab.py dump /tmp/b
    .venv/bin/python bench/packs_ab.py compare /tmp/a /tmp/b [ROUNDS]
    .venv/bin/python bench/packs_ab.py profile /tmp/b/bench200-quarterly.html

``dump`` also renders the seeded demo organisations' packs (for the text comparison); it
reads the database, never writes it. ``compare`` needs no database.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/riskreg_bench"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskreg.settings.local")
os.environ["CELERY_BROKER_URL"] = ""


def setup():
    import django

    django.setup()


def pdf_of(html: str):
    from weasyprint import HTML

    from reporting.packs.render import BASE_URL, collector_paused, pack_fetcher

    with collector_paused():
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=pack_fetcher()).render()
        pdf = document.write_pdf()
        pages = len(document.pages)
        del document
    return pdf, pages


def dump(out: Path) -> None:
    setup()
    from django.utils import timezone

    from registers.models import Organisation
    from reporting.packs.data import pack_data
    from reporting.packs.render import render_html

    out.mkdir(parents=True, exist_ok=True)
    today = timezone.localdate()
    for organisation in Organisation.objects.order_by("slug"):
        for kind in ("quarterly", "committee"):
            name = f"{organisation.slug}-{kind}"
            html = render_html(pack_data(organisation=organisation, kind=kind, as_of=today))
            (out / f"{name}.html").write_text(html)
            pdf, pages = pdf_of(html)
            (out / f"{name}.pdf").write_bytes(pdf)
            subprocess.run(["pdftotext", str(out / f"{name}.pdf")], check=True)  # noqa: S603,S607
            print(name, pages, "pages")


def cpu_and_calls(html: str, profile: bool) -> tuple[float, int, int]:
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
    cpu = time.process_time()
    _, pages = pdf_of(html)
    cpu = time.process_time() - cpu
    calls = 0
    if profile:
        profiler.disable()
        calls = pstats.Stats(profiler).total_calls
    return cpu, calls, pages


def compare(a: Path, b: Path, rounds: int) -> None:
    setup()
    names = sorted(p.name for p in a.glob("bench200*.html"))
    for name in names:
        html_a, html_b = (a / name).read_text(), (b / name).read_text()
        pdf_of(html_a)  # warm: fonts, imports
        calls_a = cpu_and_calls(html_a, True)[1]
        calls_b = cpu_and_calls(html_b, True)[1]
        cpus_a, cpus_b = [], []
        for _ in range(rounds):
            cpu, _, pages_a = cpu_and_calls(html_a, False)
            cpus_a.append(cpu)
            cpu, _, pages_b = cpu_and_calls(html_b, False)
            cpus_b.append(cpu)
        ma, mb = min(cpus_a), min(cpus_b)
        print(
            f"{name:<32} A {ma:6.2f}s {calls_a:>9} calls {pages_a:>3}p | "
            f"B {mb:6.2f}s {calls_b:>9} calls {pages_b:>3}p | "
            f"cpu {mb / ma - 1:+.1%} calls {calls_b / calls_a - 1:+.1%}",
            flush=True,
        )


def profile(path: Path, limit: int) -> None:
    setup()
    html = path.read_text()
    pdf_of(html)
    profiler = cProfile.Profile()
    profiler.enable()
    pdf_of(html)
    profiler.disable()
    stats = pstats.Stats(profiler)
    print("total calls", stats.total_calls)
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "dump":
        dump(Path(sys.argv[2]))
    elif command == "compare":
        compare(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 2)
    elif command == "profile":
        profile(Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 60)
