"""The demo and local development: DEBUG on, a fixed insecure key, console e-mail."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env("DJANGO_SECRET_KEY", "") or "local-demo-key-not-for-production"  # noqa: S105

# The demo serves static files straight from static/ without collectstatic, whatever DEBUG says.
# https://whitenoise.readthedocs.io/en/stable/django.html#WHITENOISE_USE_FINDERS
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The page cache (registers/caching.py) needs every process that writes to share the cache. The
# demo's runserver with tasks run in-process (no broker) is one process, so its memory cache is
# shared by all: on. With a broker, imports run in a Celery worker, a process of its own: off,
# unless DJANGO_CACHE_URL gives them a shared cache.
RISKREG_PAGE_CACHE = env_bool(
    "RISKREG_PAGE_CACHE",
    bool(CACHE_URL) or not CELERY_BROKER_URL,  # noqa: F405
)
