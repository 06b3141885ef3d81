"""WSGI entry point for gunicorn: ``gunicorn riskreg.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskreg.settings.production")

application = get_wsgi_application()
