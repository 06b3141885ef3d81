"""For a world built once for a module inside a transaction rolled back at its end (the walkers):
the cache's tokens as a committed world leaves them (``registers.caching``, decision 104).

A write inside a transaction reads under a token of its own followed by the savepoints it is in,
until the commit renews the shared one. A module's world is never committed, so without this every
page of the walk is read under the world's private tokens and the savepoints of the moment: each
request a walker wraps in a savepoint of its own (a POST whose writes are undone) saw every token
changed, worked out the second-factor answer again, wrote it to the session and built the
organisation's cached pieces afresh, as no request of a committed world would."""

from __future__ import annotations

from django.db import connection

from registers import caching


def cache_tokens_as_if_committed() -> None:
    """Renew now the tokens the transaction so far would renew at its commit, and read under the
    shared ones from here on. Writes made later (a request's, in a savepoint) get private tokens
    again, dropped with their savepoint, as always."""
    pending = [
        entry for entry in connection.run_on_commit if isinstance(entry[1], caching._AfterCommit)
    ]
    for entry in pending:
        connection.run_on_commit.remove(entry)
        entry[1]()
