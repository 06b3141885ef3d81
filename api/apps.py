from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API (issue 19): tokens, the /api/v1/ endpoints and their schema."""

    name = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the Bearer token's description with drf-spectacular.
        from . import schema  # noqa: F401
