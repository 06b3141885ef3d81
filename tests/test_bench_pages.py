"""bench/pages.py's counts: a page's queries are its own, the same in every run, never the
session's once-a-minute refresh that happens to fall in a run (decision 74)."""

import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import UserFactory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import pages  # noqa: E402  (bench/ is scripts, not a package)

pytestmark = pytest.mark.django_db


def test_a_run_a_minute_after_the_last_save_counts_the_page_alone(client, monkeypatch):
    client.force_login(UserFactory())
    account = pages.Request("GET", reverse("account"))
    alone = pages.measure(client, pages.Page("account", lambda run: [account], runs=2, warm_up=0))
    started = time.time()
    monkeypatch.setattr(time, "time", lambda: started + 61)  # the last save is a minute old
    later = pages.measure(client, pages.Page("account", lambda run: [account], runs=2, warm_up=0))
    assert later.query_counts == alone.query_counts == [alone.queries] * 2
