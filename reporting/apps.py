from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"
    # Its Celery tasks (reporting.tasks) are registered when the Celery app is finalized, by the
    # first lookup of a task by name (riskreg.celery), not here: importing them costs about half
    # of django.setup().

    def ready(self):
        # A register a pack names is not deleted (decision 112): registers asks through its
        # hook, as it does not import reporting.
        from .packs.kept_registers import pack_keeper_add

        pack_keeper_add()
