#!/usr/bin/env python3
"""The restore drill (``make restore-drill``): point-in-time recovery rehearsed end to end on
PostgreSQL clusters of its own, with the scripts of ``ops/pitr.py`` (issue 21).

1. A source cluster on a free port, with the settings of compose's ``db`` service read from
   docker-compose.yml (``wal_level=replica``, ``archive_mode=on``, an ``archive_command`` copying
   each finished segment to an archive folder, here a temporary one).
   ``migrate`` and ``seed_demo``, then a base backup (``ops/pitr.py backup``).
2. Changes through riskreg: an import of 20 risks (``import_register``, which takes and logs its
   own restore point), edits, a closure, a control, and five edits within the second before a
   time T read with ``clock_timestamp()``; a snapshot at T; more edits; a named restore point with
   its snapshot (``ops/pitr.py restore-point``); a careless deletion of a register's risks and
   more changes.
3. A careless first attempt as the old procedure made it: T cut to whole seconds, the latest
   timeline, archiving into the same archive. Its check shows what it lost, and the timeline
   history file it archives is the trap the next recoveries must not fall into.
4. Recoveries into a second cluster (another port, ``archive_mode=off``, timeline pinned to
   ``current``), each checked against its snapshot (row counts of every table, a checksum of
   every register's CSV export): to the restore point, to T to the microsecond, and after an
   unclean stop (``pg_ctl -m immediate``), to the restore point riskreg took before an import,
   whose WAL is only in the old ``pg_wal`` and is copied before recovery.

A mutation breaks one recovery on purpose: ``one-second-early`` recovers to T minus a second,
``latest-timeline`` to the restore point along the latest timeline, ``no-old-wal`` without the
old ``pg_wal``. ``--mutate NAME`` makes that recovery broken instead of correct (the drill fails).
``--check-mutations`` (``tests/test_restore_drill.py``) makes every correct recovery and then
each mutated one from the same source and archive, and passes only if every correct one is exact
and every mutated one is caught: fails the way that mutation must (``Mutation.failure``: the check
finds differences, or recovery runs out of WAL). A mutated recovery that fails otherwise (a port
taken, a tool missing) proves nothing about the mutation and fails the drill. The mutated ones
come after every correct one, latest-timeline (the one that follows the archive's history files)
last; the source is stopped by then, and the drill checks that none of them changed the archive.

Never touches the cluster on 5432: the drill's clusters live in a temporary directory, owned by
the ``postgres`` user when run as root, and are stopped and removed at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import glob
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pitr  # noqa: E402 (this directory, put on the path above)
from pitr import Failed, Manage, Runner, say  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_ARCHIVE = "/var/lib/postgresql/wal-archive"
# Variables of the developer's shell that would point riskreg somewhere else than the drill's
# clusters (the production settings, another database, a real broker).
OWN_PREFIXES = ("DJANGO_", "CELERY_", "RISKREG_", "DATABASE_", "PG")

CHANGES_BEFORE = """
from registers.models import Risk
from registers.services.risks import control_add, risk_close, risk_update
def risk(ref):
    return Risk.objects.get(organisation__slug="espo", ref=ref)
r = risk("DRILL-01")
risk_update(risk=r, expected_version=r.version, fields={"title": "Drill: supplier failure (edited)"})
r = risk("DRILL-02")
risk_update(risk=r, expected_version=r.version, fields={"consequence": "Drill: edited consequence"})
r = risk("DRILL-03")
risk_close(risk=r, expected_version=r.version, reason="Drill: fully mitigated")
control_add(risk=risk("DRILL-04"), description="Drill: monthly supplier review")
"""

# Five edits within the second before T: a target cut to whole seconds (or a second early)
# loses them, which is what the issue found the old procedure did.
BURST_THEN_T = """
import time
from django.db import connection
from registers.models import Risk
from registers.services.risks import risk_update
time.sleep(1.05 - time.time() % 1)
for n in range(5, 10):
    r = Risk.objects.get(organisation__slug="espo", ref=f"DRILL-{n:02d}")
    risk_update(risk=r, expected_version=r.version, fields={"description": f"Drill burst {n}"})
with connection.cursor() as cursor:
    cursor.execute("SELECT clock_timestamp()")
    print("T=" + cursor.fetchone()[0].isoformat())
