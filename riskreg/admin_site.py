"""The admin site: who may open it at all.

Django's own site admits staff accounts. Ours admits superusers and the admins of an
organisation by their membership, so making someone an organisation admin never has to set a flag
on their account: an account belongs to its person, and organisations manage memberships only
(issue 11). What each person then sees is scoped in ``riskreg.admin``.
"""

from __future__ import annotations

from django.contrib import admin


class RiskregAdminSite(admin.AdminSite):
    site_header = "riskreg administration"
    site_title = "riskreg admin"

    def has_permission(self, request) -> bool:
        from .admin.scoping import admin_organisation_ids

        user = request.user
        if not (user.is_active and user.is_authenticated):
            return False
        if user.is_superuser or user.is_staff:
            # Staff status is set by superusers only; what staff see is still scoped.
            return True
        return bool(admin_organisation_ids(request))
