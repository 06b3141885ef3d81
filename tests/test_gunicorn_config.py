"""gunicorn.conf.py's worker hook: what the worker loaded is frozen out of full collections;
its worker and thread counts (decision 69)."""

import gc
import runpy
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_worker_freezes_what_it_loaded_after_init():
    settings = runpy.run_path(str(CONFIG))
    assert settings["wsgi_app"] == "riskreg.wsgi:application"
    gc.unfreeze()
    try:
        settings["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_three_sync_workers_by_default_and_both_counts_from_the_environment(monkeypatch):
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    settings = runpy.run_path(str(CONFIG))
    assert (settings["workers"], settings["threads"]) == (3, 1)
    monkeypatch.setenv("GUNICORN_WORKERS", "2")
    monkeypatch.setenv("GUNICORN_THREADS", "4")
    settings = runpy.run_path(str(CONFIG))
    assert (settings["workers"], settings["threads"]) == (2, 4)


@pytest.mark.parametrize("name", ["GUNICORN_WORKERS", "GUNICORN_THREADS"])
def test_a_count_that_is_not_a_number_stops_start_up(monkeypatch, name):
    monkeypatch.setenv(name, "many")
    with pytest.raises(ValueError):
        runpy.run_path(str(CONFIG))
