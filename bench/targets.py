"""Every target of issue 20 and DESIGN.md's older bars, each with its figure from
bench/results.json and whether it is met, at 10,000 and at 100 risks where the target has sizes.

    make bench                              # runs this last, with --since the run's start
    .venv/bin/python bench/targets.py       # what bench/results.json holds now
    .venv/bin/python bench/targets.py --since 2026-12-06T18:00:00+00:00

Each piece of the bench (packs.py, imports.py, run.py: pages, load test and reminders, api.py,
tenants.py) merges its record into bench/results.json stamped with the time it was written
("when"). A figure whose record is older than --since (an earlier run's) is shown with its time
and counted as older; a target with no figure says "not measured". Nothing here is measured:
the table ends with each piece's calibration figure and load average, and a machine-readable
line (``BENCH_TARGETS {...}``) counting what was met, missed, within noise, not measured and
older. The summary is also merged into results.json under "targets".

Many organisations (bench/tenants.py): a page's total and SQL time beside 40 other
organisations are met within 10% of the same page alone; beyond 10% plus the noise (half the
spread of the page's passes, plus how far the machine's calibration moved between the two
measurements) they are missed; between the two they are "within noise": not shown either way.
SQL that grew by under a millisecond counts as met (the timer's and the driver's noise).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as gen  # noqa: E402  (bench/ is scripts, not a package)
import pages  # noqa: E402
import slower  # noqa: E402

MET, MISSED, NOISE, NOT_MEASURED = "met", "MISSED", "within noise", "not measured"
WITHIN = 0.10  # many organisations: within 10% of alone
SQL_FLOOR_MS = 1.0
LOCUST_USERS, LOCUST_P95_MS = 50, 300
PACK_SECONDS, PACK_OVER_PLAIN = 5, 1.5
PACKS = (  # bench/packs.py's 200-risk organisations
    ("bench200-typical quarterly", "200-risk quarterly pack, typical"),
    ("bench200 quarterly", "200-risk quarterly pack, stress"),
    ("bench200-typical committee", "200-risk committee pack, typical"),
    ("bench200 committee", "200-risk committee pack, stress"),
)
REMINDER_SECONDS = 10
IMPORT_ROWS, IMPORT_SECONDS = 10_000, 30
# bench/api.py's organisations (that script cannot be imported here: the project has an app
# named api) and its request.
API_BIG, API_SMALL = "benchapi10k", "benchapi100"
API_LIST = "risks, page of 100"
API_MEDIAN_MS, API_P95_MS = 50, 150
PIECES = ("pages", "locust", "load_slower", "packs", "reminders", "imports", "api", "tenants")


@dataclass
class Row:
    target: str
    piece: str  # its record's key in results.json
    big: str = "-"  # at 10,000 risks; the figure itself when the target has no sizes
    small: str = "-"  # at 100 risks
    sized: bool = True
    verdict: str = NOT_MEASURED  # met, MISSED, within noise, not measured; "" for no target
    when: str | None = None  # the time of the record the figure comes from
    older: bool = False


def _since(text: str) -> dt.datetime:
    when = parse_time(text)
    if when is None:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}")
    return when


def parse_time(text) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms"


def limit(value: float) -> str:
    return f"{value / 1000:g} s" if value >= 1000 else f"{value:g} ms"


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# ---- pages: the risk page, dashboard, register page and the exports, at both sizes


def page_rows(record: dict) -> list[Row]:
    figures = record.get("pages") or {}
    rows = []
    for name, target in pages.TARGETS_MS.items():
        a = (figures.get(name) or {}).get(pages.BIG)
        b = (figures.get(name) or {}).get(pages.SMALL)
        row = Row(f"{name}: median < {limit(target)}", "pages")
        if a:
            row.big = ms(a["median_ms"])
        if b:
            row.small = ms(b["median_ms"])
        if a and b:
            row.verdict = MET if max(a["median_ms"], b["median_ms"]) < target else MISSED
        rows.append(row)
        if name not in pages.QUERY_TARGETS:
            continue
        row = Row(f"{name}: <= {pages.QUERY_CEILING} queries, same at both sizes", "pages")
        if a:
            row.big = f"{a['queries']} queries"
        if b:
            row.small = f"{b['queries']} queries"
        if a and b:
            same = a["queries"] == b["queries"]
            row.verdict = MET if same and a["queries"] <= pages.QUERY_CEILING else MISSED
        rows.append(row)
    return rows


# ---- the load test


def locust_rows(record: dict) -> list[Row]:
    row = Row(
        f"Locust, {LOCUST_USERS} users: p95 < {LOCUST_P95_MS} ms, no failures",
        "locust",
        sized=False,
    )
    total = (record.get("stats") or {}).get("Aggregated")
    if total:
        users = record.get("users")
        row.big = (
            f"p95 {total['p95_ms']:.0f} ms, {total['failures']} failures in "
            f"{total['requests']:,} requests ({total['requests_per_s']} a second)"
        )
        if users != LOCUST_USERS:
            row.big += f"; {users} users"  # not the target's load: not judged
        else:
            met = total["p95_ms"] < LOCUST_P95_MS and total["failures"] == 0
            row.verdict = MET if met else MISSED
    rows = [row]
    # CPU per request, if bench/load.py records it (under whatever keys it chose): the
    # per-request and busy-core figures of a "cpu" record when it has them, else every number
    # whose key names CPU.
    cpu = {}
    for key, value in record.items():
        if "cpu" not in key.lower():
            continue
        if isinstance(value, dict):
            numbers = {k: v for k, v in value.items() if _number(v)}
            chosen = {
                k: v
                for k, v in numbers.items()
                if any(word in k for word in ("per_request", "cpu_ms", "cores_busy"))
            }
            cpu.update(chosen or {k: v for k, v in numbers.items() if "cpu" in k})
        elif _number(value):
            cpu[key] = value
    if total or cpu:
        figure = ", ".join(f"{k} {v:g}" for k, v in cpu.items()) or "not recorded"
        rows.append(Row("Locust: server CPU per request", "locust", figure, "", False, ""))
    return rows


def slower_rows(record: dict) -> list[Row]:
    """The load test on the slower machine of our kind (bench/run.py ``slower_machine_run``):
    this machine slowed by a CPU quota of what separates the two (an emulation, pessimistic for
    p95: bench/slower.py), or, when this machine was that slow already, its own load test."""
    emulation = record.get("emulated_slower_machine") or {}
    here = record.get("not_emulated") or {}
    row = Row(
        f"Locust p95 on the slower machine of our kind (calibration "
        f"{slower.SLOWER_CALIBRATION_MS:g} ms): p95 < {LOCUST_P95_MS} ms, no failures",
        "load_slower",
        sized=False,
    )
    total = (record.get("stats") or {}).get("Aggregated")
    if not total or not (emulation or here):
        return [row]
    row.big = (
        f"p95 {total['p95_ms']:.0f} ms, {total['failures']} failures in "
        f"{total['requests']:,} requests "
    )
    if here:
        row.big += (
            f"(the load test itself: this machine, at calibration {here['calibration_ms']:g} ms "
            "or slower, was at least as slow; not emulated)"
        )
    else:
        factor = emulation.get("factor", slower.FACTOR)
        at = emulation.get("calibration_ms")
        row.big += (
            f"({emulation.get('cores', '?')} cores by a CPU quota, {factor:g}x this machine"
            + (f" at calibration {at:g} ms" if at else "")
            + ": an emulation, not the real slower machine)"
        )
    if record.get("users") != LOCUST_USERS:
        row.big += f"; {record.get('users')} users"
    else:
        met = total["p95_ms"] < LOCUST_P95_MS and total["failures"] == 0
        row.verdict = MET if met else MISSED
    return [row]


# ---- packs, reminders, imports


def pack_rows(record: dict) -> list[Row]:
    built = {row["pack"]: row for row in record.get("packs") or [] if "pack" in row}
    rows = []
    for pack, words in PACKS:
        row = Row(f"{words} < {PACK_SECONDS} s", "packs", sized=False)
        if pack in built:
            figures = built[pack]
            row.big = (
                f"{figures['seconds']:.2f} s (CPU {figures['cpu_seconds']:.2f} s, "
                f"{figures['pages']} pages)"
            )
            row.verdict = MET if figures["seconds"] < PACK_SECONDS else MISSED
        rows.append(row)
    row = Row(
        f"200-risk packs: CPU at most {PACK_OVER_PLAIN}x a plain table's (DESIGN)",
        "packs",
        sized=False,
    )
    ratios = [built[pack].get("over_plain") for pack, _ in PACKS if pack in built]
    if ratios and len(ratios) == len(PACKS) and all(_number(r) for r in ratios):
        row.big = ", ".join(f"{r:.2f}x" for r in ratios)
        row.verdict = MET if max(ratios) <= PACK_OVER_PLAIN else MISSED
    rows.append(row)
    return rows


def reminder_rows(record: dict) -> list[Row]:
    row = Row(f"reminders for 10,000 risks < {REMINDER_SECONDS} s", "reminders", sized=False)
    first = record.get("first_run")
    if first:
        row.big = f"{first['seconds']:.1f} s ({first['emails']:,} e-mails)"
        row.verdict = MET if first["seconds"] < REMINDER_SECONDS else MISSED
    return [row]


def import_rows(record: dict) -> list[Row]:
    row = Row(
        f"import of {IMPORT_ROWS:,} rows < {IMPORT_SECONDS} s (DESIGN)", "imports", sized=False
    )
    create = (record.get("command") or {}).get("create")
    if create:
        row.big = f"{create['seconds']:.1f} s"
        if record.get("rows") == IMPORT_ROWS:
            row.verdict = MET if create["seconds"] < IMPORT_SECONDS else MISSED
        else:
            row.big += f" for {record.get('rows')} rows"  # not the target's file: not judged
    return [row]


# ---- the API


def api_rows(record: dict) -> list[Row]:
    by_org = (record.get("requests") or {}).get(API_LIST) or {}
    a, b = by_org.get(API_BIG), by_org.get(API_SMALL)
    median = Row(f"API list, a page of 100 risks: median < {API_MEDIAN_MS} ms", "api")
    p95 = Row(f"API list: p95 < {API_P95_MS} ms at 10,000 risks (issue 19)", "api")
    if a:
        median.big, p95.big = ms(a["median_ms"]), ms(a["p95_ms"])
        p95.verdict = MET if a["p95_ms"] < API_P95_MS else MISSED
    if b:
        median.small, p95.small = ms(b["median_ms"]), ms(b["p95_ms"])
    if a and b:
        median.verdict = MET if max(a["median_ms"], b["median_ms"]) < API_MEDIAN_MS else MISSED
    return [median, p95]


# ---- many organisations


def _spread(figures: dict, key: str) -> float:
    """Half the spread of a page's passes, as a share of their median: 0 with one pass."""
    values = [p[key] for p in figures.get("passes") or [] if _number(p.get(key))]
    if len(values) < 2 or not statistics.median(values):
        return 0.0
    return (max(values) - min(values)) / 2 / statistics.median(values)


