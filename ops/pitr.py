#!/usr/bin/env python3
"""Backups and point-in-time recovery of riskreg's PostgreSQL (docs/deploy.md, "Backups").

    ops/pitr.py backup                         base backup into ARCHIVE/base/<UTC time>, checked
    ops/pitr.py restore-point NAME [--snapshot FILE]
    ops/pitr.py restore --to (TIME|NAME) --into DIR --port PORT [--old-wal DIR] [--snapshot FILE]
    ops/pitr.py verify --snapshot FILE --database-url URL
    ops/pitr.py cleanup --keep N               drop older base backups and the WAL before them

Standard library only, so it runs with the host's python3 from cron. PostgreSQL's tools and every
file operation on the archive and data directories run through ``--pg-exec`` (for compose:
``docker compose exec -T -u postgres db``), so the same script serves a container and a plain
server; riskreg's own commands (the restore point, the snapshot, the check) run through
``--manage``. Each option also reads an environment variable, named in ``--help``.

A restore never starts from the live data directory: it goes into a new directory (another
cluster, another port, ``archive_mode=off`` unless ``--archive-command``), pins
``recovery_target_timeline='current'`` so history files left in the archive by an earlier attempt
cannot lead it down another branch, copies WAL that never reached the archive from the old
``pg_wal`` (``--old-wal``), and checks the result against the snapshot saved at the restore point.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WAL_NAME = re.compile(r"^[0-9A-F]{24}(\.partial)?$|^[0-9A-F]{8}\.history$")
TIME_TARGET = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
STARTED = time.monotonic()

# Lines of the server log worth showing an operator after a recovery, in the order they appear.
RECOVERY_LOG_LINES = (
    "starting point-in-time recovery",
    "starting archive recovery",
    "consistent recovery state reached",
    "recovery stopping",
    "recovery has paused",
    "redo done at",
    "last completed transaction",
    "selected new timeline ID",
    "archive recovery complete",
    "database system is ready to accept connections",
)
RECOVERY_SETTINGS = (
    "restore_command",
    "recovery_target_name",
    "recovery_target_time",
    "recovery_target_timeline",
    "recovery_target_action",
)
TARGET_NOT_REACHED = "recovery ended before configured recovery target was reached"
# How ``restore`` says it: the start of its Failed message (the drill expects it of a mutation).
RAN_OUT_OF_WAL = "recovery ran out of WAL before the target"


class Failed(Exception):
    """A step failed; the message says what to do."""


def say(message: str) -> None:
    """Every step with its wall-clock time (UTC) and the seconds since the script started."""
    now = dt.datetime.now(dt.UTC).strftime("%H:%M:%S.%f")[:-3]
    print(f"[{now} +{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def lsn_int(lsn: str) -> int:
    high, low = lsn.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def parse_time(text: str) -> dt.datetime:
    """An aware time from PostgreSQL's or ISO's spelling ('2026-11-20 14:30:00.123456+00')."""
    text = text.strip().replace(" ", "T", 1)
    if re.search(r"[+-]\d{2}$", text):
        text += ":00"
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise Failed(f"{text}: give the time zone, e.g. +00 (from SELECT clock_timestamp())")
    return moment


def conf_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --- where PostgreSQL runs ---------------------------------------------------------------------


@dataclass
class Runner:
    """Runs PostgreSQL's tools, and shell commands on its files, as the postgres OS user where the
    server and the archive are: through ``prefix`` (docker compose exec, runuser) or directly."""

    prefix: list[str] = field(default_factory=list)
    pg_bin: str = ""

    def tool(self, name: str) -> str:
        return f"{self.pg_bin.rstrip('/')}/{name}" if self.pg_bin else name

    def run(
        self, argv: list[str], *, input: str | None = None, check: bool = True, timeout=None
    ) -> subprocess.CompletedProcess:
        try:
            result = subprocess.run(  # noqa: S603 (argv lists, no shell on this side)
                [*self.prefix, *argv],
                input=input,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise Failed(
                f"cannot run {exc.filename}: is it installed (--pg-exec, --pg-bin)?"
            ) from None
        if check and result.returncode != 0:
            command = " ".join(shlex.quote(part) for part in argv[:4])
            detail = (result.stderr or result.stdout).strip()
            raise Failed(f"{command} ... failed (exit {result.returncode}): {detail}")
        return result

    def sh(self, script: str, *args: str, input: str | None = None, check: bool = True):
        return self.run(["sh", "-c", script, "sh", *args], input=input, check=check)

    def read(self, path: str) -> str:
        return self.sh('cat "$1"', path).stdout

    def write(self, path: str, text: str) -> None:
        self.sh('cat > "$1"', path, input=text)

    def exists(self, path: str) -> bool:
        return self.run(["test", "-e", path], check=False).returncode == 0

    def listdir(self, path: str) -> list[str]:
        result = self.sh('[ ! -d "$1" ] || ls -1A "$1"', path)
        return [name for name in result.stdout.splitlines() if name]

    def psql(self, dsn: str, *sql: str, check: bool = True) -> str:
        commands = [part for statement in sql for part in ("-c", statement)]
        argv = [self.tool("psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", dsn, *commands]
        return self.run(argv, check=check).stdout.strip()


@dataclass
class Manage:
    """riskreg's manage.py: ``.venv/bin/python manage.py`` here, or a container's
    (``docker compose exec -T web python manage.py``); ``{database_url}`` in the command is
    replaced by the database to use, which is also passed as DATABASE_URL."""

    command: str

    def run(self, *args: str, database_url: str | None = None, input: str | None = None):
        if "{database_url}" in self.command and not database_url:
            # An empty DATABASE_URL would point riskreg at its SQLite default.
            raise Failed(f"--manage {self.command!r} needs a database URL here")
        command = self.command.replace("{database_url}", database_url or "")
        env = dict(os.environ)
        if database_url:
            env["DATABASE_URL"] = database_url
        result = subprocess.run(  # noqa: S603
            [*shlex.split(command), *args],
            input=input,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=False,
        )
        return result


# --- backup ------------------------------------------------------------------------------------


def parse_backup_file(text: str) -> dict:
    """The ``*.backup`` history file PostgreSQL archives at the end of a base backup."""
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(": ")
        fields[key.strip()] = value.strip()
    start = re.match(r"(\S+) \(file (\w+)\)", fields["START WAL LOCATION"])
    stop = re.match(r"(\S+) \(file (\w+)\)", fields["STOP WAL LOCATION"])
    return {
        "label": fields.get("LABEL", ""),
        "start_lsn": start.group(1),
        "start_wal": start.group(2),
        "stop_lsn": stop.group(1),
        "stop_wal": stop.group(2),
        "start_time_text": fields.get("START TIME", ""),
        "stop_time_text": fields.get("STOP TIME", ""),
        "timeline": int(fields.get("STOP TIMELINE", fields.get("START TIMELINE", "1"))),
    }


def backup(args, runner: Runner) -> dict:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    dest = f"{args.archive}/base/{stamp}"
    label = f"riskreg {stamp}"
    if runner.exists(dest):
        raise Failed(f"{dest} exists already: one base backup a second")
    say(f"base backup into {dest} (pg_basebackup -c fast: an immediate checkpoint, no waiting)")
    runner.sh('mkdir -p "$1"', f"{args.archive}/base")
    runner.run(
        [runner.tool("pg_basebackup"), "-d", args.db, "-D", dest, "-Ft", "-z", "-X", "stream"]
        + ["-c", "fast", "-l", label]
    )
    # The backup's history file reaches the archive through archive_command: its arrival also
    # proves that archiving works.
    backup_file = None
    deadline = time.monotonic() + args.wait
    while backup_file is None:
        for name in sorted(runner.listdir(args.archive), reverse=True):
            if name.endswith(".backup"):
                info = parse_backup_file(runner.read(f"{args.archive}/{name}"))
                if info["label"] == label:
                    backup_file = name
                    break
        if backup_file is None:
            if time.monotonic() > deadline:
                archiver = runner.psql(args.db, "SELECT * FROM pg_stat_archiver")
                raise Failed(
                    f"the backup's history file did not reach {args.archive} in {args.wait} s: "
                    f"WAL archiving is not working (pg_stat_archiver: {archiver})"
                )
            time.sleep(0.5)
    # STOP TIME is in whole seconds and in the server's time zone: the server converts it,
    # rounded up, so "stopped before the target" is never claimed a second too early.
    stop_time = runner.psql(
        args.db,
        f"SELECT to_char(date_trunc('second', {conf_quote(info['stop_time_text'])}::timestamptz"
        " + interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')",
    )
    info.update(
        {
            "directory": dest,
            "backup_file": backup_file,
            "stop_time_utc": stop_time,
            "files": sorted(runner.listdir(dest)),
            "checked": [],
        }
    )
    say(f"checking {dest}: gzip -t, then pg_verifybackup on an extracted copy")
    runner.sh('gzip -t "$1/base.tar.gz" "$1/pg_wal.tar.gz"', dest)
    info["checked"].append("gzip -t")
    if args.verify:
        scratch = f"{dest}.verifying"
        try:
            runner.sh(
                'mkdir -m 700 "$1" && tar -xzf "$2/base.tar.gz" -C "$1" && '
                'tar -xzf "$2/pg_wal.tar.gz" -C "$1/pg_wal" && cp "$2/backup_manifest" "$1/"',
                scratch,
                dest,
            )
            runner.run([runner.tool("pg_verifybackup"), "-q", scratch])
        finally:
            runner.sh('rm -rf "$1"', scratch)
        info["checked"].append("pg_verifybackup")
    runner.write(f"{dest}/backup.json", json.dumps(info, indent=1, sort_keys=True) + "\n")
    size = runner.sh('du -sk "$1" | cut -f1', dest).stdout.strip()
    say(
        f"base backup {stamp}: {size} kB, stop time {info['stop_time_text']}, first WAL segment "
        f"{info['start_wal']} ({args.archive}/{backup_file}), checked by "
        f"{' and '.join(info['checked'])}"
    )
    return info


def backups(args, runner: Runner) -> list[dict]:
    found = []
    for name in runner.listdir(f"{args.archive}/base"):
        path = f"{args.archive}/base/{name}/backup.json"
        if runner.exists(path):
            found.append(json.loads(runner.read(path)))
    return sorted(found, key=lambda info: lsn_int(info["stop_lsn"]))


# --- restore points ----------------------------------------------------------------------------


def switch_and_archive(args, runner: Runner) -> str:
    """Finish the current WAL segment and wait until the archiver has copied it."""
    wal = runner.psql(args.db, "SELECT pg_walfile_name(pg_switch_wal())")
    deadline = time.monotonic() + args.wait
    while True:
        row = runner.psql(
            args.db,
            "SELECT coalesce(last_archived_wal, ''), failed_count, "
            "coalesce(last_failed_wal, '') FROM pg_stat_archiver",
        )
        archived, failed, failed_wal = row.split("|")
        if archived[:24] >= wal:
            return wal
        if time.monotonic() > deadline:
            raise Failed(
                f"WAL segment {wal} not archived after {args.wait} s (last archived "
                f"{archived or 'none'}, {failed} failures, last failed {failed_wal or 'none'}): "
                "check archive_command and the archive's disk"
            )
        time.sleep(0.2)


def restore_point(args, runner: Runner, manage: Manage) -> dict:
    say(f"restore point {args.name} (manage.py restore_point, logged by riskreg)")
    command = ["restore_point", args.name, "--reason", args.reason]
    if args.snapshot:
        command += ["--snapshot", "-"]
    result = manage.run(*command)
    if result.returncode != 0:
        raise Failed((result.stderr or result.stdout).strip())
    for line in result.stderr.splitlines() + ([] if args.snapshot else result.stdout.splitlines()):
        if line.startswith("restore point"):
            say(line)
    entry = {"name": args.name}
    if args.snapshot:
        snapshot = json.loads(result.stdout)
        Path(args.snapshot).write_text(result.stdout)
        entry.update(snapshot["restore_point"])
        entry["snapshot"] = str(Path(args.snapshot).resolve())
        say(f"snapshot saved to {args.snapshot}")
    else:
        match = re.search(r"at (\S+) \(WAL file (\w+)\), (\S+)", result.stdout)
        if match:
            entry.update(lsn=match.group(1), wal_file=match.group(2), created_at=match.group(3))
    wal = switch_and_archive(args, runner)
    say(f"WAL switched and archived up to {wal} (pg_stat_archiver)")
    # Found again by restore --to NAME, to choose the base backup that precedes the point.
    runner.sh('cat >> "$1"', f"{args.archive}/restore-points.log", input=json.dumps(entry) + "\n")
    return entry


def known_restore_points(args, runner: Runner) -> dict[str, dict]:
    path = f"{args.archive}/restore-points.log"
    if not runner.exists(path):
        return {}
    points = {}
    for line in runner.read(path).splitlines():
        if line.strip():
            entry = json.loads(line)
            points.setdefault(entry["name"], entry)
    return points


# --- restore -----------------------------------------------------------------------------------


def choose_backup(args, runner: Runner, target: dict) -> dict:
    found = backups(args, runner)
    if not found:
        raise Failed(f"no base backup in {args.archive}/base (take one with: ops/pitr.py backup)")
    if args.base:
        chosen = [info for info in found if info["directory"].rstrip("/").endswith(args.base)]
        if not chosen:
            raise Failed(f"--base {args.base}: not one of {[b['directory'] for b in found]}")
        return chosen[0]
    if "time" in target:
        # By the stop time in the archive's *.backup file, never the directory's name (the
        # moment the backup started): a backup that stopped after the target cannot reach it.
        before = [info for info in found if parse_time(info["stop_time_utc"]) <= target["time"]]
        if not before:
            raise Failed(
                f"no base backup stopped before {target['text']}; the oldest stopped at "
                f"{found[0]['stop_time_utc']}"
            )
        return before[-1]
    point = known_restore_points(args, runner).get(target["name"])
    if point and point.get("lsn"):
        before = [info for info in found if lsn_int(info["stop_lsn"]) <= lsn_int(point["lsn"])]
        if before:
            return before[-1]
    say(
        f"restore point {target['name']} is not in restore-points.log (riskreg took it itself, "
        "see its log): starting from the oldest base backup, which is always before it"
    )
    return found[0]


def restore(args, runner: Runner, manage: Manage) -> tuple[bool, str]:
    """Recover into a new cluster; returns whether it matches the snapshot, and the check's
    last line ("restored exactly: ..." or the number of differences)."""
    if TIME_TARGET.match(args.to):
        moment = parse_time(args.to)
        target = {"time": moment, "text": args.to}
        if moment.microsecond == 0:
            say(
                "note: a target in whole seconds stops up to a second early when the moment was "
                "noted with date; use SELECT clock_timestamp() or a restore point"
            )
        setting = ("recovery_target_time", args.to)
    else:
        target = {"name": args.to, "text": args.to}
        setting = ("recovery_target_name", args.to)
    data = args.into.rstrip("/")
    log = f"{data}.log"
    info = choose_backup(args, runner, target)
    say(
        f"restoring base backup {info['directory']} (stopped {info['stop_time_utc']}) into "
        f"{data}, to {setting[0]} = {args.to}"
    )
    if runner.sh('[ ! -e "$1" ] || [ -z "$(ls -A "$1")" ]', data, check=False).returncode:
        raise Failed(
            f"{data} is not empty: restore into a new directory (for a real recovery, copy the "
            "old data directory aside first, then empty it)"
        )
    runner.sh(
        'mkdir -p "$1" && chmod 700 "$1" && tar -xzf "$2/base.tar.gz" -C "$1" && '
        'tar -xzf "$2/pg_wal.tar.gz" -C "$1/pg_wal"',
        data,
        info["directory"],
    )
    if args.old_wal:
        # WAL written since the last archived segment exists only in the old pg_wal (an
        # unclean stop, an archive that fell behind): without it the target is never reached.
        copied = runner.sh(
            'for f in "$1"/*; do b=${f##*/}; [ -f "$f" ] || continue; '
            '[ -e "$2/$b" ] && continue; cp "$f" "$3/pg_wal/$b" && echo "$b"; done',
            args.old_wal,
            args.archive,
            data,
        ).stdout.split()
        copied = [name for name in copied if WAL_NAME.match(name)]
        say(
            f"copied {len(copied)} WAL file(s) the archive lacks from {args.old_wal}: "
            f"{', '.join(copied) or 'none'}"
        )
    settings = {
        "restore_command": f'cp "{args.archive}/%f" "%p"',
        setting[0]: setting[1],
        # 'latest' (the default since PostgreSQL 12) follows any newer timeline whose history
        # file an earlier attempt archived, and then misses the target or restores that branch.
        "recovery_target_timeline": args.timeline,
        "recovery_target_action": "promote",
    }
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    block = f"\n# ops/pitr.py restore {stamp}: reset by the script once recovery is done\n"
    block += "".join(f"{key} = {conf_quote(value)}\n" for key, value in settings.items())
    runner.sh('cat >> "$1/postgresql.auto.conf" && touch "$1/recovery.signal"', data, input=block)
    options = f"-p {args.port}"
    if args.archive_command:
        # A real recovery: the new timeline's history file and WAL go to the archive at once.
        options += f" -c archive_mode=on -c archive_command={shlex.quote(args.archive_command)}"
    else:
        # A rehearsal must not add its new timeline to the live archive.
        options += " -c archive_mode=off"
    if args.socket_dir:
        options += f" -c unix_socket_directories={args.socket_dir}"
    say(f"starting the restored cluster on port {args.port} ({options}); log {log}")
    runner.run([runner.tool("pg_ctl"), "-D", data, "-l", log, "-o", options, "-W", "start"])
    dsn = f"{args.db} port={args.port}"
    deadline = time.monotonic() + args.recovery_timeout
    while True:
        time.sleep(0.3)
        alive = runner.run([runner.tool("pg_ctl"), "-D", data, "status"], check=False)
        text = runner.read(log) if runner.exists(log) else ""
        if alive.returncode != 0:
            return _recovery_failed(text, args)
        state = runner.psql(dsn, "SELECT pg_is_in_recovery()", check=False)
        if state == "f":
            break
        if time.monotonic() > deadline:
            raise Failed(f"still recovering after {args.recovery_timeout} s: see {log}")
    text = runner.read(log)
    for line in text.splitlines():
        if any(marker in line for marker in RECOVERY_LOG_LINES):
            say("  log: " + line.split(" LOG:  ", 1)[-1])
    missing = sum("cp: cannot stat" in line for line in text.splitlines())
    if missing:
        say(
            f"  log: {missing} 'cp: cannot stat' line(s): normal, recovery asks the archive for "
            "files past its end and for timeline history files that do not exist"
        )
    if "recovery stopping" not in text:
        raise Failed(f"no 'recovery stopping' line in {log}: the target was not used")
    # Recovery is over: the settings go, so that nothing recovers again by accident.
    runner.psql(dsn, *(f"ALTER SYSTEM RESET {key}" for key in RECOVERY_SETTINGS))
    runner.psql(dsn, "SELECT pg_reload_conf()")
    say("promoted; recovery settings reset (ALTER SYSTEM RESET)")
    exact, summary = True, "restored (no snapshot to check against)"
    if args.snapshot:
        exact, summary = verify(args, manage)
    if args.stop:
        runner.run([runner.tool("pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"])
        say(f"restored cluster stopped ({data})")
    return exact, summary


def _recovery_failed(text: str, args) -> bool:
    tail = [line for line in text.splitlines() if "FATAL" in line or "PANIC" in line]
    say("  log: " + ("\n  log: ".join(tail[-3:]) if tail else "(no FATAL line)"))
    if TARGET_NOT_REACHED in text:
        raise Failed(
            f"{RAN_OUT_OF_WAL}: the WAL after the last archived segment "
            "may be only in the old data directory's pg_wal (give --old-wal), the target may "
            "lie on another timeline (keep --timeline current), or the target is after the "
            "last change"
        )
    raise Failed("the restored server stopped during recovery: see the log lines above")


def verify(args, manage: Manage) -> tuple[bool, str]:
    say(f"checking the restored database against {args.snapshot} (manage.py restore_check)")
    result = manage.run(
        "restore_check",
        "--against",
        "-",
        database_url=args.database_url,
        input=Path(args.snapshot).read_text(),
    )
    lines = [
        line.removeprefix("CommandError: ")
        for line in (result.stdout + result.stderr).strip().splitlines()
    ]
    for line in lines:
        say("  " + line)
    return result.returncode == 0, lines[-1] if lines else "restore_check printed nothing"


def cleanup(args, runner: Runner) -> None:
    found = backups(args, runner)
    if len(found) <= args.keep:
        say(f"{len(found)} base backup(s), keeping them all (--keep {args.keep})")
        return
    drop, keep = found[: -args.keep], found[-args.keep :]
    oldest = keep[0]
    for info in drop:
        runner.sh('rm -rf "$1"', info["directory"])
        say(f"removed base backup {info['directory']}")
    # The oldest kept backup's *.backup file names its first WAL segment; everything before it
    # serves only the backups just removed.
    runner.run([runner.tool("pg_archivecleanup"), args.archive, oldest["backup_file"]])
    say(f"removed WAL before {oldest['start_wal']} ({oldest['backup_file']})")


# --- command line ------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--archive",
        default=env("RISKREG_WAL_ARCHIVE", "/var/lib/postgresql/wal-archive"),
        help="the WAL archive, base backups under base/ (RISKREG_WAL_ARCHIVE)",
    )
    p.add_argument(
        "--pg-exec",
        default=env("RISKREG_PG_EXEC", ""),
        help="prefix running commands as postgres where the server is, e.g. 'docker compose "
        "--project-directory /srv/riskreg exec -T -u postgres db' (RISKREG_PG_EXEC)",
    )
    p.add_argument(
        "--pg-bin", default=env("RISKREG_PG_BIN", ""), help="PostgreSQL's bin (RISKREG_PG_BIN)"
    )
    p.add_argument(
        "--db",
        default=env("RISKREG_PG_DB", "dbname=riskreg"),
        help="libpq connection string of the live server, e.g. 'dbname=riskreg user=riskreg' "
        "(RISKREG_PG_DB)",
    )
    p.add_argument(
        "--manage",
        default=env("RISKREG_MANAGE", f"{sys.executable} manage.py"),
        help="how to run riskreg's manage.py, e.g. 'docker compose exec -T web python manage.py'"
        " (RISKREG_MANAGE)",
    )
    p.add_argument("--wait", type=int, default=120, help="seconds to wait for the archiver")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("backup", help="base backup with -c fast, checked, stop time recorded")
    b.add_argument("--no-verify", dest="verify", action="store_false", help="skip pg_verifybackup")
    r = sub.add_parser("restore-point", help="a named restore point, its WAL archived")
    r.add_argument("name")
    r.add_argument("--reason", default="taken by ops/pitr.py restore-point")
    r.add_argument("--snapshot", help="save counts and export checksums here (JSON)")
    s = sub.add_parser("restore", help="recover into a new cluster to a time or restore point")
    s.add_argument("--to", required=True, help="'2026-11-20 14:30:00.123456+00' or a point name")
    s.add_argument("--into", required=True, help="new data directory (empty or absent)")
    s.add_argument("--port", required=True, type=int, help="port of the restored cluster")
    s.add_argument("--old-wal", help="the old data directory's pg_wal: WAL the archive lacks")
    s.add_argument("--snapshot", help="check the result against this snapshot")
    s.add_argument("--database-url", help="riskreg's DATABASE_URL for the restored cluster")
    s.add_argument("--base", help="use this base backup (its directory name)")
    s.add_argument(
        "--timeline", default="current", help="recovery_target_timeline; leave it 'current'"
    )
    s.add_argument(
        "--archive-command",
        help="real recovery only: archive the new timeline with this (the live archive_command); "
        "without it the restored cluster runs with archive_mode=off",
    )
    s.add_argument("--socket-dir", help="unix_socket_directories of the restored cluster")
    s.add_argument("--recovery-timeout", type=int, default=3600)
    s.add_argument("--stop", action="store_true", help="stop the restored cluster when checked")
    v = sub.add_parser("verify", help="compare a database with a snapshot")
    v.add_argument("--snapshot", required=True)
    v.add_argument("--database-url", required=True)
    c = sub.add_parser("cleanup", help="keep the newest N base backups and the WAL they need")
    c.add_argument("--keep", type=int, required=True)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    runner = Runner(prefix=shlex.split(args.pg_exec), pg_bin=args.pg_bin)
    manage = Manage(args.manage)
    try:
        if args.command == "backup":
            backup(args, runner)
        elif args.command == "restore-point":
            restore_point(args, runner, manage)
        elif args.command == "restore":
            if args.snapshot and not args.database_url:
                raise Failed("--snapshot needs --database-url (riskreg's URL of the restored one)")
            return 0 if restore(args, runner, manage)[0] else 1
        elif args.command == "verify":
            return 0 if verify(args, manage)[0] else 1
        elif args.command == "cleanup":
            cleanup(args, runner)
    except Failed as exc:
        say(f"FAILED: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
