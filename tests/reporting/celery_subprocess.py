"""Shared by the real-worker integration tests: is Redis there, the test database's URL for a
subprocess, and waiting for something the worker does."""

import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

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


CELERY = str(Path(sys.executable).with_name("celery"))
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def celery_worker(*, queue: str, env: dict, log_path: Path):
    """A real Celery worker (solo pool) on ``queue`` with ``env``, its output in ``log_path``;
    what an earlier run left on the queue is purged first, and the worker is stopped as
    ``docker stop`` would (SIGTERM, then kill). Yields the process and its open log."""
    subprocess.run(  # noqa: S603 - our own celery binary; purge what an earlier run left
        [CELERY, "-A", "riskreg", "purge", "-f", "-Q", queue],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    log = open(log_path, "w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(  # noqa: S603 - our own celery binary and fixed arguments
        [
            CELERY,
            "-A",
            "riskreg",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            queue,
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process, log
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