def _calibration(machines) -> float | None:
    values = [m.get("calibration_ms") for m in machines if isinstance(m, dict)]
    values = [v for v in values if _number(v)]
    return statistics.mean(values) if values else None


def calibration_drift(record: dict) -> float:
    """How far the machine's speed moved between the measurement alone and beside."""
    alone, beside = record.get("alone") or {}, record.get("beside") or {}
    a = _calibration([alone.get("machine_before"), alone.get("machine_after")])
    b = _calibration([beside.get("machine_before"), beside.get("machine_after")])
    return abs(b / a - 1) if a and b else 0.0


def judge_change(alone: dict, beside: dict, *, drift: float = 0.0, within: float = WITHIN) -> dict:
    """A page at one size alone and beside the other organisations: its total and SQL time's
    change, the noise it is weighed against, and the verdict."""
    total = beside["median_ms"] / alone["median_ms"] - 1 if alone["median_ms"] else 0.0
    sql = beside["sql_ms"] / alone["sql_ms"] - 1 if alone["sql_ms"] else 0.0
    total_noise = max(_spread(alone, "median_ms"), _spread(beside, "median_ms")) + drift
    sql_noise = max(_spread(alone, "sql_ms"), _spread(beside, "sql_ms")) + drift
    sql_small = beside["sql_ms"] - alone["sql_ms"] <= SQL_FLOOR_MS
    if total <= within and (sql <= within or sql_small):
        verdict = MET
    elif total > within + total_noise or (sql > within + sql_noise and not sql_small):
        verdict = MISSED
    else:
        verdict = NOISE
    return {"total": total, "sql": sql, "noise": max(total_noise, sql_noise), "verdict": verdict}


