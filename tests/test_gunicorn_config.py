"""gunicorn.conf.py's worker hook: what the worker loaded is frozen out of full collections."""

import gc
import runpy
from pathlib import Path

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
