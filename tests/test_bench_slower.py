"""bench/slower.py, the emulated slower machine of bench/load.py --slower: the quota, which
cgroup hierarchy it writes to, and (where this machine lets a test write one, as root) that the
cgroup takes a process in, limits it, and gives it back and disappears however the run ends."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import slower  # noqa: E402  (bench/ is scripts, not a package)


def test_the_quota_leaves_two_cores_divided_by_the_factor():
    assert slower.quota_us(2.3) == 86_957  # of each 100 ms period: 0.87 of a core's time x 2
    assert slower.quota_us(1) == 200_000
    assert slower.quota_us(4, cores=1, period_us=50_000) == 12_500
    assert slower.cores_left(2.3) == 0.87
    for factor in (0.5, 0, -1, float("nan")):
        with pytest.raises(ValueError):
            slower.quota_us(factor)


def test_the_emulation_slows_this_machine_by_what_separates_it_from_the_slower_one():
    assert slower.SLOWER_CALIBRATION_MS == 122.8  # 2.3 x the fastest seen, 53.4 ms
    assert slower.factor_here(53.4) == 2.3
    assert slower.factor_here(70.2) == 1.75
    # A machine running as slow as the slower one, or slower, is measured as it is.
    assert slower.factor_here(122.8) is None
    assert slower.factor_here(196.1) is None


def test_the_cgroup_weighs_as_the_processes_in_it():
    assert slower.weight(7, "v1") == 7 * 1024 and slower.weight(7, "v2") == 700
    assert slower.weight(0, "v1") == 1024 and slower.weight(500, "v2") == 10_000


def test_the_banner_says_it_is_an_emulation_and_pessimistic():
    text = slower.banner(2.3)
    assert "limited to 0.87 cores (2 / 2.3) by a CPU quota" in text
    assert "not the real slower machine" in text and "pessimistic" in text


def _v1(base: Path) -> None:
    (base / "cpu").mkdir(parents=True)
    for name in ("cpu.cfs_quota_us", "cpu.cfs_period_us", "cgroup.procs", "tasks"):
        (base / "cpu" / name).write_text("")


def _v2(base: Path, controllers="cpuset cpu io memory pids") -> None:
    base.mkdir(parents=True, exist_ok=True)
    (base / "cgroup.controllers").write_text(controllers + "\n")
    (base / "cgroup.subtree_control").write_text("")


def test_the_hierarchy_chosen(tmp_path):
    v1, v2, hybrid, neither = (tmp_path / name for name in ("v1", "v2", "hybrid", "neither"))
    _v1(v1)
    _v2(v2)
    _v1(hybrid)
    _v2(hybrid)  # both: v1's cpu controller is the one with the quota files in use
    neither.mkdir()
    assert slower.find_controller(v1) == slower.Controller("v1", v1 / "cpu")
    assert slower.find_controller(v2) == slower.Controller("v2", v2)
    assert slower.find_controller(hybrid).version == "v1"
    assert slower.find_controller(neither) is None
    _v2(tmp_path / "no-cpu", controllers="memory pids")
    assert slower.find_controller(tmp_path / "no-cpu") is None
    assert slower.find_controller(v1).path == v1 / "cpu" / "riskreg-bench-slow"


def test_a_process_cgroup_read_from_proc():
    v1 = "12:pids:/\n4:cpu,cpuacct:/system.slice/postgresql.service\n0::/\n"
    assert slower.own_cgroup(v1, "v1") == "/system.slice/postgresql.service"
    assert slower.own_cgroup("1:cpu:/\n", "v1") == "/"
    assert slower.own_cgroup("0::/user.slice/x\n", "v2") == "/user.slice/x"
    assert slower.own_cgroup("3:cpuset:/\n", "v1") is None


REAL = slower.find_controller()


@pytest.mark.skipif(REAL is None, reason="no writable cgroup cpu controller here (needs root)")
def test_a_real_cgroup_limits_a_process_and_is_removed_however_the_run_ends():
    controller = dataclasses.replace(REAL, name=f"riskreg-bench-test-{os.getpid()}")
    sleeper = subprocess.Popen(["sleep", "30"])  # noqa: S607
    procs = f"/proc/{sleeper.pid}/cgroup"
    before = slower.own_cgroup(Path(procs).read_text(), controller.version)
    try:
        with pytest.raises(KeyboardInterrupt), slower.SlowCgroup(controller, 2.3) as cgroup:
            assert cgroup.add(sleeper.pid) and not cgroup.add(sleeper.pid)
            assert str(sleeper.pid) in (controller.path / "cgroup.procs").read_text().split()
            if controller.version == "v1":
                assert (controller.path / "cpu.cfs_quota_us").read_text().strip() == "86957"
                assert (controller.path / "cpu.cfs_period_us").read_text().strip() == "100000"
                assert (controller.path / "cpu.shares").read_text().strip() == str(7 * 1024)
            else:
                assert (controller.path / "cpu.max").read_text().split() == ["86957", "100000"]
            assert cgroup.throttling()["periods"] >= 0
            raise KeyboardInterrupt  # Ctrl-C in the middle of the run
        assert not controller.path.exists()
        assert slower.own_cgroup(Path(procs).read_text(), controller.version) == before
    finally:
        sleeper.kill()
        sleeper.wait()
        if controller.path.exists():  # the test failed half-way: leave nothing behind
            slower.SlowCgroup(controller, 2.3).__exit__(None, None, None)
