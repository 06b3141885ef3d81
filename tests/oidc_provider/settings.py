"""Settings of the local OpenID Connect provider that single sign-on is tested against.

Its own Django project, not riskreg's: django-allauth's identity provider (``allauth.idp.oidc``)
with allauth's account pages as its login page, Django's default User model and a SQLite database
of its own. ``tests/oidc_provider/server.py`` starts it and passes everything that differs per
start through the environment:

- ``OIDC_PROVIDER_DATABASE``: path of the SQLite database file.
- ``OIDC_PROVIDER_PRIVATE_KEY_FILE``: PEM file of the RSA key that signs ID tokens (a new key for
  every start of the provider).
- ``OIDC_PROVIDER_SECRET_KEY``: Django's SECRET_KEY (sessions, CSRF, the signed consent form).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"{name} is not set: start the provider with tests/oidc_provider/server.py"
        )
    return value


SECRET_KEY = _required("OIDC_PROVIDER_SECRET_KEY")

# Served by gunicorn like a production site; Django's error pages would hide nothing from a test
# that needs them, the log file in the provider's temporary directory has the tracebacks.
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.idp.oidc",
    # Only for its management commands (oidc_provider_user, oidc_provider_client); no models.
    "tests.oidc_provider",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "tests.oidc_provider.urls"
WSGI_APPLICATION = "tests.oidc_provider.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _required("OIDC_PROVIDER_DATABASE"),
        # The management commands that add users and clients write while the server runs.
        "OPTIONS": {"timeout": 20},
    }
}

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# A test fixture: a fast hasher keeps each sign-in and token exchange (client secrets are hashed
# too) quick. Nothing here protects real passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The provider and riskreg's live server both run on 127.0.0.1 on different ports, and browsers
# send cookies to every port of a host: with Django's default names the two sites would overwrite
# each other's session and CSRF cookies.
SESSION_COOKIE_NAME = "oidc_provider_sessionid"
CSRF_COOKIE_NAME = "oidc_provider_csrftoken"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sent nowhere: allauth may send a verification message to an unverified address.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# https://docs.allauth.org/en/latest/account/configuration.html
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGOUT_ON_GET = False
# One provider serves a whole test session, every sign-in from 127.0.0.1: allauth's per-address
# limits would start refusing them part way through.
ACCOUNT_RATE_LIMITS = False

# https://docs.allauth.org/en/latest/idp/openid-connect/configuration.html
IDP_OIDC_PRIVATE_KEY = Path(_required("OIDC_PROVIDER_PRIVATE_KEY_FILE")).read_text()
IDP_OIDC_RATE_LIMITS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
