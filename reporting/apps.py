from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"
    # Its Celery tasks (reporting.tasks) are registered when the Celery app is finalized, by the
    # first lookup of a task by name (riskreg.celery), not here: importing them costs about half
    # of django.setup().
