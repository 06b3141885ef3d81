"""What a recovery must reproduce, and the check that it did (issue 21).

A snapshot holds the row count of every table and a SHA-256 of every register's CSV export (the
bytes ``export_register --format csv`` writes, without the byte-order mark). It is saved when a
restore point is taken and compared after a recovery to that point: a risk count alone misses lost
edits, a checksum of each export does not. Only counts and checksums are stored, never register
text, so a snapshot file can sit beside the backups.

The comparison is exact, so take the snapshot while nothing else writes (the drill does): a change
committed between the snapshot and the restore point shows as a difference.
"""

from __future__ import annotations

import hashlib

from django.db import connection, transaction
from django.utils import timezone

FORMAT = "riskreg-snapshot/1"
RESTORED_EXACTLY = "restored exactly: {tables} tables, {rows} rows, {registers} registers identical"


def state_snapshot() -> dict:
    """Counts and export checksums read in one transaction, so they describe one moment."""
    from registers.models import Register
    from reporting.spreadsheets.exporting import register_export, to_csv

    # Inside a caller's transaction (a test's) its snapshot already holds; PostgreSQL accepts
    # the isolation level only as a transaction's first statement.
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and own_transaction:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        tables = {}
        with connection.cursor() as cursor:
            for table in sorted(connection.introspection.table_names(cursor)):
                cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (names from the catalogue)
                tables[table] = cursor.fetchone()[0]
        registers = {}
        for register in Register.objects.select_related("organisation").order_by(
            "organisation__slug", "slug"
        ):
            export = register_export(register=register)
            data = to_csv(export, bom=False)
            registers[f"{register.organisation.slug}/{register.slug}"] = {
                "risks": len(export.rows),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
    return {
        "format": FORMAT,
        "taken_at": timezone.now().isoformat(),
        "tables": tables,
        "registers": registers,
    }


def snapshot_differences(saved: dict, current: dict) -> list[str]:
    """Every way ``current`` differs from ``saved``, one line each; empty when identical."""
    lines = []
    for table in sorted(set(saved["tables"]) | set(current["tables"])):
        then, now = saved["tables"].get(table), current["tables"].get(table)
        if then is None:
            lines.append(f"table {table}: not in the snapshot, {now} rows now")
        elif now is None:
            lines.append(f"table {table}: {then} rows in the snapshot, missing now")
        elif then != now:
            lines.append(f"table {table}: {then} rows in the snapshot, {now} now")
    for key in sorted(set(saved["registers"]) | set(current["registers"])):
        then, now = saved["registers"].get(key), current["registers"].get(key)
        if then is None:
            lines.append(f"register {key}: not in the snapshot, {now['risks']} risks now")
        elif now is None:
            lines.append(f"register {key}: {then['risks']} risks in the snapshot, missing now")
        elif then["sha256"] != now["sha256"]:
            lines.append(
                f"register {key}: the export differs ({then['risks']} risks in the snapshot, "
                f"{now['risks']} now)"
            )
    return lines


def snapshot_summary(snapshot: dict) -> str:
    return RESTORED_EXACTLY.format(
        tables=len(snapshot["tables"]),
        rows=sum(snapshot["tables"].values()),
        registers=len(snapshot["registers"]),
    )
