from django.apps import AppConfig


class RegistersConfig(AppConfig):
    name = "registers"
    verbose_name = "Risk registers"

    def ready(self):
        from django.db.models.signals import post_migrate

        # Its Celery tasks (registers.tasks) are registered when a service first looks one up by
        # name (riskreg.celery), not at start-up.
        from .caching import connect_signals, forget_after_migrate

        # Every write to what the pages show drops the organisation's cached pieces (decision 67),
        # and so does every migrate, which writes without saying so (decision 73).
        connect_signals()
        post_migrate.connect(forget_after_migrate, sender=self, dispatch_uid="riskreg-forget-all")
