from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self):
        # Services queue tasks by name (reporting.packs.enqueue): register them in every
        # process, not only in workers, whose autodiscovery would otherwise be the only import.
        from . import tasks  # noqa: F401
