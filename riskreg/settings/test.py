"""The test suite: PostgreSQL at 127.0.0.1:5432 when it answers (always in CI), else SQLite.

``DATABASE_URL`` still wins when set. The choice is printed in pytest's header (tests/conftest.py).
"""

import socket

import dj_database_url

from .base import *  # noqa: F403
from .base import BASE_DIR, env


def _postgres_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


if env("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.config()}
elif _postgres_answers():
    DATABASES = {"default": dj_database_url.parse("postgres://postgres@127.0.0.1:5432/riskreg")}
else:
    DATABASES = {"default": dj_database_url.parse(f"sqlite:///{BASE_DIR / 'var' / 'test.sqlite3'}")}

SECRET_KEY = "test-key-not-for-production"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; tests only
# Sign-in throttling stays on (browser tests sign in through the form), but Client.login(),
# which authenticates without a request, is let through (riskreg.security.AxesBackendForTests).
AUTHENTICATION_BACKENDS = [
    "riskreg.security.AxesBackendForTests",
    *[b for b in AUTHENTICATION_BACKENDS if b != "axes.backends.AxesStandaloneBackend"],  # noqa: F405
]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# One process reads and writes: the memory cache is shared by all, so the page cache is on and
# tested (tests/conftest.py empties the cache before each test).
RISKREG_PAGE_CACHE = True
# The header's unread count is counted on every page in tests (cached in production, decision 68):
# the query-count tests compare a first page after signing in with a later one, and a count
# cached by the first would make the second one query fewer. tests/registers/
# test_notice_count_cache.py turns it on.
RISKREG_NOTICE_COUNT_CACHE = False
# Tasks are queued in this process's memory and never run: each test that needs a task to run
# calls it directly or starts a real worker on its own Redis database. Without this, Celery's
# default broker (amqp://localhost) would receive the suite's tasks wherever a RabbitMQ happens
# to run, and publishing would fail wherever none does: the same test, two outcomes.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files from static/ without collectstatic (no STATIC_ROOT to warn about).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
