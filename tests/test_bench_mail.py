"""make bench builds every e-mail it sends and drops it (Django's dummy backend), never printed:
the console backend, the local default, wrote some 34,000 lines a run inside timed requests, and
locmem would keep them in a gunicorn worker's memory for its life."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DUMMY = "django.core.mail.backends.dummy.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"

SETTINGS_AFTER = """
import sys
sys.path.insert(0, "bench")
{setup}
import django
django.setup()
from django.conf import settings
print(settings.EMAIL_BACKEND)
"""


@pytest.mark.parametrize(
    "setup",
    [
        # bench/pages.py, load.py (gunicorn inherits the environment), imports.py, api.py,
        # tenants.py, reminders.py and run.py all start with generate.configure()
        "import generate; generate.configure()",
        "import packs",  # bench/packs.py sets up Django on its own
    ],
)
def test_the_bench_drops_its_e_mail_even_where_the_console_is_configured(setup):
    # The bench's own settings module, as make bench runs it (the tests' settings pin locmem).
    environment = {**os.environ, "DJANGO_EMAIL_BACKEND": CONSOLE}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SETTINGS_AFTER.format(setup=setup)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert run.stdout.strip().splitlines()[-1] == DUMMY
