"""Backups that restore exactly (issue 21): the drill's own check, the restore points riskreg takes
before destructive commands, the scripts' choices, and the drill itself end to end.

The check (``riskreg/snapshots.py``) compares the row count of every table and a checksum of every
register's export with those saved at the restore point. The unit tests show it catches what the
old procedure lost (edits in the second before the target, which a risk count cannot see). The
end-to-end test runs ``ops/restore_drill.py --check-mutations`` on PostgreSQL clusters of its own
(about a minute and a half here): the correct recoveries must be exact and every mutated one,
made from the same source cluster, must fail. It needs PostgreSQL's server binaries (initdb,
pg_ctl, pg_basebackup) and never touches the test database's server.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import os
import pwd
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from registers.services.risks import risk_update
from riskreg import backups
from riskreg.backups import (
    NAME_MAX,
    NAME_PATTERN,
    RESTORE_POINT_BAD_NAME,
    RESTORE_POINT_NOT_ALLOWED,
    restore_point_create,
    restore_point_name,
)
from riskreg.snapshots import snapshot_differences, snapshot_summary, state_snapshot
from scoring.presets import preset_path
from tests.factories import ControlFactory, RiskFactory, corporate_register_of
from tests.reporting.conftest import csv_bytes

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "ops"))

import pitr  # noqa: E402 (ops/ is not a package: the scripts run from a checkout)
import restore_drill  # noqa: E402


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- the drill's check -------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unchanged_database_matches_its_snapshot(organisation):
    RiskFactory.create_batch(3, register=corporate_register_of(organisation))
    saved = state_snapshot()

    assert snapshot_differences(saved, state_snapshot()) == []
    risks = saved["registers"][f"{organisation.slug}/corporate"]["risks"]
    assert risks == 3
    assert saved["tables"]["registers_risk"] == 3
    summary = snapshot_summary(saved)
    assert re.fullmatch(r"restored exactly: \d+ tables, \d+ rows, \d+ registers identical", summary)


@pytest.mark.django_db
def test_a_recovery_one_second_early_is_caught_though_the_risk_count_agrees(organisation):
    """The old procedure's check (a risk count) passed while five edits were lost."""
    risk = RiskFactory(register=corporate_register_of(organisation))
    recovered_too_early = state_snapshot()
    risk_update(risk=risk, expected_version=risk.version, fields={"title": "Edited before T"})
    at_target = state_snapshot()

    differences = snapshot_differences(at_target, recovered_too_early)

    assert at_target["tables"]["registers_risk"] == recovered_too_early["tables"]["registers_risk"]
    assert any(line.startswith("table registers_historicalrisk:") for line in differences)
    assert (
        f"register {organisation.slug}/corporate: the export differs (1 risks in the "
        in "\n".join(differences)
    )


@pytest.mark.django_db
def test_a_lost_control_shows_in_its_table_and_its_registers_export(organisation):
    risk = RiskFactory(register=corporate_register_of(organisation))
    before = state_snapshot()
    ControlFactory(risk=risk)

    differences = snapshot_differences(state_snapshot(), before)

    assert "table registers_control: 1 rows in the snapshot, 0 now" in differences
    assert any(line.startswith(f"register {organisation.slug}/corporate") for line in differences)


def test_every_mutation_of_a_snapshot_is_reported():
    saved = {
        "format": "riskreg-snapshot/1",
        "tables": {"registers_risk": 20, "registers_control": 5, "django_migrations": 60},
        "registers": {
            "espo/corporate": {"risks": 20, "sha256": "a" * 64},
            "mopac/corporate": {"risks": 17, "sha256": "b" * 64},
        },
    }
    assert snapshot_differences(saved, copy.deepcopy(saved)) == []

    mutated = copy.deepcopy(saved)
    mutated["tables"]["registers_control"] = 4
    del mutated["tables"]["django_migrations"]
    mutated["tables"]["registers_extra"] = 1
    mutated["registers"]["espo/corporate"]["sha256"] = "c" * 64
    del mutated["registers"]["mopac/corporate"]
    mutated["registers"]["wmp/corporate"] = {"risks": 2, "sha256": "d" * 64}

    assert snapshot_differences(saved, mutated) == [
        "table django_migrations: 60 rows in the snapshot, missing now",
        "table registers_control: 5 rows in the snapshot, 4 now",
        "table registers_extra: not in the snapshot, 1 rows now",
        "register espo/corporate: the export differs (20 risks in the snapshot, 20 now)",
        "register mopac/corporate: 17 risks in the snapshot, missing now",
        "register wmp/corporate: not in the snapshot, 2 risks now",
    ]


