"""An emulation of the slower machine of our kind for bench/load.py (``--slower FACTOR``).

Machines of our kind differ up to 2.3x in speed; we have one of them (2 cores). The emulation
gives the server side (the gunicorn master and its workers, and the PostgreSQL backends that
serve the workers' connections) the CPU capacity of the slower machine's two cores: a cgroup
(``riskreg-bench-slow``) with a CPU quota of 2 cores / FACTOR (period 100 ms, quota 200 ms /
FACTOR). Locust stays outside it: it is the clients. It is an emulation, not the slower machine:
one core runs at this machine's speed, only the capacity is lower; and a quota throttles in
bursts (once the cgroup has spent its quota, everything in it waits for the next 100 ms period),
so a request can wait where a truly slower core would only have been slower. At the same load
that makes latency worse than the real machine's: for p95 the emulation is pessimistic.
The cgroup is weighted as the processes in it (a cgroup otherwise competes with the machine's
other processes as one): what the quota leaves it still has to be shared with whatever else
runs, so the emulation means something only on a quiet machine. Not limited: Redis (the shared cache) and PostgreSQL's own background processes.

cgroup v1 (a cpu controller at /sys/fs/cgroup/cpu, cpu.cfs_quota_us) or v2 (cpu.max); with
neither writable (not root, a container) the emulation is unavailable and is skipped. Every
process moved in is moved back (to the cgroup it came from, else the root) and the cgroup
removed when the run ends, however it ends.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE = Path("/sys/fs/cgroup")
NAME = "riskreg-bench-slow"
PERIOD_US = 100_000
CORES = 2
FACTOR = 2.3  # machines of our kind differ up to 2.3x in speed (issue 20)
# The fastest calibration seen on a machine of our kind (bench/generate.py calibration_ms, 53.4 ms
# on 2026-12-06 at 18:35), and so the slower machine's: 2.3 times that. The emulation slows this
# machine by what separates it from the slower machine, not by 2.3 whatever its own speed: on a
# machine already running slow, 2.3x more emulated a machine slower than any of our kind.
FASTEST_CALIBRATION_MS = 53.4
SLOWER_CALIBRATION_MS = round(FACTOR * FASTEST_CALIBRATION_MS, 1)


def factor_here(calibration_ms: float) -> float | None:
    """How many times slower than this machine (at ``calibration_ms``) the slower machine of
    our kind is: the factor to emulate. None when this machine is at least as slow already:
    its own load test is then the slower machine's measurement."""
    factor = SLOWER_CALIBRATION_MS / calibration_ms
    return round(factor, 2) if factor > 1 else None


def quota_us(factor: float, *, cores: int = CORES, period_us: int = PERIOD_US) -> int:
    """The CPU quota a period that leaves ``cores`` / ``factor`` cores: 200 ms / 2.3 = 86,957 us
    of each 100 ms for two cores 2.3 times slower."""
    if not factor >= 1:
        raise ValueError(f"a slower machine is at least 1x slower, not {factor!r}")
    return round(cores * period_us / factor)


def weight(processes: int, version: str) -> int:
    """The cgroup's scheduling weight for ``processes`` processes: a cgroup competes with the
    root's processes as ONE of them (v1 cpu.shares 1024, v2 cpu.weight 100), so on a shared
    machine seven server processes moved in would get one process's share; weighted by their
    number they get what they had outside, and only the quota is new."""
    one, most = (1024, 262_144) if version == "v1" else (100, 10_000)
    return min(one * max(processes, 1), most)


def cores_left(factor: float, *, cores: int = CORES) -> float:
    return round(cores / factor, 2)


def banner(factor: float, *, cores: int = CORES) -> str:
    return (
        f"emulated slower machine: server side limited to {cores_left(factor, cores=cores)} cores "
        f"({cores} / {factor:g}) by a CPU quota; not the real slower machine: one core's speed "
        "is not lower, only the capacity. A quota throttles in bursts (a request may wait for "
        "the next 100 ms period), so at the same load latency is worse than on truly slower "
        "cores: a pessimistic emulation for p95."
    )


@dataclass(frozen=True)
class Controller:
    version: str  # "v1" or "v2"
    root: Path  # the hierarchy's root: /sys/fs/cgroup/cpu (v1) or /sys/fs/cgroup (v2)
    name: str = NAME  # the cgroup's (the tests' own, so a test never empties a running bench's)

    @property
    def path(self) -> Path:
        return self.root / self.name


def _writable(path: Path) -> bool:
    return path.exists() and os.access(path, os.W_OK)


def find_controller(base: Path = BASE) -> Controller | None:
    """The cpu controller this machine lets us write to: v1's at base/cpu, else v2's at base
    (unified, with "cpu" among its controllers), else None."""
    v1 = base / "cpu"
    if (v1 / "cpu.cfs_quota_us").exists() and _writable(v1) and _writable(v1 / "cgroup.procs"):
        return Controller("v1", v1)
    controllers = base / "cgroup.controllers"
    if (
        controllers.exists()
        and "cpu" in controllers.read_text().split()
        and _writable(base)
        and _writable(base / "cgroup.subtree_control")
    ):
        return Controller("v2", base)
    return None