def tenant_rows(record: dict) -> list[Row]:
    alone = (record.get("alone") or {}).get("pages") or {}
    beside = (record.get("beside") or {}).get("pages") or {}
    others = record.get("others", "other")
    if not beside:
        return [Row(f"beside {others} others: each page within 10% of alone", "tenants")]
    drift = calibration_drift(record)
    rows = []
    for name, by_org in beside.items():
        row = Row(f"beside {others} others: {name}, total / SQL within 10%", "tenants")
        verdicts = []
        for slug, column in ((pages.BIG, "big"), (pages.SMALL, "small")):
            a, b = (alone.get(name) or {}).get(slug), by_org.get(slug)
            if not a or not b:
                verdicts.append(NOT_MEASURED)
                continue
            judged = judge_change(a, b, drift=drift)
            verdicts.append(judged["verdict"])
            setattr(
                row,
                column,
                f"{judged['total']:+.0%} / {judged['sql']:+.0%} (noise {judged['noise']:.0%})",
            )
        for verdict in (NOT_MEASURED, MISSED, NOISE, MET):
            if verdict in verdicts:
                row.verdict = verdict
                break
        rows.append(row)
    return rows


PIECE_ROWS = {
    "pages": page_rows,
    "locust": locust_rows,
    "load_slower": slower_rows,
    "packs": pack_rows,
    "reminders": reminder_rows,
    "imports": import_rows,
    "api": api_rows,
    "tenants": tenant_rows,
}


