"""WSGI entry point of the local OpenID Connect provider (``gunicorn tests.oidc_provider.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"

application = get_wsgi_application()
