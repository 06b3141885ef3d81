"""Appetite levels (read here, saved together on the appetite levels page) and appetite
statements (set and removed through the appetite services) in the admin (decision 118).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from appetite.models import AppetiteLevel, AppetiteStatement
from appetite.services import StatementConflict, appetite_statement_remove, appetite_statement_set

from .read_only import ChangedOnItsPage
from .saving import (
    ADDED_IN_ADMIN_REASON,
    CHANGED_IN_ADMIN_REASON,
    REMOVED_IN_ADMIN_REASON,
    DeletedThroughService,
    RefusalShownForm,
    RefusedAtSave,
    ShownAgainIfRefused,
)
from .scoping import OrganisationScopedAdmin


# Appetite levels are saved together on the appetite levels page (``appetite_levels_save``:
# ranges ordered, not overlapping, within the default scheme's scores, no level removed that a
# statement names, every statement's tolerance inside its level's range, a reason). One level
# saved alone here skipped all of it. Read here by everyone (decision 118).
@admin.register(AppetiteLevel)
class AppetiteLevelAdmin(ChangedOnItsPage, OrganisationScopedAdmin):
    list_display = ("name", "organisation", "position", "min_score", "max_score")
    page_words = "the organisation's appetite levels"

    def page_url(self, obj: AppetiteLevel) -> str:
        return reverse("appetite_levels", args=[obj.organisation.slug])


STATEMENT_STALE = (
    "This appetite statement was changed by someone else after you opened this page, in some of "
    "the fields you changed: nothing was saved. Open it again and make your change on what it "
    "says now."
)


class AppetiteStatementAdminForm(RefusalShownForm):
    """``loaded_version`` is the statement's version when the page was opened: a save from an
    older one is merged by ``appetite_statement_set`` as the appetite page's, and refused where
    both changed the same field."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = AppetiteStatement
        fields = "__all__"  # noqa: DJ007 - the admin chooses the fields it shows

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["loaded_version"] = (
                AppetiteStatement.objects.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )


# Appetite statements are set and removed as on the appetite page (decision 118):
# ``appetite_statement_set`` (the tolerance within the default scheme's scores and inside its
# level's range, the warning below it, the version, a history reason) and
# ``appetite_statement_remove``. A statement stays with its organisation and category.
@admin.register(AppetiteStatement)
class AppetiteStatementAdmin(DeletedThroughService, ShownAgainIfRefused, OrganisationScopedAdmin):
    form = AppetiteStatementAdminForm
    list_display = ("__str__", "organisation", "level", "tolerance", "warning")
    STATEMENT_FIELDS = ("level", "tolerance", "warning", "rationale")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", "category", *self.STATEMENT_FIELDS]
        return [
            "loaded_version",
            "appetite_page",
            "organisation",
            "category",
            *self.STATEMENT_FIELDS,
            "version",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("appetite_page", "organisation", "category", "version")

    @admin.display(description="Appetite page")
    def appetite_page(self, obj: AppetiteStatement) -> str:
        url = reverse("appetite", args=[obj.organisation.slug])
        return format_html('<a href="{}">{}</a>', url, "the organisation's appetite")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        where = AppetiteStatement.objects.get(pk=obj.pk) if change else obj
        try:
            saved = appetite_statement_set(
                organisation=where.organisation,
                category=where.category,
                level=data["level"],
                tolerance=data["tolerance"],
                warning=data["warning"],
                rationale=data["rationale"],
                reason=CHANGED_IN_ADMIN_REASON if change else ADDED_IN_ADMIN_REASON,
                expected_version=data["loaded_version"] if change else None,
            )
        except StatementConflict as exc:
            raise RefusedAtSave(ValidationError(STATEMENT_STALE)) from exc
        except ValidationError as exc:
            raise RefusedAtSave(exc) from exc
        obj.pk, obj._state.adding = saved.pk, False
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        appetite_statement_remove(statement=obj, reason=REMOVED_IN_ADMIN_REASON)