def record_time(piece: str, record: dict) -> dt.datetime | None:
    """When a record's figures were taken: for many organisations, the older of alone and
    beside (alone is carried over from an earlier run by ``tenants.py --reuse``)."""
    times = [parse_time(record.get("when"))]
    if piece == "tenants" and "alone" in record:
        times.append(parse_time(record.get("alone_when") or record.get("when")))
    if None in times:
        return None
    return min(times)


def summarise(results: dict, *, since: dt.datetime | None = None) -> list[Row]:
    """The rows of the summary, from bench/results.json's records."""
    rows = []
    for piece in PIECES:
        record = results.get(piece)
        record = record if isinstance(record, dict) else {}
        when = record_time(piece, record) if record else None
        for row in PIECE_ROWS[piece](record):
            if record:
                row.when = when.isoformat(timespec="seconds") if when else "time not recorded"
                # A figure older than this run (or of no known time) is not this run's.
                row.older = (
                    since is not None
                    and row.verdict != NOT_MEASURED
                    and (when is None or when < since)
                )
            rows.append(row)
    return rows


def counts(rows: list[Row]) -> dict:
    judged = [row for row in rows if row.verdict]
    return {
        "met": sum(row.verdict == MET for row in judged),
        "missed": sum(row.verdict == MISSED for row in judged),
        "within_noise": sum(row.verdict == NOISE for row in judged),
        "not_measured": sum(row.verdict == NOT_MEASURED for row in judged),
        "older": sum(row.older for row in judged),
        "targets": len(judged),
    }


def _verdict(row: Row) -> str:
    if not row.verdict:
        return "(no target)"
    if row.older:
        when = parse_time(row.when)
        said = f"{when:%d %b %H:%M} UTC" if when else "time not recorded"
        return f"{row.verdict}, OLDER ({said})"
    return row.verdict


