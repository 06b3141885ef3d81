from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class RiskregConfig(AppConfig):
    """The project package as an app, so that its security audit-log receivers are connected at
    start-up (``riskreg.security``), a sign-in records when its session was saved
    (``riskreg.session_middleware``), its deploy checks are registered (``riskreg.checks``), and
    an id list with a number too big for its column matches nothing (``riskreg.lookups``).
    Its e-mail task (``riskreg.tasks``) is registered with the
    other apps' tasks when Celery's app is finalized (``riskreg.celery``). It has no models."""

    name = "riskreg"
    verbose_name = "riskreg"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import (  # noqa: F401  (checks registers)
            checks,
            lookups,
            security,
            session_middleware,
        )

        security.connect_receivers()
        lookups.register()  # an id list with a number too big for its column matches nothing
        user_logged_in.connect(session_middleware.on_signed_in, dispatch_uid="riskreg-session")


class RiskregAdminConfig(AdminConfig):
    """``django.contrib.admin`` with our site (``riskreg.admin_site``), which admits
    organisation admins by membership rather than by the account's staff flag."""

    default_site = "riskreg.admin_site.RiskregAdminSite"
