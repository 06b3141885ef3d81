from django.apps import AppConfig


class AppetiteConfig(AppConfig):
    name = "appetite"
    verbose_name = "Risk appetite"
