"""Membership management for organisation admins, and per-register grants."""

urlpatterns: list = []
