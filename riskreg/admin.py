"""Django admin for every model, scoped by organisation.

A superuser sees everything. Anyone else sees only the organisations where they are an admin
member, and only those organisations' rows; foreign-key choices are narrowed the same way, so an
organisation admin can neither see nor link to another organisation's data. Registered here, in the
project package, so the apps keep their one-way dependencies.

Accounts are not an organisation's to manage (issue 11): a person may be a member of several
organisations, so an organisation admin who could set the password or e-mail of a member could
take over the account of another organisation's admin, or a superuser's. Only superusers see the
user admin. Memberships (role, grants, clearance) are changed on the members pages, through the
services that keep the last-admin rule, the register grants and the security log; organisation
admins read them here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
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
    RegisterGroupObjectPermission,
    RegisterUserObjectPermission,
    Review,
    Risk,
    RiskLink,
    Role,
    User,
)
from registers.refs import ref_clean
from registers.services.accounts import sign_in_address_add
from registers.services.organisations import register_create
from registers.services.register_slugs import register_slug_change, register_slug_clean
from scoring.models import Scheme, SchemeVersion

# The first history row of a register added here.
ADDED_IN_ADMIN_REASON = "added in the admin"
OTHER_ORGANISATIONS = "the {name} belongs to another organisation"


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


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    organisation_path = "id"
    list_display = ("name", "slug", "panel_name")
    search_fields = ("name", "slug")

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser  # new tenants come from create_org or a superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


class ReadOnlyForOrganisationAdmins:
    """Mixed in before ``OrganisationScopedAdmin``: organisation admins read their own rows;
    changes go through the members pages (and their services); superusers may change."""

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


class SuperuserOnlyAdmin(ReadOnlyForOrganisationAdmins):
    """Mixed in before ``OrganisationScoped``: nobody but a superuser sees these at all."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(User)
