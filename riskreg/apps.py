from django.apps import AppConfig


class RiskregConfig(AppConfig):
    """The project package as an app, only so that its security audit-log receivers are
    connected at start-up (``riskreg.security``). It has no models."""

    name = "riskreg"
    verbose_name = "riskreg"

    def ready(self) -> None:
        from . import security

        security.connect_receivers()
