"""Shared by the real-worker integration tests: is Redis there, the test database's URL for a
subprocess, and waiting for something the worker does."""

import socket
import time

from django.db import connection


def redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def database_url() -> str:
    """The test database, for a worker process to use (PostgreSQL: both see the same rows)."""
    params = connection.settings_dict
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    return (
        f"postgres://{params['USER']}{password}@{params['HOST'] or '127.0.0.1'}:"
        f"{params['PORT'] or 5432}/{params['NAME']}"
    )


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
