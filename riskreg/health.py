"""``/healthz``: can this web process reach what it needs? For load balancers and the compose
health check (docs/deploy.md).

200 ``{"database": "ok", "broker": "ok"}`` when PostgreSQL answers ``SELECT 1`` and the Celery
broker accepts a connection; 503 with the failing part named otherwise. Without a broker (the
demo: tasks run in-process) the broker is reported as ``"eager"`` and the process stays healthy.

No login, no cookies, nothing written: a load balancer calls it every few seconds on every
replica. Failures are named by their exception class only (the body is public); the detail goes
to the log.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# Long enough for a broker on the same network, short enough that a load balancer's own timeout
# (often 5 s) still sees our 503 rather than giving up.
BROKER_TIMEOUT_SECONDS = 2.0


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001  any failure means unhealthy
        logger.warning("Health check: database unavailable: %r", error)
        return f"unavailable ({type(error).__name__})"
    return "ok"


def broker_status() -> str:
    url = settings.CELERY_BROKER_URL
    if not url or settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from riskreg.celery import app

    try:
        # The URL from settings, not the app's cached configuration, so the check follows the
        # settings in force; a new connection each time, so a dead pool is not mistaken for ok.
        with app.connection_for_write(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as error:  # noqa: BLE001
        logger.warning("Health check: broker unavailable: %r", error)
        return f"unavailable ({type(error).__name__})"
    return "ok"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    # The session refresh (riskreg/session_middleware.py) would save (and extend) the session of
    # a caller that sends a session cookie; without a session attribute it and SessionMiddleware
    # leave the response alone, so a health check never writes, whoever calls it.
    if hasattr(request, "session"):
        del request.session
    checks = {"database": database_status(), "broker": broker_status()}
    healthy = all(value in ("ok", "eager") for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)
