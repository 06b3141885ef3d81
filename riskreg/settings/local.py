"""The demo and local development: DEBUG on, a fixed insecure key, console e-mail."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env("DJANGO_SECRET_KEY", "") or "local-demo-key-not-for-production"  # noqa: S105

# The demo serves static files straight from static/ without collectstatic, whatever DEBUG says.
# https://whitenoise.readthedocs.io/en/stable/django.html#WHITENOISE_USE_FINDERS
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
