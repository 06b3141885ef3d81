"""Named restore points (issue 21): a mark in PostgreSQL's WAL that a point-in-time recovery can
stop at exactly (``recovery_target_name``), with no guessing at clocks.

riskreg takes one itself at the start of the write path of commands that change many rows at once
(``import_register``, ``load_scheme``), and logs it on ``riskreg.backups``, so an operator who
needs to undo such a command finds the point's name in the log. An operator takes one by hand with
``manage.py restore_point NAME`` (or ``ops/pitr.py restore-point NAME``) before risky work.

Taking a point must never stop the command it guards: on SQLite, on a role that may not create
restore points (it needs superuser, or EXECUTE on ``pg_create_restore_point`` granted by one), or
with ``wal_level=minimal``, the point is skipped and the reason logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

log = logging.getLogger("riskreg.backups")

# PostgreSQL keeps restore point names to 63 bytes (MAXFNAMELEN - 1) and refuses longer ones.
NAME_MAX = 63
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
RESTORE_POINT_BAD_NAME = (
    "a restore point name is 1 to 63 letters, digits, '.', '_', ':' or '-', starting with a "
    "letter or digit"
)
RESTORE_POINT_NOT_POSTGRESQL = "the database is not PostgreSQL, which alone has restore points"
RESTORE_POINT_NOT_ALLOWED = (
    "the database role may not create restore points: it needs superuser, or "
    "'GRANT EXECUTE ON FUNCTION pg_create_restore_point(text) TO <role>' by a superuser"
)


class RestorePointNotTaken(Exception):
    """Why no restore point was taken, in words an operator can act on."""


@dataclass(frozen=True)
class RestorePoint:
    name: str
    lsn: str  # where in the WAL, e.g. 0/3000090
    wal_file: str  # the WAL segment holding it: archived once it is finished (pg_switch_wal)
    created_at: dt.datetime  # the server's clock_timestamp() as the point was written

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "lsn": self.lsn,
            "wal_file": self.wal_file,
            "created_at": self.created_at.isoformat(),
        }


def restore_point_name(action: str, *, moment: dt.datetime | None = None) -> str:
    """A name nobody has used before: ``before-<action>-<UTC time to the microsecond>``.

    Recovery stops at the first point of the name it meets, so names must not repeat."""
    moment = (moment or timezone.now()).astimezone(dt.UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%S.%fZ")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", action).strip("-") or "change"
    prefix = f"before-{slug}"[: NAME_MAX - len(stamp) - 1]
    return f"{prefix}-{stamp}"


def restore_point_create(*, name: str, reason: str, required: bool = False) -> RestorePoint | None:
    """Write a named restore point into the WAL and log it.

    Returns None, logging why, when the point cannot be taken; with ``required`` (the operator's
    own command) raises RestorePointNotTaken instead."""
    try:
        point = _take(name=name)
    except RestorePointNotTaken as exc:
        if required:
            raise
        log.warning("restore point %s not taken (%s): %s", name, reason, exc)
        return None
    log.info(
        "restore point %s at %s (WAL file %s), %s: %s",
        point.name,
        point.lsn,
        point.wal_file,
        point.created_at.isoformat(),
        reason,
    )
    return point


def _take(*, name: str) -> RestorePoint:
    if len(name.encode()) > NAME_MAX or not NAME_PATTERN.match(name):
        raise RestorePointNotTaken(f"{name!r}: {RESTORE_POINT_BAD_NAME}")
    if connection.vendor != "postgresql":
        raise RestorePointNotTaken(RESTORE_POINT_NOT_POSTGRESQL)
    try:
        # A savepoint, so that a refusal inside a caller's transaction leaves it usable.
        with transaction.atomic(), connection.cursor() as cursor:
            if not _may_create_restore_points(cursor):
                raise RestorePointNotTaken(RESTORE_POINT_NOT_ALLOWED)
            cursor.execute(
                "SELECT lsn::text, pg_walfile_name(lsn), clock_timestamp() "
                "FROM pg_create_restore_point(%s) AS lsn",
                [name],
            )
            lsn, wal_file, created_at = cursor.fetchone()
    except DatabaseError as exc:
        # permission denied, wal_level=minimal, a server in recovery: said in PostgreSQL's words
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RestorePointNotTaken(message) from None
    return RestorePoint(name=name, lsn=lsn, wal_file=wal_file, created_at=created_at)


def _may_create_restore_points(cursor) -> bool:
    """Asked before trying, so that a role without the right leaves no ERROR in the server's
    log every time someone imports a register."""
    cursor.execute("SELECT has_function_privilege('pg_create_restore_point(text)', 'EXECUTE')")
    return bool(cursor.fetchone()[0])
