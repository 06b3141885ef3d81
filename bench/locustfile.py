"""Locust users for the load test (bench/load.py starts gunicorn and runs this headless).

Each user is a coordinator of the generated 10,000-risk organisation: signs in once through the
login form (with its CSRF token), then reads (dashboard, register pages sorted, filtered and
paged, risk pages, searches) and now and then edits one of its own risks: it opens the edit page,
reads the version it was given there and posts the form with it (optimistic locking). Users edit
disjoint sets of risks, so a conflict would be a bug, and counts as a failure.

The plan (organisation, registers, users, their risks and each risk's form fields) is a JSON file
named by BENCH_LOCUST_PLAN, written by bench/load.py.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from itertools import cycle
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, task

with open(os.environ["BENCH_LOCUST_PLAN"]) as plan_file:
    PLAN = json.load(plan_file)
USERS = iter(PLAN["users"])
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
# The measured minute starts when the last user has signed in: sign-ins hash a password (slow on
# purpose) and 50 of them at once would be a login storm, not the steady use being measured.
EXPECTED_USERS = int(os.environ.get("BENCH_LOCUST_USERS", "50"))
MEASURED_SECONDS = int(os.environ.get("BENCH_LOCUST_SECONDS", "60"))
SETTLE_SECONDS = 10
SIGNED_IN = []
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# bench/load.py's: where to write the measured minute's start and end, with the CPU the gunicorn
# workers (the master's process tree), this process and the whole machine had spent by then.
WINDOW = os.environ.get("BENCH_LOCUST_WINDOW", "")
GUNICORN_PID = int(os.environ.get("BENCH_GUNICORN_PID", "0"))
SAMPLES = {}
SORTS = ("", "title", "-current", "owner", "next_review", "-appetite")
WORDS = ("flood", "cyber", "funding", "supplier", "audit", "fraud", "backlog")


def form(**fields) -> str:
    """A form body as a browser sends it: a list is the field repeated (objectives, leads)."""
    return urlencode(fields, doseq=True)


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) of a process and its children, live ones and those it has
    reaped: gunicorn's master and its workers, recycled ones included."""
    import psutil

    master = psutil.Process(pid)
    times = master.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in master.children(recursive=True):
        try:
            child_times = child.cpu_times()
        except psutil.NoSuchProcess:  # exited since it was listed: counted once reaped
            continue
        total += child_times.user + child_times.system
    return total


BUSY = ("user", "nice", "system", "irq", "softirq", "steal")


def sample() -> dict:
    import psutil

    machine = psutil.cpu_times()._asdict()
    # guest time is counted in user already; idle and waiting for the disk are not busy.
    busy = sum(machine.get(name, 0.0) for name in BUSY)
    own = psutil.Process().cpu_times()
    figures = {
        "time": time.time(),
        "machine_busy_s": busy,
        "machine_s": busy + machine["idle"] + machine.get("iowait", 0.0),
        "locust_cpu_s": own.user + own.system,
    }
    if GUNICORN_PID:
        figures["gunicorn_cpu_s"] = tree_cpu_seconds(GUNICORN_PID)
    return figures


class Coordinator(FastHttpUser):
    # People read a page before they click the next: 2 to 6 s between requests, so 50 users
    # ask for about 12 pages a second. FastHttpUser (geventhttpclient): Locust itself shares
    # the 2 cores with gunicorn and PostgreSQL, and requests' client costs several times more.
    wait_time = between(2, 6)

    def on_start(self):
        account = next(USERS)
        self.org = PLAN["organisation"]
        self.own = cycle(account["risks"])
        page = self.client.get("/login/", name="login (GET)")
        token = CSRF.search(page.text).group(1)
        with self.client.post(
            "/login/",
            {
                # django-allauth's sign-in form calls the e-mail box "login".
                "login": account["email"],
                "password": PLAN["password"],
                "csrfmiddlewaretoken": token,
            },
            name="login (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in refused ({response.status_code})")
        # Each page once before the measured minute, as long-running workers would have: the
        # first request of a page in a fresh worker compiles its templates.
        self.dashboard()
        self.register()
        self.risk()
        SIGNED_IN.append(account["email"])
        if len(SIGNED_IN) == EXPECTED_USERS:
            # Requests queued behind the sign-ins would still finish inside the minute and count
            # their wait: the minute starts once they have drained.
            gevent.spawn_later(SETTLE_SECONDS, self.start_measuring)

    def start_measuring(self):
        self.environment.stats.reset_all()
        SAMPLES["start"] = sample()
        gevent.spawn_later(MEASURED_SECONDS, self.stop_measuring)

    def stop_measuring(self):
        SAMPLES["end"] = sample()
        if WINDOW:
            with open(WINDOW, "w") as window:
                json.dump(SAMPLES, window)
        self.environment.runner.quit()

    @task(2)
    def dashboard(self):
        self.client.get(f"/o/{self.org}/", name="dashboard")

    @task(4)
    def register(self):
        register = random.choice(PLAN["registers"])  # noqa: S311
        params = {"sort": random.choice(SORTS), "page": random.randint(1, 3)}  # noqa: S311
        if register == "corporate":
            params["rollup"] = 1
        if random.random() < 0.3:  # noqa: S311
            params["category"] = random.choice(PLAN["categories"])  # noqa: S311
        self.client.get(f"/o/{self.org}/registers/{register}/?{form(**params)}", name="register")

    @task(1)
    def search(self):
        words = form(rollup=1, q=random.choice(WORDS))  # noqa: S311
        self.client.get(f"/o/{self.org}/registers/corporate/?{words}", name="search")

    @task(4)
    def risk(self):
        ref = random.choice(PLAN["read_refs"])  # noqa: S311
        self.client.get(f"/o/{self.org}/risks/{ref}/", name="risk")

    @task(1)
    def edit(self):
        ref, fields = next(self.own)
        page = self.client.get(f"/o/{self.org}/risks/{ref}/edit/", name="edit (GET)")
        version, token = VERSION.search(page.text), CSRF.search(page.text)
        if not version or not token:
            return
        data = dict(fields)
        data.update(
            version=version.group(1),
            csrfmiddlewaretoken=token.group(1),
            progress=random.choice(["on_track", "limited", "slipped"]),  # noqa: S311
            reason="load test",
        )
        with self.client.post(
            f"/o/{self.org}/risks/{ref}/edit/",
            data=form(**data),
            headers=FORM,
            name="edit (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"edit not saved ({response.status_code}): a conflict or error")