"""

CHANGES_AFTER_T = """
from registers.models import Risk
from registers.services.risks import action_add, risk_update
r = Risk.objects.get(organisation__slug="espo", ref="DRILL-10")
risk_update(risk=r, expected_version=r.version, fields={"title": "Drill: edited after T"})
action_add(risk=r, description="Drill: action added after T")
"""

CARELESS_DELETE = """
from registers.models import Risk
deleted, _ = Risk.objects.filter(organisation__slug="mopac", register__slug="corporate").delete()
print(f"deleted {deleted} rows")
"""

EDIT_AFTER_DELETE = """
from registers.models import Risk
from registers.services.risks import risk_update
r = Risk.objects.get(organisation__slug="espo", ref="DRILL-11")
risk_update(risk=r, expected_version=r.version, fields={"title": "Drill: edited after the delete"})
"""


@dataclass(frozen=True)
class Recovery:
    """One of the drill's recoveries: its label in the results, the target (a time or a restore
    point), the snapshot it must match, and how it is made."""

    label: str
    target: str
    snapshot: str
    timeline: str = "current"
    old_wal: str | None = None


def _one_second_early(recovery: Recovery) -> Recovery:
    early = dt.datetime.fromisoformat(recovery.target) - dt.timedelta(seconds=1)
    return replace(recovery, target=early.isoformat())


# How a recovery's summary starts when it fails the way a mutation must: the check finds
# differences (``manage.py restore_check``'s error), or recovery stops short (``pitr.restore``).
NOT_EXACT = "NOT restored exactly: "
FAILED = "FAILED: {reason}"
OUT_OF_WAL = FAILED.format(reason=pitr.RAN_OUT_OF_WAL)


@dataclass(frozen=True)
class Mutation:
    """A recovery broken on purpose: the correct one it breaks ("point", "microsecond" or
    "unclean"), how, and the start of the summary it must end with to count as caught."""

    step: str
    mutate: Callable[[Recovery], Recovery]
    failure: str


# In this order under --check-mutations: latest-timeline last, as the one that follows the
# archive's timeline history files (nothing runs after it that could be misled by what it left).
MUTATIONS: dict[str, Mutation] = {
    "one-second-early": Mutation("microsecond", _one_second_early, NOT_EXACT),
    "no-old-wal": Mutation("unclean", lambda recovery: replace(recovery, old_wal=None), OUT_OF_WAL),
    "latest-timeline": Mutation(
        "point", lambda recovery: replace(recovery, timeline="latest"), OUT_OF_WAL
    ),
}

CAUGHT = "caught"
NOT_CAUGHT = "NOT CAUGHT"
FAILED_OTHERWISE = "failed otherwise, not with {failure!r}"


def mutation_verdict(name: str, *, exact: bool, summary: str) -> str:
    """Whether the mutated recovery ``name`` was caught: not exact, and failing the way that
    mutation must. ``CAUGHT``, ``NOT_CAUGHT`` (it restored exactly) or ``FAILED_OTHERWISE``."""
    if exact:
        return NOT_CAUGHT
    failure = MUTATIONS[name].failure
    if summary.startswith(failure):
        return CAUGHT
    return FAILED_OTHERWISE.format(failure=failure.strip())


def compose_db_settings(*, archive: str) -> dict[str, str]:
    """The ``-c`` settings of compose's ``db`` service, read from docker-compose.yml so the drill
    cannot drift from production, with the container's archive path replaced by ``archive``."""
    import yaml

    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["db"]["command"]
    settings = {}
    for flag, value in zip(command[1::2], command[2::2], strict=True):
        if flag == "-c":
            key, _, setting = value.partition("=")
            settings[key] = setting.replace(COMPOSE_ARCHIVE, archive)
    return settings


def free_port() -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port != 5432:
            return port