@pytest.mark.django_db
def test_restore_check_passes_on_its_own_snapshot_and_fails_naming_each_difference(
    organisation, tmp_path
):
    risk = RiskFactory(register=corporate_register_of(organisation))
    snapshot = tmp_path / "at-point.json"
    run("restore_check", "--save", str(snapshot))

    out, _ = run("restore_check", "--against", str(snapshot))
    assert out.startswith("restored exactly: ")

    risk_update(risk=risk, expected_version=risk.version, fields={"title": "After the point"})
    err = StringIO()
    with pytest.raises(CommandError, match=r"NOT restored exactly: 2 differences"):
        call_command("restore_check", "--against", str(snapshot), stdout=StringIO(), stderr=err)
    assert "table registers_historicalrisk" in err.getvalue()


@pytest.mark.django_db
def test_restore_check_refuses_a_file_that_is_not_a_snapshot(tmp_path):
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"tables": {}}))
    with pytest.raises(CommandError, match="not a snapshot"):
        run("restore_check", "--against", str(wrong))
    with pytest.raises(CommandError, match="No such file"):
        run("restore_check", "--against", str(tmp_path / "missing.json"))


# --- restore points riskreg takes itself -------------------------------------------------------


def test_automatic_names_are_unique_valid_and_short_enough():
    moment = dt.datetime(2026, 11, 20, 14, 30, 0, 123456, tzinfo=dt.UTC)
    name = restore_point_name("import", moment=moment)
    assert name == "before-import-20261120T143000.123456Z"
    long = restore_point_name("x" * 100, moment=moment)
    assert len(long) <= NAME_MAX and long.endswith("20261120T143000.123456Z")
    assert NAME_PATTERN.match(long)