def own_cgroup(text: str, version: str) -> str | None:
    """A process's cgroup in the cpu hierarchy, from its /proc/<pid>/cgroup."""
    for line in text.splitlines():
        number, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if version == "v2" and number == "0" and controllers == "":
            return path
        if version == "v1" and "cpu" in controllers.split(","):
            return path
    return None


@dataclass
class SlowCgroup:
    """The cgroup, created on entering and emptied and removed on leaving."""

    controller: Controller
    factor: float
    processes: int = 7  # gunicorn's master, 3 workers, their 3 PostgreSQL backends
    origins: dict[int, str] = field(default_factory=dict)  # pid -> the cgroup it came from

    def __enter__(self) -> SlowCgroup:
        path = self.controller.path
        if path.exists():  # left by a run that was killed before it could clean up
            self._empty_and_remove()
        if self.controller.version == "v2":
            subtree = self.controller.root / "cgroup.subtree_control"
            if "cpu" not in subtree.read_text().split():
                subtree.write_text("+cpu")
        path.mkdir()
        quota = quota_us(self.factor)
        if self.controller.version == "v1":
            (path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (path / "cpu.cfs_quota_us").write_text(str(quota))
            (path / "cpu.shares").write_text(str(weight(self.processes, "v1")))
        else:
            (path / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            (path / "cpu.weight").write_text(str(weight(self.processes, "v2")))
        return self

    def __exit__(self, *exc) -> None:
        self._empty_and_remove()

    def add(self, pid: int) -> bool:
        """Moves a process, every thread of it (cgroup.procs moves the thread group), in."""
        if pid in self.origins:
            return False
        try:
            origin = own_cgroup(Path(f"/proc/{pid}/cgroup").read_text(), self.controller.version)
            (self.controller.path / "cgroup.procs").write_text(str(pid))
        except (OSError, ProcessLookupError):  # exited meanwhile
            return False
        self.origins[pid] = origin or "/"
        return True

    def throttling(self) -> dict:
        """How often the quota held the cgroup back (cpu.stat), while it exists."""
        try:
            text = (self.controller.path / "cpu.stat").read_text()
        except OSError:
            return {}
        stat = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
        figures = {"periods": int(stat.get("nr_periods", 0))}
        figures["throttled_periods"] = int(stat.get("nr_throttled", 0))
        if "throttled_time" in stat:  # v1: nanoseconds
            figures["throttled_s"] = round(int(stat["throttled_time"]) / 1e9, 2)
        elif "throttled_usec" in stat:
            figures["throttled_s"] = round(int(stat["throttled_usec"]) / 1e6, 2)
        return figures

    def _empty_and_remove(self) -> None:
        path = self.controller.path
        for _attempt in range(50):
            try:
                pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
            except FileNotFoundError:
                return
            for pid in pids:
                back = self.controller.root / self.origins.get(pid, "/").lstrip("/")
                for target in (back, self.controller.root):
                    try:
                        (target / "cgroup.procs").write_text(str(pid))
                        break
                    except OSError:  # exited, or its cgroup is gone: the root then
                        continue
            try:
                path.rmdir()
                return
            except OSError:  # a process still leaving: try again
                time.sleep(0.1)
        raise RuntimeError(f"could not remove {path}: processes are still in it")


class Keeper(threading.Thread):
    """Keeps the server side in the cgroup while the load runs: every half second, gunicorn's
    master and workers (a recycled worker's successor is forked inside and inherits it) and the
    PostgreSQL backends of the workers' connections (found in pg_stat_activity by the client port
    of each worker's TCP connection to the database: never the bench's own connection, never the
    postmaster), new ones included (a worker that opens a new connection)."""

    def __init__(self, cgroup: SlowCgroup, gunicorn_pid: int):
        super().__init__(daemon=True)
        self.cgroup, self.gunicorn_pid = cgroup, gunicorn_pid
        self.stopping = threading.Event()
        self.backends: set[int] = set()
        self.workers: set[int] = set()

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stopping.is_set():
                self.sweep(connection)
                self.stopping.wait(0.5)
        finally:
            connection.close()

    def sweep(self, connection) -> None:
        import psutil

        try:
            master = psutil.Process(self.gunicorn_pid)
            processes = [master, *master.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        port = int(connection.settings_dict.get("PORT") or 5432)
        clients = set()
        for process in processes:
            if self.cgroup.add(process.pid) and process.pid != self.gunicorn_pid:
                self.workers.add(process.pid)
            try:
                sockets = process.net_connections(kind="tcp")
            except psutil.NoSuchProcess:
                continue
            clients |= {s.laddr.port for s in sockets if s.raddr and s.raddr.port == port}
        if not clients:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND client_port = ANY(%s)",
                [sorted(clients)],
            )
            for (pid,) in cursor.fetchall():
                if self.cgroup.add(pid):
                    self.backends.add(pid)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)