def pg_bin() -> str:
    """PostgreSQL's binaries: RISKREG_PG_BIN, else the newest under /usr/lib/postgresql."""
    if os.environ.get("RISKREG_PG_BIN"):
        return os.environ["RISKREG_PG_BIN"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_basebackup"), key=_version)
    if found:
        return str(Path(found[-1]).parent)
    which = shutil.which("pg_basebackup")
    if which:
        return str(Path(which).parent)
    raise Failed("no PostgreSQL binaries (initdb, pg_ctl, pg_basebackup): set RISKREG_PG_BIN")


def _version(path: str) -> int:
    match = re.search(r"/postgresql/(\d+)/", path)
    return int(match.group(1)) if match else 0


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def risk_rows(first: int, count: int) -> list[dict]:
    return [
        {
            "ref": f"DRILL-{n:02d}",
            "title": f"Drill risk {n}",
            "description": f"Imported by the restore drill, row {n}",
            "current_likelihood": 1 + n % 5,
            "current_impact": 1 + (n * 3) % 5,
        }
        for n in range(first, first + count)
    ]


class Drill:
    def __init__(self, options):
        self.options = options
        self.mutate = set(options.mutate or ())
        self.check_mutations = options.check_mutations
        self.root = os.geteuid() == 0
        self.work = Path(tempfile.mkdtemp(prefix="riskreg-drill-"))
        self.work.chmod(0o755)
        if self.root:
            shutil.chown(self.work, "postgres", "postgres")
        self.archive = self.work / "archive"
        self.archive_command = compose_db_settings(archive=str(self.archive))["archive_command"]
        self.source = self.work / "source"
        self.ports = (free_port(), free_port())
        self.bin = pg_bin()
        prefix = "runuser -u postgres --" if self.root else ""
        self.runner = Runner(prefix=prefix.split(), pg_bin=self.bin)
        self.started: list[Path] = []
        self.dsn = f"host=127.0.0.1 port={self.ports[0]} user=postgres dbname=riskreg"
        self.url = f"postgres://postgres@127.0.0.1:{self.ports[0]}/riskreg"
        self.manage = Manage(f"{sys.executable} manage.py")
        self.results: list[tuple[str, bool, str]] = []
        # Under --check-mutations: (mutation, label, exact, summary) of each mutated recovery.
        self.mutants: list[tuple[str, str, bool, str]] = []
        self.recoveries: dict[str, Recovery] = {}
        # Set by the unclean stop: from then on nothing but a recovery could write to the archive.
        self.source_stopped = False
        self.archive_written: list[str] = []
        for name in list(os.environ):
            if name.startswith(OWN_PREFIXES):
                del os.environ[name]
        os.environ.update(
            DJANGO_SETTINGS_MODULE="riskreg.settings.local",
            DATABASE_URL=self.url,
            DJANGO_MEDIA_ROOT=str(self.work / "media"),
        )

    # --- plumbing ------------------------------------------------------------------------------

    def pitr_args(self, *argv: str):
        common = ["--archive", str(self.archive), "--pg-bin", self.bin, "--db", self.dsn]
        common += ["--pg-exec", " ".join(self.runner.prefix), "--wait", "60"]
        return pitr.parser().parse_args([*common, *argv])

    def django(self, *args: str, check: bool = True, input: str | None = None):
        result = self.manage.run(*args, database_url=self.url, input=input)
        if check and result.returncode != 0:
            raise Failed(f"manage.py {args[0]}: {(result.stderr or result.stdout).strip()}")
        return result

    def shell(self, code: str) -> str:
        return self.django("shell", "--no-imports", "-c", code).stdout

    def stop_all(self) -> None:
        for data in reversed(self.started):
            self.runner.run(
                [self.runner.tool("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                check=False,
            )

    # --- the drill -----------------------------------------------------------------------------

    def run(self) -> bool:
        say(f"drill in {self.work}; PostgreSQL from {self.bin}; ports {self.ports}")
        self.source_cluster()
        say("migrate and seed_demo into the source cluster")
        self.django("migrate", "--noinput")
        self.django("seed_demo", "--no-packs")  # packs live in media, which the drill leaves out
        pitr.backup(self.pitr_args("backup"), self.runner)

        say("changes before T: import 20 risks (import_register), edits, a closure, a control")
        write_csv(self.work / "drill-20.csv", risk_rows(1, 20))
        imported = self.django(
            "import_register",
            str(self.work / "drill-20.csv"),
            "--org",
            "espo",
            "--register",
            "corporate",
        )
        self.show_restore_point_log(imported.stderr)
        self.shell(CHANGES_BEFORE)
        out = self.shell(BURST_THEN_T)
        t = re.search(r"T=(\S+)", out).group(1)
        say(f"five edits in the second before T; T = {t} (SELECT clock_timestamp())")
        self.django("restore_check", "--save", str(self.work / "at-time.json"))
        say("snapshot at T saved (restore_check --save)")
        self.shell(CHANGES_AFTER_T)
        say("changes after T: an edit, an action")
        pitr.restore_point(
            self.pitr_args(
                "restore-point",
                "drill-before-delete",
                "--reason",
                "the restore drill",
                "--snapshot",
                str(self.work / "at-point.json"),
            ),
            self.runner,
            self.manage,
        )
        say("careless deletion: " + self.shell(CARELESS_DELETE).strip() + " (mopac/corporate)")
        write_csv(self.work / "drill-one.csv", risk_rows(21, 1))
        self.django(
            "import_register",
            str(self.work / "drill-one.csv"),
            "--org",
            "espo",
            "--register",
            "corporate",
        )
        self.shell(EDIT_AFTER_DELETE)
        say("more changes after the deletion: a risk imported, an edit")
        wal = pitr.switch_and_archive(self.pitr_args("restore-point", "x"), self.runner)
        say(f"pg_switch_wal(): archived up to {wal} (pg_stat_archiver)")

        self.careless_attempt(t)
        self.step(
            "point",
            Recovery("restore point drill-before-delete", "drill-before-delete", "at-point.json"),
        )
        self.step("microsecond", Recovery(f"microsecond target {t}", t, "at-time.json"))
        self.unclean_stop()
        if self.check_mutations:
            say("mutated recoveries, each of which the drill must catch, on the same archive")
            for name, mutation in MUTATIONS.items():
                self.recover(mutation.mutate(self.recoveries[mutation.step]), mutation=name)
        return self.report()

    def step(self, name: str, recovery: Recovery) -> None:
        """One of the three recoveries, broken by --mutate if asked."""
        self.recoveries[name] = recovery
        for mutation_name, mutation in MUTATIONS.items():
            if mutation.step == name and mutation_name in self.mutate:
                recovery = mutation.mutate(recovery)
        self.recover(recovery)

    def source_cluster(self) -> None:
        data, port = self.source, self.ports[0]
        say(f"source cluster on port {port}, set up as compose's db service")
        self.runner.run(
            [self.runner.tool("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
            + ["-E", "UTF8", "--no-sync"]
        )
        self.runner.sh('mkdir -m 700 "$1"', str(self.archive))
        settings = compose_db_settings(archive=str(self.archive))
        archive_command = settings["archive_command"]
        settings.update(
            port=str(port), listen_addresses="127.0.0.1", unix_socket_directories=str(self.work)
        )
        conf = "".join(f"{key} = {pitr.conf_quote(value)}\n" for key, value in settings.items())
        self.runner.sh('cat >> "$1/postgresql.conf"', str(data), input=conf)
        self.runner.run(
            [self.runner.tool("pg_ctl"), "-D", str(data), "-l", f"{data}.log", "-w", "start"]
        )
        self.started.append(data)
        self.runner.psql(
            self.dsn.replace("dbname=riskreg", "dbname=postgres"), "CREATE DATABASE riskreg"
        )
        say(f"  wal_level=replica, archive_mode=on, archive_command='{archive_command}'")

    def show_restore_point_log(self, stderr: str) -> str | None:
        for line in stderr.splitlines():
            match = re.search(r"restore point (\S+) at .*", line)
            if match and "riskreg.backups" in line:
                say("  riskreg's log: " + match.group(0))
                return match.group(1)
        return None

    def careless_attempt(self, t: str) -> None:
        whole = dt.datetime.fromisoformat(t).replace(microsecond=0).isoformat()
        label = f"careless first attempt (old procedure): to {whole}, latest timeline, archiving on"
        say(label)
        data = self.work / "attempt"
        args = self.pitr_args(
            "restore",
            "--to",
            whole,
            "--into",
            str(data),
            "--port",
            str(self.ports[1]),
            "--timeline",
            "latest",
            "--archive-command",
            self.archive_command,
            "--socket-dir",
            str(self.work),
            "--snapshot",
            str(self.work / "at-time.json"),
            "--database-url",
            self.restored_url(),
        )
        self.started.append(data)
        try:
            exact, _ = pitr.restore(args, self.runner, self.manage)
        except Failed as exc:
            exact = False
            say(f"  the attempt failed: {exc}")
        finally:
            self.runner.run(
                [self.runner.tool("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                check=False,
            )
        histories = sorted(p.name for p in self.archive.glob("*.history"))
        say(
            f"  the attempt {'restored exactly (unexpected)' if exact else 'lost changes'}; "
            f"it archived {', '.join(histories) or 'no history file'} into the archive"
        )
        self.runner.sh('rm -rf "$1" "$1.log"', str(data))

    def restored_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.ports[1]}/riskreg"

    def archive_files(self) -> dict[str, tuple[int, int]]:
        return {
            str(path.relative_to(self.archive)): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in sorted(self.archive.rglob("*"))
            if path.is_file()
        }

    def recover(self, recovery: Recovery, *, mutation: str | None = None) -> None:
        label = recovery.label
        say(f"RECOVERY{f' (mutation {mutation})' if mutation else ''}: {label}")
        data = self.work / re.sub(r"\W+", "-", f"{mutation or ''} {label}".strip())[:40]
        argv = [
            "restore",
            "--to",
            recovery.target,
            "--into",
            str(data),
            "--port",
            str(self.ports[1]),
            "--timeline",
            recovery.timeline,
            "--socket-dir",
            str(self.work),
            "--snapshot",
            str(self.work / recovery.snapshot),
            "--database-url",
            self.restored_url(),
        ]
        if recovery.old_wal:
            argv += ["--old-wal", recovery.old_wal]
        # With the source stopped, any change to the archive is this recovery's doing: the
        # restored clusters run with archive_mode=off and must leave the archive as it was.
        before = self.archive_files() if self.source_stopped else None
        self.started.append(data)
        try:
            exact, summary = pitr.restore(self.pitr_args(*argv), self.runner, self.manage)
        except Failed as exc:
            exact, summary = False, FAILED.format(reason=exc)
            say(summary)
        finally:
            self.runner.run(
                [self.runner.tool("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                check=False,
            )
            self.runner.sh('rm -rf "$1" "$1.log"', str(data))
        if before is not None:
            after = self.archive_files()
            changed = sorted(
                name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
            )
            if changed:
                self.archive_written.append(f"{label}: {', '.join(changed)}")
                say(f"  the recovery WROTE INTO THE ARCHIVE: {', '.join(changed)}")
            else:
                say(f"  archive unchanged by this recovery ({len(after)} files)")
        if mutation:
            self.mutants.append((mutation, label, exact, summary))
        else:
            self.results.append((label, exact, summary))

    def unclean_stop(self) -> None:
        say("unclean stop: snapshot, an import (riskreg takes its restore point), an edit")
        self.django("restore_check", "--save", str(self.work / "before-import.json"))
        write_csv(self.work / "drill-three.csv", risk_rows(22, 3))
        imported = self.django(
            "import_register",
            str(self.work / "drill-three.csv"),
            "--org",
            "espo",
            "--register",
            "corporate",
        )
        name = self.show_restore_point_log(imported.stderr)
        if name is None:
            raise Failed("import_register logged no restore point")
        self.shell(EDIT_AFTER_DELETE.replace("after the delete", "after the import"))
        point = re.search(r"WAL file (\w+)", imported.stderr).group(1)
        self.runner.run(
            [self.runner.tool("pg_ctl"), "-D", str(self.source), "-m", "immediate", "stop"]
        )
        archived = (self.archive / point).exists()
        say(
            f"source stopped with pg_ctl -m immediate; WAL file {point} holding the point is "
            f"{'in the archive (unexpected)' if archived else 'only in the old pg_wal'}"
        )
        self.source_stopped = True
        self.step(
            "unclean",
            Recovery(
                f"unclean stop, riskreg's point {name}",
                name,
                "before-import.json",
                old_wal=str(self.source / "pg_wal"),
            ),
        )

    def report(self) -> bool:
        say("results")
        for label, _, summary in self.results:
            print(f"  {label}: {summary}", flush=True)
        verdicts = []
        for mutation, label, exact, summary in self.mutants:
            verdicts.append(mutation_verdict(mutation, exact=exact, summary=summary))
            print(f"  mutation {mutation} ({label}): {verdicts[-1]}: {summary}", flush=True)
        for written in self.archive_written:
            print(f"  wrote into the archive: {written}", flush=True)
        return (
            all(exact for _, exact, _ in self.results)
            and all(verdict == CAUGHT for verdict in verdicts)
            and not self.archive_written
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mutations = parser.add_mutually_exclusive_group()
    mutations.add_argument(
        "--mutate",
        action="append",
        choices=tuple(MUTATIONS),
        help="break one recovery on purpose (the drill then fails)",
    )
    mutations.add_argument(
        "--check-mutations",
        action="store_true",
        help="after the correct recoveries, run each mutated one on the same archive: passes "
        "only if every correct recovery is exact and every mutated one is caught",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    options = parser.parse_args(argv)

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    drill = Drill(options)
    ok = False
    try:
        ok = drill.run()
    except Failed as exc:
        say(f"FAILED: {exc}")
    finally:
        drill.stop_all()
        if options.keep:
            say(f"kept {drill.work}")
        else:
            shutil.rmtree(drill.work, ignore_errors=True)
            say("clusters stopped and removed")
    say("drill passed" if ok else "drill FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
