"""Settings shared by every environment. Everything that differs per deployment comes from the
environment (12-factor); ``.env.example`` lists every variable. Docs:
https://docs.djangoproject.com/en/5.2/ref/settings/
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from reporting.packs.beat import PACK_BEAT_SCHEDULE
from reporting.reminders.schedule import REMINDER_BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
# Subclasses decide whether a default is acceptable (local: yes; production: no).
SECRET_KEY = env("DJANGO_SECRET_KEY", "")
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = env_bool("DJANGO_DEBUG", False)
# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "guardian",
    "simple_history",
    "registers",
    "scoring",
    "appetite",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from gunicorn itself, before sessions and auth touch the request.
    # https://whitenoise.readthedocs.io/en/stable/django.html
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "riskreg.urls"
WSGI_APPLICATION = "riskreg.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "registers.context_processors.navigation",
            ],
        },
    },
]

# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
# DATABASE_URL (postgres://user@host:5432/name) wins; otherwise an SQLite file under var/ so the
# demo needs nothing installed.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'riskreg.sqlite3'}",
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# https://docs.djangoproject.com/en/5.2/topics/auth/customizing/#substituting-a-custom-user-model
AUTH_USER_MODEL = "registers.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-guardian: no anonymous user row; object permissions only through registers.permissions.
# https://django-guardian.readthedocs.io/en/stable/configuration.html
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# https://docs.djangoproject.com/en/5.2/topics/i18n/
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# https://docs.djangoproject.com/en/5.2/howto/static-files/
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Empty counts as unset: compose's env_file passes .env.example's "DJANGO_STATIC_ROOT=" as "",
# and Path("") is the working directory, which whitenoise would then serve.
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT") or BASE_DIR / "var" / "staticfiles")
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT") or BASE_DIR / "var" / "media")


def media_storage() -> dict:
    """Where stored files (report packs) live: a directory every web and worker process mounts
    (the compose ``media`` volume), or an S3-compatible bucket, so no process keeps state of its
    own. https://docs.djangoproject.com/en/5.2/ref/settings/#storages"""
    kind = env("DJANGO_MEDIA_STORAGE", "filesystem")
    if kind == "filesystem":
        # FileSystemStorage without a location follows MEDIA_ROOT (and tests overriding it).
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind == "s3":
        # django-storages (pip install 'riskreg[s3]'); credentials come the way boto3 finds them
        # (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or an instance role), never from here.
        # https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html
        bucket = env("DJANGO_S3_BUCKET", "")
        if not bucket:
            raise ImproperlyConfigured("DJANGO_MEDIA_STORAGE=s3 needs DJANGO_S3_BUCKET")
        options = {
            "bucket_name": bucket,
            "location": env("DJANGO_S3_LOCATION", "media"),
            # Packs are only ever streamed through pack_download (membership checked), never
            # linked to; a rebuilt pack gets a new name like it does on disk.
            "querystring_auth": True,
            "file_overwrite": False,
        }
        for option, variable in (
            ("endpoint_url", "DJANGO_S3_ENDPOINT_URL"),
            ("region_name", "DJANGO_S3_REGION"),
        ):
            if env(variable):
                options[option] = env(variable)
        return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
    raise ImproperlyConfigured(f"DJANGO_MEDIA_STORAGE must be filesystem or s3, not {kind!r}")


# Production replaces staticfiles with whitenoise's compressed manifest storage (collectstatic at
# image build); everywhere else static files are read straight from static/.
STORAGES = {
    "default": media_storage(),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# https://docs.djangoproject.com/en/5.2/topics/cache/
# DJANGO_CACHE_URL (redis://redis:6379/1) shares the cache between every web process and keeps
# session reads off the database (cached_db still writes each session to the database, so a
# cache restart signs nobody out). Without it: a per-process memory cache, sessions in the
# database; either way any web replica can serve any request.
CACHE_URL = env("DJANGO_CACHE_URL", "")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"DJANGO_CACHE_URL must be a redis://, rediss:// or unix:// URL, not {CACHE_URL!r}"
        )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "riskreg",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# https://docs.djangoproject.com/en/5.2/topics/email/
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", "riskreg <riskreg@localhost>")

# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# No broker configured means the demo: run tasks in-process. Every real deployment sets one.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Two queues. Pack builds (WeasyPrint: seconds to minutes, memory-hungry) go to "packs", which
# production gives its own worker with time limits, so a burst of packs never holds up reminders
# or the daily requests on the default queue. A worker started without -Q consumes both (make
# demo). https://docs.celeryq.dev/en/stable/userguide/routing.html
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Each declared as Celery declares its default queue (a direct exchange of the same name).
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name), routing_key=name) for name in ("celery", "packs")
)
CELERY_TASK_ROUTES = {"reporting.build_pack": {"queue": "packs"}}
# Beat wakes at least once a minute and touches RISKREG_BEAT_HEARTBEAT (if set) on every tick:
# the compose health check reads that file's age (riskreg.celery.HeartbeatScheduler).
CELERY_BEAT_SCHEDULER = "riskreg.celery:HeartbeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 60
RISKREG_BEAT_HEARTBEAT = env("RISKREG_BEAT_HEARTBEAT", "")
CELERY_TIMEZONE = TIME_ZONE
# Beat: scheduled packs requested at 06:00 and reminder digests at 07:00, Europe/London. The
# schedule modules import only Celery, never Django models, so settings can read them.
CELERY_BEAT_SCHEDULE = {**PACK_BEAT_SCHEDULE, **REMINDER_BEAT_SCHEDULE}
# Absolute links in e-mails (reminders) point here.
RISKREG_BASE_URL = env("RISKREG_BASE_URL", "http://127.0.0.1:8000")

# Sessions expire after a working day of inactivity.
SESSION_COOKIE_AGE = int(env("DJANGO_SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# django-simple-history: reasons are people's words (a close reason, a review note), not labels,
# so they are stored whole. https://django-simple-history.readthedocs.io/en/latest/historical_model.html
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Domain defaults
RISKREG_DEFAULT_TIMEZONE = "Europe/London"
# Spreadsheet imports: the largest file accepted, and the most data rows read from it.
RISKREG_MAX_UPLOAD_BYTES = int(env("RISKREG_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024)))
RISKREG_IMPORT_MAX_ROWS = int(env("RISKREG_IMPORT_MAX_ROWS", "20000"))


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
