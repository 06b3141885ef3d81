from django.apps import AppConfig


class RegistersConfig(AppConfig):
    name = "registers"
    verbose_name = "Risk registers"

    def ready(self):
        # Services queue tasks by name: register them in every process, not only in workers.
        from . import tasks  # noqa: F401
        from .caching import connect_signals

        # Every write to what the pages show drops the organisation's cached pieces (decision 67).
        connect_signals()
