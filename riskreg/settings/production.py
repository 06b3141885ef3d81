"""Production: every secret from the environment, HTTPS only. Checked by ``check --deploy``."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY, STORAGES, env, env_bool, env_list

DEBUG = False
# The same rules as check --deploy's security.W009, refused at start-up rather than warned about.
# Generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set: production needs a random secret of 50+ characters"
    )
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is too weak ({len(SECRET_KEY)} characters, {len(set(SECRET_KEY))} "
        "different): production needs a random secret of 50+ characters"
    )
# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
# No default in production: the site's own names, from the environment.
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is not set: list the host names the site answers to, "
        "comma-separated (e.g. risks.example.org)"
    )

# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-ssl-redirect
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The load balancer's health check speaks plain HTTP to each web container (docs/deploy.md).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(env("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True

# Static files: collectstatic (at image build) writes hashed, compressed copies that whitenoise
# serves with far-future caching. PDF packs still read fonts through the static finders
# (STATICFILES_DIRS), not from here. https://whitenoise.readthedocs.io/en/stable/django.html
STORAGES = {
    **STORAGES,  # the media storage chosen in base
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
