"""The demo and local development: DEBUG on, a fixed insecure key, console e-mail."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env("DJANGO_SECRET_KEY", "") or "local-demo-key-not-for-production"  # noqa: S105