class RiskregUserAdmin(SuperuserOnlyAdmin, OrganisationScoped, UserAdmin):
    """Superusers only; every change is written to the security log (riskreg.security).
    Accounts keep no simple-history table, so this uses Django's own history view (the
    admin's log), not simple-history's, which answered 500 here."""

    organisation_path = "memberships__organisation"
    ordering = ("email",)
    list_display = ("email", "full_name", "job_title", "is_staff", "is_active")
    search_fields = ("email", "full_name", "job_title")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "job_title")}),
        ("Status", {"fields": ("is_active", "is_staff", "is_superuser", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ("last_login",)
    filter_horizontal = ()
    list_filter = ("is_staff", "is_active")

    def save_model(self, request, obj, form, change) -> None:
        """A new account gets its sign-in address as every other path makes one (decision 96);
        an address typed here is kept in lower case, as every other path keeps it, since
        allauth matches its own rows to ``User.email`` exactly. The admin's view runs in one
        transaction, so the account and its address are saved together or not at all."""
        if "email" in form.changed_data:
            obj.email = obj.email.strip().lower()
        super().save_model(request, obj, form, change)
        if not change:
            sign_in_address_add(user=obj)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyForOrganisationAdmins, OrganisationScopedAdmin):
    list_display = ("user", "organisation", "role")
    list_filter = ("role", "organisation")
    list_select_related = ("user", "organisation")


@admin.register(Category)
class CategoryAdmin(OrganisationScopedAdmin):
    list_display = ("name", "organisation", "position")
    list_filter = ("organisation",)


@admin.register(Objective)
class ObjectiveAdmin(OrganisationScopedAdmin):
    list_display = ("code", "name", "organisation")
    list_filter = ("organisation",)


class RegisterAdminForm(forms.ModelForm):
    """The address rule of the settings pages (``registers.services.register_slugs``: not
    another register's address, current or old; not "new") as the slug field's error."""

    class Meta:
        model = Register
        fields = "__all__"  # noqa: DJ007 - the admin chooses the fields it shows

    def clean(self):
        cleaned = super().clean()
        slug = cleaned.get("slug")
        organisation = cleaned.get("organisation") or getattr(self.instance, "organisation", None)
        for name in ("parent", "scheme"):  # as register_create refuses them
            chosen = cleaned.get(name)
            if None not in (chosen, organisation) and chosen.organisation_id != organisation.pk:
                self.add_error(name, OTHER_ORGANISATIONS.format(name=name))
        if slug and organisation is not None and "slug" not in self.errors:
            try:
                cleaned["slug"] = register_slug_clean(
                    organisation=organisation,
                    slug=slug,
                    register=self.instance if self.instance.pk else None,
                )
            except ValidationError as exc:
                self.add_error("slug", exc.message_dict["slug"])
        return cleaned


@admin.register(Register)
class RegisterAdmin(OrganisationScopedAdmin):
    """Through the services, as the settings pages: a new register by ``register_create`` (the
    address rule, its coordinators' grant, a history reason), a changed address by
    ``register_slug_change`` (the old one keeps redirecting). A register stays in its
    organisation (its risks, grants and old addresses are that organisation's)."""

    form = RegisterAdminForm
    list_display = ("name", "slug", "organisation", "level", "parent")
    list_filter = ("organisation", "level")
    list_select_related = ("organisation", "parent")

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "organisation") if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        if change:
            register_slug_change(register=obj, slug=obj.slug)
            super().save_model(request, obj, form, change)
            return
        created = register_create(
            organisation=obj.organisation,
            slug=obj.slug,
            name=obj.name,
            level=obj.level,
            parent=obj.parent,
            review_months=obj.review_months,
            scheme=obj.scheme,
            description=obj.description,
            by=request.user,
            reason=ADDED_IN_ADMIN_REASON,
        )
        obj.pk, obj.created_at, obj._state.adding = created.pk, created.created_at, False
        if obj.archived_at is not None or obj.sign_off_required:
            # What register_create does not take, in a second history row.
            super().save_model(request, obj, form, change)


class ControlInline(admin.TabularInline):
    model = Control
    extra = 0
    fields = ("description", "owner", "effectiveness", "assurance", "position")


class ArchivedRegisterReadOnly:
    """Mixed in before ``OrganisationScopedAdmin``: a row on an archived register is read-only
    here as on the pages (registers.services.register_archive), and no archived register is
    offered for a new row. ``register_path`` leads from the row to its register."""

    register_path = "register"

    def _archived(self, obj) -> bool:
        register = obj
        for part in self.register_path.split("__"):
            register = getattr(register, part)
        return register.archived_at is not None

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and self._archived(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and self._archived(obj):
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        in_use = {
            "register": {"archived_at__isnull": True},
            "risk": {"register__archived_at__isnull": True},
        }.get(db_field.name)
        if field is not None and in_use and db_field.name == self.register_path.split("__")[0]:
            field.queryset = field.queryset.filter(**in_use)
        return field


class ActionInline(admin.TabularInline):
    model = Action
    extra = 0
    fields = ("description", "owner", "due_date", "status", "priority", "difficulty")


class RiskAdminForm(forms.ModelForm):
    """The ref rule of the pages and the import (``registers.refs``) holds here too; a risk
    saved before the rule keeps the ref it has."""

    class Meta:
        model = Risk
        fields = "__all__"  # noqa: DJ007 - the admin chooses the fields it shows

    def clean_ref(self) -> str:
        ref = self.cleaned_data["ref"]
        if self.instance.pk is not None and ref == self.instance.ref:
            return ref
        return ref_clean(ref)


@admin.register(Risk)
class RiskAdmin(ArchivedRegisterReadOnly, OrganisationScopedAdmin):
    form = RiskAdminForm
    list_display = (
        "ref",
        "title",
        "organisation",
        "register",
        "current_score",
        "current_band",
        "status",
    )
    list_filter = ("organisation", "status", "marking")
    search_fields = ("ref", "title", "description")
    list_select_related = ("organisation", "register")
    readonly_fields = ("inherent_score", "current_score", "current_band", "target_score", "version")
    raw_id_fields = ()


@admin.register(Control)
class ControlAdmin(ArchivedRegisterReadOnly, OrganisationScopedAdmin):
    register_path = "risk__register"
    list_display = ("__str__", "risk", "effectiveness")
    list_select_related = ("risk",)


@admin.register(Action)
class ActionAdmin(ArchivedRegisterReadOnly, OrganisationScopedAdmin):
    register_path = "risk__register"
    list_display = ("__str__", "risk", "owner", "due_date", "status")
    list_select_related = ("risk", "owner")


@admin.register(Review)
class ReviewAdmin(ArchivedRegisterReadOnly, OrganisationScopedAdmin):
    register_path = "risk__register"
    list_display = ("risk", "reviewed_on", "reviewed_by", "rescored")
    list_select_related = ("risk", "reviewed_by")


@admin.register(RiskLink)
class RiskLinkAdmin(OrganisationScopedAdmin):
    list_display = ("from_risk", "to_risk", "note")


@admin.register(Escalation)
class EscalationAdmin(OrganisationScopedAdmin):
    list_display = ("risk", "direction", "from_register", "to_register", "status", "requested_at")
    list_select_related = ("risk", "from_register", "to_register")


@admin.register(Scheme)
class SchemeAdmin(OrganisationScopedAdmin):
    list_display = ("name", "organisation", "is_default", "current_version")
    list_select_related = ("organisation", "current_version")


@admin.register(SchemeVersion)
class SchemeVersionAdmin(OrganisationScopedAdmin):
    """Versions are immutable: viewable, never changed (load a new one with load_scheme)."""

    organisation_path = "scheme__organisation"
    list_display = ("scheme", "number", "created_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AppetiteLevel)
class AppetiteLevelAdmin(OrganisationScopedAdmin):
    list_display = ("name", "organisation", "position", "min_score", "max_score")


@admin.register(AppetiteStatement)
class AppetiteStatementAdmin(OrganisationScopedAdmin):
    list_display = ("__str__", "organisation", "level", "tolerance", "warning")


@admin.register(RegisterUserObjectPermission)
class RegisterUserPermissionAdmin(ReadOnlyForOrganisationAdmins, OrganisationScopedAdmin):
    organisation_path = "content_object__organisation"


@admin.register(RegisterGroupObjectPermission)
class RegisterGroupPermissionAdmin(ReadOnlyForOrganisationAdmins, OrganisationScopedAdmin):
    organisation_path = "content_object__organisation"


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
