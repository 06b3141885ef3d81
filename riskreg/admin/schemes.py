"""Scoring schemes and their versions, read in the admin and changed on the scheme settings
page (decision 118).
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse

from scoring.models import Scheme, SchemeVersion

from .read_only import ChangedOnItsPage
from .scoping import OrganisationScopedAdmin


# A scheme's versions are added on the scheme settings page (``scheme_version_adopt``: the
# preview, then the open risks re-rated now, or at their reviews, with a reason). Saved here, a
# scheme's current version could be pointed back at an old one, or at another scheme's, and its
# default moved, with no risk re-rated, the appetite thresholds on another scale, and no history
# reason; a delete took a scheme's versions with it. Read here by everyone (decision 118).
@admin.register(Scheme)
class SchemeAdmin(ChangedOnItsPage, OrganisationScopedAdmin):
    list_display = ("name", "organisation", "is_default", "current_version")
    list_select_related = ("organisation", "current_version")
    page_words = "the organisation's scoring scheme settings"

    def page_url(self, obj: Scheme) -> str:
        return reverse("settings_scheme", args=[obj.organisation.slug])


@admin.register(SchemeVersion)
class SchemeVersionAdmin(ChangedOnItsPage, OrganisationScopedAdmin):
    """Versions are immutable, and risks' ratings name the version they were made under: read
    here, never changed or deleted (a new one comes from the scheme settings or load_scheme)."""

    organisation_path = "scheme__organisation"
    list_display = ("scheme", "number", "created_at")
    page_words = "the organisation's scoring scheme settings"

    def page_url(self, obj: SchemeVersion) -> str:
        return reverse("settings_scheme", args=[obj.scheme.organisation.slug])