@pytest.mark.django_db
def test_a_role_that_may_not_take_restore_points_is_logged_and_the_import_still_runs(
    organisation, tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(backups, "_may_create_restore_points", lambda cursor: False)
    path = tmp_path / "risks.csv"
    path.write_bytes(csv_bytes([["ref", "title"], ["N1", "New risk"]]))

    with caplog.at_level(logging.WARNING, logger="riskreg.backups"):
        out, _ = run(
            "import_register", str(path), "--org", organisation.slug, "--register", "corporate"
        )

    assert "imported risks.csv" in out
    assert corporate_register_of(organisation).risks.filter(ref="N1").exists()
    (record,) = [r for r in caplog.records if r.name == "riskreg.backups"]
    assert "not taken" in record.getMessage()
    assert RESTORE_POINT_NOT_ALLOWED in record.getMessage()


@pytest.mark.django_db
def test_the_operators_restore_point_command_says_why_it_could_not(organisation, monkeypatch):
    monkeypatch.setattr(backups, "_may_create_restore_points", lambda cursor: False)
    with pytest.raises(CommandError, match=re.escape(RESTORE_POINT_NOT_ALLOWED)):
        run("restore_point", "before-cleanup")
    with pytest.raises(CommandError, match=re.escape(RESTORE_POINT_BAD_NAME)):
        run("restore_point", "two words")


@pytest.mark.django_db
def test_a_refused_restore_point_leaves_the_callers_transaction_usable(organisation, monkeypatch):
    """Inside a transaction (a test's, a caller's atomic block) an error from PostgreSQL would
    abort it; the savepoint keeps it going."""
    from django.db import connection

    # Restore points exist on PostgreSQL only, which the suite always runs on (CI included).
    assert connection.vendor == "postgresql", "this test needs PostgreSQL at 127.0.0.1:5432"

    def refuse(cursor):
        cursor.execute("SELECT pg_create_restore_point(repeat('x', 100))")  # too long: an ERROR
        return True

    monkeypatch.setattr(backups, "_may_create_restore_points", refuse)
    assert restore_point_create(name="before-test", reason="test") is None
    assert corporate_register_of(organisation).slug == "corporate"  # the connection still answers


@pytest.mark.django_db
def test_import_and_load_scheme_take_a_restore_point_first_and_a_dry_run_takes_none(
    organisation, tmp_path, monkeypatch
):
    taken = []

    def record(*, name, reason, **kwargs):
        taken.append((name, reason))

    import reporting.management.commands.import_register as import_command
    import scoring.management.commands.load_scheme as scheme_command

    monkeypatch.setattr(import_command, "restore_point_create", record)
    monkeypatch.setattr(scheme_command, "restore_point_create", record)
    path = tmp_path / "risks.csv"
    path.write_bytes(csv_bytes([["ref", "title"], ["N1", "New risk"]]))
    args = ("import_register", str(path), "--org", organisation.slug, "--register", "corporate")

    run(*args, "--dry-run")
    assert taken == []
    run(*args)
    run("load_scheme", str(preset_path("met-4x4")), "--org", organisation.slug)

    assert [name.split("-2")[0] for name, _ in taken] == ["before-import", "before-load-scheme"]
    assert taken[0][1] == f"import_register risks.csv into {organisation.slug}/corporate"


# --- the scripts' choices ----------------------------------------------------------------------


BACKUP_FILE = """START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
STOP WAL LOCATION: 0/2000100 (file 000000010000000000000002)
CHECKPOINT LOCATION: 0/2000060
BACKUP METHOD: streamed
BACKUP FROM: primary
START TIME: 2026-11-19 02:00:00 UTC
LABEL: riskreg 20261119T020000Z
START TIMELINE: 1
STOP TIME: 2026-11-19 02:03:41 UTC
STOP TIMELINE: 1
"""


def test_the_backup_file_names_the_first_wal_segment_and_the_stop():
    info = pitr.parse_backup_file(BACKUP_FILE)
    assert info["start_wal"] == "000000010000000000000002"
    assert info["stop_lsn"] == "0/2000100"
    assert info["stop_time_text"] == "2026-11-19 02:03:41 UTC"
    assert info["label"] == "riskreg 20261119T020000Z"


def test_targets_need_a_time_zone_and_keep_their_microseconds():
    moment = pitr.parse_time("2026-11-20 14:30:00.123456+00")
    assert moment == dt.datetime(2026, 11, 20, 14, 30, 0, 123456, tzinfo=dt.UTC)
    with pytest.raises(pitr.Failed, match="time zone"):
        pitr.parse_time("2026-11-20 14:30:00")


def test_the_base_backup_is_chosen_by_its_stop_time_not_its_directory_name(tmp_path):
    """A backup started before T but finished after it cannot reach T."""
    archive = tmp_path / "archive"
    stops = {
        "20261120T020000Z": "2026-11-20T02:03:00+00:00",
        "20261120T142900Z": "2026-11-20T14:31:00+00:00",
    }
    for n, (name, stop) in enumerate(stops.items()):
        (archive / "base" / name).mkdir(parents=True)
        info = {"directory": str(archive / "base" / name), "stop_time_utc": stop}
        info["stop_lsn"] = f"0/{n + 2}000100"
        (archive / "base" / name / "backup.json").write_text(json.dumps(info))
    args = pitr.parser().parse_args(
        ["--archive", str(archive), "restore", "--to", "x", "--into", "d", "--port", "1"]
    )
    target = {"time": pitr.parse_time("2026-11-20 14:30:00.5+00"), "text": "T"}

    chosen = pitr.choose_backup(args, pitr.Runner(), target)

    assert chosen["directory"].endswith("20261120T020000Z")


def _pg_bin() -> str | None:
    try:
        return restore_drill.pg_bin()
    except pitr.Failed:
        return None


@pytest.mark.skipif(_pg_bin() is None, reason="needs PostgreSQL's pg_archivecleanup")
def test_cleanup_keeps_the_newest_backups_and_the_wal_from_the_oldest_kept_one(tmp_path):
    archive = tmp_path / "archive"
    (archive / "base").mkdir(parents=True)
    for segment in range(1, 7):
        (archive / f"0000000100000000000000{segment:02X}").write_text("wal")
    for name, first in [("20261118T021500Z", 2), ("20261119T021500Z", 5)]:
        (archive / "base" / name).mkdir()
        backup_file = f"0000000100000000000000{first:02X}.00000028.backup"
        (archive / backup_file).write_text("backup history")
        info = {
            "directory": str(archive / "base" / name),
            "stop_lsn": f"0/{first}000100",
            "backup_file": backup_file,
            "start_wal": backup_file[:24],
        }
        (archive / "base" / name / "backup.json").write_text(json.dumps(info))
    args = ["--archive", str(archive), "--pg-bin", _pg_bin(), "cleanup", "--keep", "1"]

    assert pitr.main(args) == 0

    assert sorted(p.name for p in (archive / "base").iterdir()) == ["20261119T021500Z"]
    segments = sorted(p.name for p in archive.iterdir() if len(p.name) == 24)
    assert segments == [f"0000000100000000000000{n:02X}" for n in (5, 6)]


def test_the_drill_runs_its_cluster_with_the_compose_db_settings():
    settings = restore_drill.compose_db_settings(archive="/srv/drill-archive")
    assert settings["wal_level"] == "replica"
    assert settings["archive_mode"] == "on"
    assert settings["archive_command"] == (
        "test ! -f /srv/drill-archive/%f && cp %p /srv/drill-archive/%f"
    )


def test_compose_gives_postgresql_time_to_archive_its_last_segment_on_stop():
    """Docker's default 10 s ends a fast shutdown with SIGKILL, leaving WAL only in pg_wal."""
    db = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["db"]
    assert db["stop_grace_period"] == "60s"


def _report(mutants):
    """The drill's verdict on these mutated recoveries, the correct ones exact (the real
    ``Drill.report``, without ``__init__``'s clusters and ports)."""
    drill = object.__new__(restore_drill.Drill)
    drill.results = [("restore point p", True, "restored exactly: 1 tables, 1 rows, 1 registers")]
    drill.mutants = [(name, f"recovery {name}", exact, summary) for name, exact, summary in mutants]
    drill.archive_written = []
    return drill.report()


def test_a_mutation_is_caught_only_by_the_failure_it_must_cause(capsys):
    """A mutated recovery that fails for another reason (a port taken, a tool missing) proves
    nothing about the mutation: the drill says so and fails."""
    out_of_wal = "FAILED: " + pitr.RAN_OUT_OF_WAL + ": the WAL after the last archived segment ..."
    not_exact = "NOT restored exactly: 2 differences from the snapshot"
    port_taken = "FAILED: pg_ctl: could not start server (port 18123 in use)"
    caught = [
        ("one-second-early", False, not_exact),
        ("no-old-wal", False, out_of_wal),
        ("latest-timeline", False, out_of_wal),
    ]
    for name, exact, summary in caught:
        assert restore_drill.mutation_verdict(name, exact=exact, summary=summary) == "caught"
    assert _report(caught) is True

    for name, summary in [
        ("latest-timeline", port_taken),
        ("no-old-wal", not_exact),
        ("one-second-early", out_of_wal),
    ]:
        verdict = restore_drill.mutation_verdict(name, exact=False, summary=summary)
        assert verdict == restore_drill.FAILED_OTHERWISE.format(
            failure=restore_drill.MUTATIONS[name].failure.strip()
        )
        capsys.readouterr()
        assert _report([*(m for m in caught if m[0] != name), (name, False, summary)]) is False
        assert f"  mutation {name} (recovery {name}): failed otherwise, not with " in (
            capsys.readouterr().out
        )

    assert restore_drill.mutation_verdict("no-old-wal", exact=True, summary="restored") == (
        "NOT CAUGHT"
    )
    assert _report([*caught[:2], ("latest-timeline", True, "restored exactly: ...")]) is False


# --- the drill, end to end ---------------------------------------------------------------------


def _drill_can_run() -> str | None:
    try:
        restore_drill.pg_bin()
    except pitr.Failed as exc:
        return str(exc)
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root needs a postgres OS user to own the drill's clusters"
    return None


def run_drill(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, str(ROOT / "ops" / "restore_drill.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )


needs_postgresql = pytest.mark.skipif(bool(_drill_can_run()), reason=_drill_can_run() or "")


@needs_postgresql
def test_the_drill_restores_exactly_and_catches_every_mutation_from_one_source_cluster():
    """One run (``--check-mutations``) serves both: the three correct recoveries must be exact,
    and each mutated one, made afterwards from the same archive, must fail to be."""
    result = run_drill("--check-mutations")

    assert result.returncode == 0, result.stdout + result.stderr
    exact = re.findall(
        r"^  (.+): restored exactly: (\d+) tables, \d+ rows, (\d+) registers", result.stdout, re.M
    )
    assert [label.split(" ")[0] for label, _, _ in exact] == ["restore", "microsecond", "unclean"]
    assert all(int(tables) > 40 and int(registers) == 7 for _, tables, registers in exact)
    # riskreg's own restore point before the import, in its log
    assert re.search(r"riskreg's log: restore point before-import-\S+ at ", result.stdout)
    # the old procedure's whole-second target lost the edits of the second before T
    assert "the attempt lost changes; it archived 00000002.history" in result.stdout

    caught = dict(re.findall(r"^  mutation (\S+) \(.*\): caught: (.*)$", result.stdout, re.M))
    assert sorted(caught) == sorted(restore_drill.MUTATIONS)
    assert caught["latest-timeline"].startswith("FAILED: recovery ran out of WAL before the target")
    assert caught["one-second-early"].startswith("NOT restored exactly: ")
    assert caught["no-old-wal"].startswith("FAILED: recovery ran out of WAL before the target")
    # with the source stopped: the unclean stop's recovery and the three mutated ones
    assert result.stdout.count("archive unchanged by this recovery") == 4
    assert "clusters stopped and removed" in result.stdout
    assert "drill passed" in result.stdout
