"""Production settings pass ``manage.py check --deploy`` with no warning, and refuse to start
without a real secret and host names (issue 6).

Each test starts a fresh Python with ``DJANGO_SETTINGS_MODULE=riskreg.settings.production`` and an
environment built here, so nothing of the test settings or the developer's shell leaks in.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Settings values read back from the production settings, as JSON.
READ_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "hashers": settings.PASSWORD_HASHERS,
    "backends": settings.AUTHENTICATION_BACKENDS,
    "middleware": settings.MIDDLEWARE,
    "csp": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "debug": settings.DEBUG,
    "allowed_hosts": settings.ALLOWED_HOSTS,
}))
"""


def production_env(**overrides: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(ROOT)),
        "DJANGO_SETTINGS_MODULE": "riskreg.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),  # 67 random characters
        "DJANGO_ALLOWED_HOSTS": "risks.example.org",
        # Settings read the URL; check --deploy never connects.
        "DATABASE_URL": "postgres://riskreg@db.invalid:5432/riskreg",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603  our own interpreter and manage.py
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_put_argon2_axes_and_csp_in_place():
    result = run(["-c", READ_SETTINGS], production_env())
    assert result.returncode == 0, result.stderr
    settings = json.loads(result.stdout)
    assert settings["hashers"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    # The others remain so existing hashes still verify (and are upgraded at sign-in).
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in settings["hashers"]
    assert settings["backends"][0] == "axes.backends.AxesStandaloneBackend"
    assert settings["middleware"][-1] == "axes.middleware.AxesMiddleware"
    assert "riskreg.security.SettingsPolicyCSPMiddleware" in settings["middleware"]
    assert settings["csp"]["script-src"] == ["'self'"]
    assert settings["debug"] is False
    assert settings["allowed_hosts"] == ["risks.example.org"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_SECRET_KEY": "short-secret"}, "DJANGO_SECRET_KEY is too weak (12 characters"),
        ({"DJANGO_SECRET_KEY": "ab" * 30}, "DJANGO_SECRET_KEY is too weak (60 characters, 2"),
        (
            {"DJANGO_SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(50)},
            "DJANGO_SECRET_KEY is too weak",
        ),
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS is not set"),
    ],
    ids=["missing", "empty", "short", "repetitive", "django-insecure", "no-hosts"],
)
def test_production_settings_refuse_a_missing_or_weak_secret(overrides, message):
    result = run(["manage.py", "check", "--deploy"], production_env(**overrides))
    assert result.returncode != 0
    assert message in result.stderr
    assert "ImproperlyConfigured" in result.stderr