def _machine(machine) -> str:
    if not isinstance(machine, dict):
        return "not recorded"
    load = machine.get("load_average_1_5_15") or []
    render = machine.get("render_calibration_ms")
    return (
        f"calibration {machine.get('calibration_ms', '?')} ms, "
        + (f"render calibration {render} ms, " if render is not None else "")
        + f"load {' '.join(str(x) for x in load) or '?'}"
    )


def machines(results: dict) -> list[str]:
    """Each piece's time, calibration figure and load average, as it recorded them."""
    lines = []
    for piece in PIECES:
        record = results.get(piece)
        if not isinstance(record, dict):
            lines.append(f"  {piece:<10} not measured")
            continue
        when = parse_time(record.get("when"))
        stamp = f"{when:%Y-%m-%d %H:%M} UTC" if when else "time not recorded"
        if piece == "tenants":
            alone, beside = record.get("alone") or {}, record.get("beside") or {}
            alone_when = parse_time(record.get("alone_when"))
            said = f" (alone at {alone_when:%Y-%m-%d %H:%M})" if alone_when else ""
            lines.append(
                f"  {piece:<10} {stamp}{said}: alone {_machine(alone.get('machine_before'))}; "
                f"beside {_machine(beside.get('machine_before'))}; "
                f"{record.get('passes', '?')} passes of {record.get('runs_per_pass', '?')} runs"
            )
        else:
            lines.append(f"  {piece:<10} {stamp}: {_machine(record.get('machine'))}")
    return lines


def table(rows: list[Row]) -> list[str]:
    big_w = max([len("10,000 risks")] + [len(r.big) for r in rows if r.sized])
    small_w = max([len("100 risks")] + [len(r.small) for r in rows if r.sized])
    target_w = max(len(r.target) for r in rows)
    lines = [
        f"{'target':<{target_w}} | {'10,000 risks':<{big_w}} | {'100 risks':<{small_w}} | met?",
        f"{'-' * target_w}-+-{'-' * big_w}-+-{'-' * small_w}-+-----",
    ]
    for row in rows:
        if row.sized:
            figures = f"{row.big:<{big_w}} | {row.small:<{small_w}}"
        else:
            figures = f"{row.big:<{big_w + small_w + 3}}"
        lines.append(f"{row.target:<{target_w}} | {figures} | {_verdict(row)}")
    return lines


def machine_line(rows: list[Row], *, machine: dict, since: dt.datetime | None) -> str:
    line = {
        **counts(rows),
        "calibration_ms": machine.get("calibration_ms"),
        "render_calibration_ms": machine.get("render_calibration_ms"),
        "load": machine.get("load_average_1_5_15"),
        "since": since.isoformat(timespec="seconds") if since else None,
    }
    return "BENCH_TARGETS " + json.dumps(line)


def report(
    results: dict, *, since: dt.datetime | None, machine: dict
) -> tuple[list[Row], list[str]]:
    rows = summarise(results, since=since)
    tally = counts(rows)
    lines = ["", "Targets (issue 20; DESIGN.md's older bars marked DESIGN):", *table(rows)]
    lines.append(
        f"{tally['met']} met, {tally['missed']} missed, {tally['within_noise']} within noise, "
        f"{tally['not_measured']} not measured, of {tally['targets']}"
        + (f"; {tally['older']} from before this run" if since else "")
    )
    lines.append(
        "Each piece's figures were taken at (calibration: a fixed Python workload; render calibration:"
        " a fixed template and WeasyPrint layout; lower is faster):"
    )
    lines += machines(results)
    lines.append(f"  now        {_machine(machine)}")
    lines.append(machine_line(rows, machine=machine, since=since))
    return rows, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--since",
        type=_since,
        help="the start of this run (ISO 8601): older figures are marked as such",
    )
    args = parser.parse_args()
    results = gen.read_results()
    machine = gen.machine()
    rows, lines = report(results, since=args.since, machine=machine)
    print("\n".join(lines))
    gen.merge_results(
        "targets",
        {
            "since": args.since.isoformat() if args.since else None,
            "machine": machine,
            "counts": counts(rows),
            "rows": [asdict(row) for row in rows],
        },
    )


if __name__ == "__main__":
    main()
