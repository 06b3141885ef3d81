"""Settings shared by every environment. Everything that differs per deployment comes from the
environment (12-factor); ``.env.example`` lists every variable. Docs:
https://docs.djangoproject.com/en/5.2/ref/settings/
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

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


def env_pem(name: str) -> str:
    """PEM text from the variable ``name``, or from the file ``name_FILE`` names (a mounted
    secret, which keeps a private key out of the environment); empty when neither is set."""
    value = os.environ.get(name, "")
    path = os.environ.get(f"{name}_FILE", "")
    if value and path:
        raise ImproperlyConfigured(f"set {name} or {name}_FILE, not both")
    if not path:
        return value
    try:
        return Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise ImproperlyConfigured(
            f"{name}_FILE names {path}, which cannot be read ({error.__class__.__name__})"
        ) from None


# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
# Subclasses decide whether a default is acceptable (local: yes; production: no).
SECRET_KEY = env("DJANGO_SECRET_KEY", "")
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = env_bool("DJANGO_DEBUG", False)
# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    # django.contrib.admin with riskreg's site: organisation admins by membership (issue 11).
    "riskreg.apps.RiskregAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # "2 hours ago" on the account page's sessions list (allauth.usersessions' templates).
    "django.contrib.humanize",
    # Django's widget templates, for FORM_RENDERER below (it reads templates through TEMPLATES).
    "django.forms",
    "django_htmx",
    "guardian",
    "simple_history",
    "registers",
    "scoring",
    "appetite",
    "reporting",
    # The REST API (issue 19): tokens and /api/v1/; nothing imports it but riskreg/urls.py.
    "api",
    # Django REST framework (https://www.django-rest-framework.org/) and the OpenAPI schema
    # (https://drf-spectacular.readthedocs.io/); the sidecar serves Swagger UI's files ourselves.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # seed_demo and its data; no other app imports it (issue 13).
    "demo",
    # Signing in (issue 14): django-allauth's accounts, password reset, two-factor, OpenID
    # Connect single sign-on and the sessions list; riskreg's own part is the accounts app.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    # SAML 2.0 for organisations whose identity provider speaks only SAML (accounts.sso).
    "allauth.socialaccount.providers.saml",
    "allauth.mfa",
    "allauth.usersessions",
    "accounts",
    # Security (issue 6): sign-in throttling, Content-Security-Policy, the audit-log receivers.
    "axes",
    "csp",
    "riskreg.apps.RiskregConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from gunicorn itself, before sessions and auth touch the request.
    # https://whitenoise.readthedocs.io/en/stable/django.html
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Keeps an active session from expiring without saving it on every request (decision 68).
    "riskreg.session_middleware.SessionRefreshMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # allauth's sign-in flow state, and the list of a person's sessions (the account page).
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    # A person whose organisation requires a second factor sets one up before anything else.
    "accounts.middleware.SecondFactorRequiredMiddleware",
    # Cache-Control: private, no-store on every response to a signed-in person (riskreg/security.py).
    "riskreg.security.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A form posted after its session ended keeps what was typed (riskreg/unsaved.py).
    "riskreg.unsaved.UnsavedFormMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Content-Security-Policy header on every response (CONTENT_SECURITY_POLICY below): django-csp's
    # middleware, the settings' policy built once (riskreg/security.py).
    "riskreg.security.SettingsPolicyCSPMiddleware",
    # Logs every 403 to riskreg.security (riskreg/security.py).
    "riskreg.security.RefusalLogMiddleware",
    # A POST answered with the error summary is a 400, not a 200 (riskreg/bad_input.py).
    "riskreg.bad_input.BadInputMiddleware",
    # A GET of a renamed register's old address redirects to its new one (registers/redirects.py).
    "registers.redirects.OldRegisterSlugMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into the lockout page.
    # https://django-axes.readthedocs.io/en/latest/2_installation.html
    "axes.middleware.AxesMiddleware",
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

# Every form field drawn with {{ field.as_field_group }} is a GOV.UK form group
# (templates/govuk/field.html). https://docs.djangoproject.com/en/5.2/ref/settings/#form-renderer
FORM_RENDERER = "riskreg.forms.GovukFormRenderer"

# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
# DATABASE_URL (postgres://user@host:5432/name) wins; otherwise an SQLite file under var/ so the
# demo needs nothing installed. Connections are kept between requests (CONN_MAX_AGE) and checked
# before a request reuses one (CONN_HEALTH_CHECKS), so a connection the server dropped (restart,
# failover, idle timeout) is replaced instead of answering 500. Behind PgBouncer in transaction
# pooling: DATABASE_CONN_MAX_AGE=0 and DATABASE_DISABLE_SERVER_SIDE_CURSORS=true (docs/deploy.md).
# https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-connections
# https://docs.djangoproject.com/en/5.2/ref/databases/#transaction-pooling-server-side-cursors
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'riskreg.sqlite3'}",
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
        disable_server_side_cursors=env_bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", False),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# https://docs.djangoproject.com/en/5.2/topics/auth/customizing/#substituting-a-custom-user-model
AUTH_USER_MODEL = "registers.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out client is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # allauth's: e-mail addresses matched whatever their case, and its sign-in stages (2FA);
    # an account found by its sign-in address or a confirmed address, never a pending one
    # (accounts.backends, decision 100).
    "accounts.backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Argon2 (memory-hard, the OWASP recommendation) for every new or changed password; the others
# stay so older hashes still verify and are upgraded to Argon2 at the next sign-in.
# https://docs.djangoproject.com/en/5.2/topics/auth/passwords/#using-argon2-with-django
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
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
# The dashboard's organisation-wide figures, kept between the organisation's writes
# (registers/caching.py, decision 67). A write drops them through the cache, so it must be one
# that every web and Celery process shares: on with DJANGO_CACHE_URL; a per-process memory cache
# only where one process serves and writes (tests, bench, a lone runserver): RISKREG_PAGE_CACHE=1.
RISKREG_PAGE_CACHE = env_bool("RISKREG_PAGE_CACHE", bool(CACHE_URL))

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
# A pack still "building" after this long lost its worker (killed at the hard time limit, out of
# memory, a restart) and is marked failed with a retry offered; keep it above PACK_TIME_LIMIT.
RISKREG_PACK_STALLED_SECONDS = int(env("RISKREG_PACK_STALLED_SECONDS", "420"))
# A pack still "queued" after this long lost its place in the queue (a broker restarted without
# its data): the beat sweep sends it once more, then marks it failed with a retry offered. Keep
# it above the longest wait behind a burst of scheduled packs.
RISKREG_PACK_QUEUED_SECONDS = int(env("RISKREG_PACK_QUEUED_SECONDS", "1800"))
# A dead or unreachable broker must cost a web request seconds, not hang it: connect and socket
# timeouts for Redis (kombu's transport options; None, the default, waits for ever). The
# socket timeout stays above the workers' 1-second BRPOP poll.
# https://docs.celeryq.dev/projects/kombu/en/stable/reference/kombu.transport.redis.html
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": float(env("RISKREG_BROKER_CONNECT_TIMEOUT", "3")),
    "socket_timeout": float(env("RISKREG_BROKER_SOCKET_TIMEOUT", "10")),
}
# Beat wakes at least once a minute and touches RISKREG_BEAT_HEARTBEAT (if set) on every tick:
# the compose health check reads that file's age (riskreg.celery.HeartbeatScheduler).
CELERY_BEAT_SCHEDULER = "riskreg.celery:HeartbeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 60
RISKREG_BEAT_HEARTBEAT = env("RISKREG_BEAT_HEARTBEAT", "")
CELERY_TIMEZONE = TIME_ZONE
# Beat's entries (scheduled packs at 06:00, reminder digests from 07:00, Europe/London) live with
# the Celery app, in riskreg/beat.py: settings import no app module.
# Absolute links in e-mails (reminders) point here.
RISKREG_BASE_URL = env("RISKREG_BASE_URL", "http://127.0.0.1:8000")

# Sessions expire after a working day of inactivity. An unchanged session is saved again (its
# expiry pushed a full age ahead) once its last save is RISKREG_SESSION_REFRESH_SECONDS old, not on
# every request (riskreg/session_middleware.py, decision 68): idle sign-out comes between the age
# less that interval and the age after the last page. Django's SESSION_SAVE_EVERY_REQUEST would
# write the session to the database on every page.
SESSION_COOKIE_AGE = int(env("DJANGO_SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_SAVE_EVERY_REQUEST = False
RISKREG_SESSION_REFRESH_SECONDS = int(env("RISKREG_SESSION_REFRESH_SECONDS", "60"))
if not 0 <= RISKREG_SESSION_REFRESH_SECONDS <= SESSION_COOKIE_AGE // 10:
    raise ImproperlyConfigured(
        "RISKREG_SESSION_REFRESH_SECONDS must be between 0 and a tenth of "
        f"DJANGO_SESSION_COOKIE_AGE ({SESSION_COOKIE_AGE // 10}), not "
        f"{RISKREG_SESSION_REFRESH_SECONDS}"
    )
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-content-type-nosniff
# Downloads (exports, packs) are served as attachments with their real type; nosniff stops a
# browser guessing another.
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Sign-in throttling: django-axes ----------------------------------------------------------
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
# After AXES_FAILURE_LIMIT failed sign-ins for one account from one address, that pair is
# refused for the cool-off, then may try again: a pause, never a permanent lockout (which would
# let anyone lock a colleague out by typing their e-mail). Failures are kept in the database
# (AccessAttempt), so every web replica sees the same count.
AXES_FAILURE_LIMIT = int(env("RISKREG_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("RISKREG_LOGIN_COOLOFF_MINUTES", "15")))
# Account and address together: one attacker cannot lock a person out from everywhere, and one
# office NAT address shared by a whole force is not locked out by one person's typos.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# And per address across accounts, markedly higher: one address trying a few passwords on every
# account (a password spray) is paused after this many failures within the cool-off, while a
# shared office address is not paused by one person's typos (they stop at AXES_FAILURE_LIMIT).
# riskreg.security.ThrottleHandler adds this check to axes' database handler.
RISKREG_LOGIN_ADDRESS_FAILURE_LIMIT = int(env("RISKREG_LOGIN_ADDRESS_FAILURE_LIMIT", "20"))
AXES_HANDLER = "riskreg.security.ThrottleHandler"
# The sign-in form's field (django-allauth's "login"); riskreg.security.login_username also
# reads the "email" allauth hands the backends.
AXES_USERNAME_FORM_FIELD = "login"
# The form axes keeps with a failed sign-in (post_data) masks the e-mail box as it masks its own
# "username": what someone typed there may be their password (axes' defaults, plus "login").
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "login"]
AXES_USERNAME_CALLABLE = "riskreg.security.login_username"
# Behind a reverse proxy every request comes from the proxy's address; RISKREG_TRUSTED_PROXY_COUNT
# says how many proxies append to X-Forwarded-For in front of gunicorn (0: use the socket's).
RISKREG_TRUSTED_PROXY_COUNT = int(env("RISKREG_TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "riskreg.security.client_ip"
# A successful sign-in clears the account's failures.
AXES_RESET_ON_SUCCESS = True
# Tries while locked out do not restart the cool-off, so the time the lockout page gives holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The lockout page (templates/registration/locked_out.html, status 429) says when to try again.
AXES_LOCKOUT_CALLABLE = "riskreg.security.lockout_response"
# axes' own log lines say only what riskreg.security already does.
AXES_VERBOSE = False

# --- Accounts: django-allauth (issue 14) ------------------------------------------------------
# https://docs.allauth.org/en/latest/account/configuration.html
# People sign in with their e-mail address and a password, or through their organisation's
# identity provider; nobody signs themselves up: an account starts from an invitation (or an
# admin's add_member), so the signup page is closed (accounts.adapters.AccountAdapter).
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# Addresses are verified by the invitation link (or by the identity provider); a changed address
# is confirmed by a link to the new one before it replaces the old (ACCOUNT_CHANGE_EMAIL).
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_MAX_EMAIL_ADDRESSES = 2
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# The password-reset page answers the same whether or not an address has an account, and no
# e-mail goes to an address without one.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "riskreg: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if RISKREG_BASE_URL.startswith("https:") else "http"
# Failed passwords are counted by django-axes (above), per account and address with the lockout
# page; allauth's own count of them is off so one rule, with one message, applies, and so is its
# limit on sign-ins per address (30 a minute), which a force's shared office address reaches at
# a shift change. Its other limits stay: reset requests per address and per account, reset
# links per address.
ACCOUNT_RATE_LIMITS = {
    "login": False,
    "login_failed": False,
    "reset_password": "20/m/ip,5/h/key",
    "reset_password_from_key": "20/m/ip",
    # Attempts to accept an invitation (accounts/invitations.py), per client address: as many
    # as the reset links, so an office accepting a bulk invitation is not paused; guessing a
    # link's token (256 bits) is hopeless anyway, this stops a script hammering the page.
    "invitation_accept": "20/m/ip",
}
# A reset link works once (it is made from the password it replaces, so setting a new one spends
# it) and for this long; the e-mail says so. Django's default is three days.
# https://docs.djangoproject.com/en/5.2/ref/settings/#password-reset-timeout
PASSWORD_RESET_TIMEOUT = 60 * 60
# allauth's password and e-mail forms in our words; the reset request is logged
# (accounts.password_reset).
ACCOUNT_FORMS = {
    "reset_password": "accounts.forms_password.PasswordResetRequestForm",
    "reset_password_from_key": "accounts.forms_password.NewPasswordForm",
    "change_password": "accounts.forms_password.ChangePasswordForm",
    "set_password": "accounts.forms_password.SetPasswordForm",
    "add_email": "accounts.forms_account.ChangeEmailForm",
}
# After confirming a new address, back to the account page (accounts/account_page.py).
ACCOUNT_EMAIL_CONFIRMATION_AUTHENTICATED_REDIRECT_URL = "/accounts/you/"
# A person is told by e-mail when their password is changed or reset, their address changes (at
# the old address), or a second factor is added or removed: if it was not them, they know at
# once and can tell their organisation. Templates: templates/account/email/, templates/mfa/email/.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# allauth counts per client address behind the same proxies as django-axes.
ALLAUTH_TRUSTED_PROXY_COUNT = int(env("RISKREG_TRUSTED_PROXY_COUNT", "0"))
# Two-factor: an authenticator app (TOTP) with recovery codes, and security keys or passkeys
# (WebAuthn) where the browser offers them. https://docs.allauth.org/en/latest/mfa/configuration.html
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = env("RISKREG_TOTP_ISSUER", "riskreg")
MFA_PASSKEY_LOGIN_ENABLED = False
# WebAuthn needs a secure origin; the demo on http://127.0.0.1 is one for browsers (localhost).
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env_bool("RISKREG_WEBAUTHN_ALLOW_INSECURE_ORIGIN", DEBUG)
# riskreg's words and rules in allauth's two-factor pages: plain messages, and nobody whose
# organisation requires a second factor turns off their only one (accounts.mfa_adapter).
MFA_ADAPTER = "accounts.mfa_adapter.MFAAdapter"
# The code asked for at sign-in (and again before a sensitive change) counts wrong codes, and
# setting up an app has a labelled box instead of a placeholder (accounts.forms_second_factor).
MFA_FORMS = {
    "authenticate": "accounts.forms_second_factor.AuthenticateForm",
    "reauthenticate": "accounts.forms_second_factor.ReauthenticateForm",
    "activate_totp": "accounts.forms_second_factor.ActivateTOTPForm",
}
# Wrong second-factor codes (an authenticator app's or a recovery code): allauth counts them under
# "login_failed", which is off above for passwords, so they would go uncounted and anyone with a
# password could try every 6-digit code. riskreg counts them per account, from any address, as
# axes counts passwords: five in 15 minutes, then the code box says to wait; a right code clears
# the count. Needs the shared cache (DJANGO_CACHE_URL) to hold across web processes.
ACCOUNT_RATE_LIMITS["second_factor_code"] = "5/15m/key"
# Single sign-on: providers are organisations' own, stored in accounts.SingleSignOnProvider and
# handed to allauth by the adapter. Signing in with one never makes an account or a membership by
# itself (the adapter checks the invitation or membership); the address must be verified by it.
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = int(env("RISKREG_SSO_TIMEOUT_SECONDS", "10"))
# Sessions signed in elsewhere, listed on the account page with a way to end them: when and from
# where each began. Not "last seen": tracking it writes to the database on every page.
USERSESSIONS_TRACK_ACTIVITY = False
# An invitation link works for this many days, then says how to ask for a new one.
RISKREG_INVITATION_DAYS = int(env("RISKREG_INVITATION_DAYS", "7"))
# Client secrets typed into the sign-in settings page are encrypted with this key (Fernet; any
# string: it is stretched). Defaults to SECRET_KEY; set it to rotate SECRET_KEY without losing them.
RISKREG_SECRETS_KEY = env("RISKREG_SECRETS_KEY", "")
# riskreg's own SAML key pair (decision 111), the same for every SAML connection: with it,
# sign-in requests are signed and assertions encrypted to its certificate are accepted. PEM, in
# the variable or in the file RISKREG_SAML_SP_*_FILE names; checked at start-up (accounts.saml_keys).
RISKREG_SAML_SP_CERTIFICATE = env_pem("RISKREG_SAML_SP_CERT")
RISKREG_SAML_SP_PRIVATE_KEY = env_pem("RISKREG_SAML_SP_KEY")

# --- Content-Security-Policy: django-csp 4 ----------------------------------------------------
# https://django-csp.readthedocs.io/en/latest/configuration.html
# Everything comes from our own origin (static files are vendored, no CDN); no inline script
# (GOV.UK Frontend's start-up is static/js/govuk-init.js; htmx's inline indicator <style> is
# turned off in base.html). style-src-attr allows inline style attributes ONLY because the
# templates set band colours as CSS custom properties (style="--band-colour: #00703c"); a style
# attribute cannot run script. data: images are allowed (none are used yet): an image cannot run
# script, and a print stylesheet or e-mail preview may embed one.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# django-simple-history: reasons are people's words (a close reason, a review note), not labels,
# so they are stored whole. https://django-simple-history.readthedocs.io/en/latest/historical_model.html
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Domain defaults
RISKREG_DEFAULT_TIMEZONE = "Europe/London"
# Spreadsheet imports: the largest file accepted, and the most data rows read from it.
RISKREG_MAX_UPLOAD_BYTES = int(env("RISKREG_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024)))
RISKREG_IMPORT_MAX_ROWS = int(env("RISKREG_IMPORT_MAX_ROWS", "20000"))
# Assurance evidence (issue 18): the largest file accepted, in MB. Uploads above
# FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to a temporary file, and DATA_UPLOAD_MAX_MEMORY_SIZE
# does not count files, so Django lets such a file through to the check in
# registers/services/evidence.py; a proxy in front must allow the body too (docs/deploy.md).
RISKREG_EVIDENCE_MAX_MB = int(env("RISKREG_EVIDENCE_MAX_MB", "20"))
# Cells read from one file, empty formatted ones included (the cost of reading it); shared texts
# in a workbook count against the same limit. See reporting/spreadsheets/reading.py.
RISKREG_IMPORT_MAX_CELLS = int(env("RISKREG_IMPORT_MAX_CELLS", "600000"))
# Rows an import in the browser may have (bigger files go through import_register). A file of
# more than RISKREG_IMPORT_BACKGROUND_ROWS rows is checked and written by Celery tasks, with a
# progress page, instead of in the request (reporting/spreadsheets/jobs.py).
RISKREG_WEB_IMPORT_MAX_ROWS = int(env("RISKREG_WEB_IMPORT_MAX_ROWS", "10000"))
RISKREG_IMPORT_BACKGROUND_ROWS = int(env("RISKREG_IMPORT_BACKGROUND_ROWS", "200"))
# Request bodies. https://docs.djangoproject.com/en/5.2/ref/settings/#data-upload-max-memory-size
# Form fields (not files): the longest real form is a risk with its description and consequence;
# 1 MiB is hundreds of pages of text, and anything larger is refused (400) before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# The import form takes one spreadsheet; the admin's pack form one PDF.
DATA_UPLOAD_MAX_NUMBER_FILES = 5
# An accepted spreadsheet stays in memory (it is read whole anyway) and never touches the web
# container's disk; the import view's own handler stops reading at RISKREG_MAX_UPLOAD_BYTES.
FILE_UPLOAD_MAX_MEMORY_SIZE = RISKREG_MAX_UPLOAD_BYTES


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Sign-ins, sign-outs, lockouts and refused requests (riskreg/security.py).
        "riskreg.security": {"level": env("RISKREG_SECURITY_LOG_LEVEL", "INFO")},
    },
}

# --- REST API (issue 19) ------------------------------------------------------------------------
# https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    # Bearer tokens (api/authentication.py) for scripts; the session for the browsable docs,
    # with CSRF enforced on writes by DRF's SessionAuthentication.
    # https://www.django-rest-framework.org/api-guide/authentication/
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # https://www.django-rest-framework.org/api-guide/permissions/
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # https://www.django-rest-framework.org/api-guide/pagination/#cursorpagination
    "DEFAULT_PAGINATION_CLASS": "api.pagination.RiskCursorPagination",
    "PAGE_SIZE": 100,
    # Per token (or per signed-in person): api/throttling.py.
    # https://www.django-rest-framework.org/api-guide/throttling/
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env("RISKREG_API_RATE", "600/min")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # https://drf-spectacular.readthedocs.io/en/latest/readme.html#installation
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# https://drf-spectacular.readthedocs.io/en/latest/settings.html
SPECTACULAR_SETTINGS = {
    "TITLE": "riskreg API",
    "DESCRIPTION": "Risks of the organisations a token covers. Authorization: Bearer <token>.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files from drf-spectacular-sidecar, served by us: no CDN under our CSP.
    # https://drf-spectacular.readthedocs.io/en/latest/settings.html#django-rest-framework-settings
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per set of choices (risk, action and indicator statuses; review and appetite
    # states), not a hash. https://drf-spectacular.readthedocs.io/en/latest/faq.html
    "ENUM_NAME_OVERRIDES": {
        "RiskStatusEnum": "registers.models.RiskStatus",
        "ActionStatusEnum": "registers.models.ActionStatus",
        "ReviewStateEnum": "registers.models.ReviewState",
        "Scale3Enum": "registers.models.Scale3",
        "IndicatorStatusEnum": "api.serializers_children.INDICATOR_STATUS_CHOICES",
    },
}
