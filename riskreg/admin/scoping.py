"""Who sees which organisations' rows in the admin.

A superuser sees everything. Anyone else sees only the organisations where they are an admin
member, and only those organisations' rows; foreign-key choices are narrowed the same way, so an
organisation admin can neither see nor link to another organisation's data. Every model's admin
here mixes in ``OrganisationScoped``.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model, QuerySet
from simple_history.admin import SimpleHistoryAdmin

from appetite.models import AppetiteLevel, AppetiteStatement
from registers.models import (
    Action,
    Category,
    Control,
    Escalation,
    Membership,
    Objective,
    Organisation,
    Register,
    Review,
    Risk,
    RiskLink,
    Role,
    User,
)
from scoring.models import Scheme, SchemeVersion


def admin_organisation_ids(request) -> set[int] | None:
    """None means unrestricted (superuser)."""
    user = request.user
    if not user.is_active or not user.is_authenticated:
        return set()
    if user.is_superuser:
        return None
    cached = getattr(request, "_riskreg_admin_orgs", None)
    if cached is None:
        cached = set(
            Membership.objects.filter(user=user, role=Role.ADMIN).values_list(
                "organisation_id", flat=True
            )
        )
        request._riskreg_admin_orgs = cached
    return cached


# How each model's rows reach their organisation: the scope of its list, and of every choice
# of one of its rows in another model's form.
ORGANISATION_PATHS: dict[type[Model], str] = {
    Organisation: "id",
    User: "memberships__organisation",
    Membership: "organisation",
    Category: "organisation",
    Objective: "organisation",
    Register: "organisation",
    Risk: "organisation",
    Control: "organisation",
    Action: "organisation",
    Review: "organisation",
    RiskLink: "organisation",
    Escalation: "organisation",
    Scheme: "organisation",
    SchemeVersion: "scheme__organisation",
    AppetiteLevel: "organisation",
    AppetiteStatement: "organisation",
}


def _organisation_path(model: type[Model]) -> str | None:
    return ORGANISATION_PATHS.get(model)


class OrganisationScoped:
    """The scoping, mixed into a ModelAdmin (with history for the models that keep it)."""

    organisation_path = "organisation"

    def _allowed(self, request) -> bool:
        ids = admin_organisation_ids(request)
        return ids is None or bool(ids)

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        ids = admin_organisation_ids(request)
        if ids is None:
            return queryset
        return queryset.filter(**{f"{self.organisation_path}__in": ids}).distinct()

    def _owns(self, request, obj) -> bool:
        if obj is None:
            return self._allowed(request)
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._owns(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._owns(request, obj)

    def has_add_permission(self, request) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._owns(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        ids = admin_organisation_ids(request)
        path = _organisation_path(db_field.related_model)
        if ids is not None and path is not None:
            kwargs["queryset"] = db_field.related_model._default_manager.filter(
                **{f"{path}__in": ids}
            ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        ids = admin_organisation_ids(request)
        path = _organisation_path(db_field.related_model)
        if ids is not None and path is not None:
            kwargs["queryset"] = db_field.related_model._default_manager.filter(
                **{f"{path}__in": ids}
            ).distinct()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class OrganisationScopedAdmin(OrganisationScoped, SimpleHistoryAdmin):
    """Simple-history's views for the models that keep history; Django's own (the admin's log)
    for the others, where simple-history's answered 500 (categories, objectives...)."""

    def _keeps_history(self) -> bool:
        return hasattr(self.model._meta, "simple_history_manager_attribute")

    def get_urls(self):
        if self._keeps_history():
            return super().get_urls()
        return admin.ModelAdmin.get_urls(self)

    def history_view(self, request, object_id, extra_context=None):
        if self._keeps_history():
            return super().history_view(request, object_id, extra_context)
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)


# Choices of an organisation filter: only organisations of the rows the admin may see (a
# plain filter listed every organisation's name to an organisation admin).
BY_ORGANISATION = ("organisation", admin.RelatedOnlyFieldListFilter)
