"""The "my work" page for owners, managers and action owners."""

urlpatterns: list = []
