from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo: five organisations transcribed from their published papers, their users and
    report packs, loaded by ``seed_demo``. It reads the other apps through their services; none
    of them imports it, so a deployment could leave it out."""

    name = "demo"
    verbose_name = "Demo"
