"""The demo and local development: DEBUG on, a fixed insecure key, console e-mail."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env("DJANGO_SECRET_KEY", "") or "local-demo-key-not-for-production"  # noqa: S105

# The demo serves static files straight from static/ without collectstatic, whatever DEBUG says.
# https://whitenoise.readthedocs.io/en/stable/django.html#WHITENOISE_USE_FINDERS
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The page cache keeps base.py's default, on only with DJANGO_CACHE_URL: a per-process memory
# cache would not hear of the demo's other processes' writes (a Celery worker, or
# `manage.py import_register` or `add_member` in another terminal) and would show old figures.
