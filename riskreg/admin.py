"""Django admin for every model, scoped by organisation.

A superuser sees everything. Anyone else sees only the organisations where they are an admin
member, and only those organisations' rows; foreign-key choices are narrowed the same way, so an
organisation admin can neither see nor link to another organisation's data. Registered here, in the
project package, so the apps keep their one-way dependencies.

Accounts are not an organisation's to manage (issue 11): a person may be a member of several
organisations, so an organisation admin who could set the password or e-mail of a member could
take over the account of another organisation's admin, or a superuser's. Only superusers see the
user admin. Memberships (role, grants, clearance) are changed on the members pages, through the
services that keep the last-admin rule, the register grants and the security log; everyone reads
them here.

Nothing is written here with the model's own ``save()`` or ``delete()`` (decisions 101, 117,
118): a model is added, changed and deleted through the service its page uses (registers, risks,
risk links, appetite statements, categories, objectives, the organisation's profile), or read
here, by superusers too, with a link to the page that changes it (controls, actions, reviews,
escalations, schemes and their versions, appetite levels, memberships, register grants). Risks,
categories and objectives are never deleted.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from appetite.models import AppetiteLevel, AppetiteStatement
from appetite.services import (
    StatementConflict,
    appetite_statement_remove,
    appetite_statement_set,
)
from registers.forms_members import add_service_errors
from registers.models import (
    Action,
    Category,
    Control,
    Escalation,
    Marking,
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
from registers.services import categories, registers_admin
from registers.services.accounts import (
    sign_in_address_add,
    sign_in_address_change,
    sign_in_address_clean,
)
from registers.services.links import link_add, link_remove
from registers.services.organisations import organisation_create
from registers.services.profile import PROFILE_FIELDS, organisation_profile_set
from registers.services.register_delete import register_delete
from registers.services.risks import (
    POSITIONS,
    RISK_EDITABLE_FIELDS,
    Position,
    RiskConflict,
    apply_ratings,
    risk_create,
    risk_update,
    scheme_version_for_register,
)
from scoring.models import Scheme, SchemeVersion

# The history reasons of what is added, changed or removed here.
ADDED_IN_ADMIN_REASON = "added in the admin"
CHANGED_IN_ADMIN_REASON = "changed in the admin"
REMOVED_IN_ADMIN_REASON = "removed in the admin"


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


# Choices of an organisation filter: only organisations of the rows the admin may see (a
# plain filter listed every organisation's name to an organisation admin).
BY_ORGANISATION = ("organisation", admin.RelatedOnlyFieldListFilter)


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


def _sign_in_address_field(form) -> str:
    """The address field as the sign-in address rule has it (lowered; not another account's),
    the rule's refusal as the field's error rather than a 500 at save."""
    instance = form.instance if form.instance.pk is not None else None
    try:
        return sign_in_address_clean(email=form.cleaned_data["email"], user=instance)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict["email"]) from exc


class AccountChangeForm(UserChangeForm):
    def clean_email(self) -> str:
        return _sign_in_address_field(self)


class AccountAddForm(AdminUserCreationForm):
    def clean_email(self) -> str:
        return _sign_in_address_field(self)


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
    form = AccountChangeForm
    add_form = AccountAddForm

    def save_model(self, request, obj, form, change) -> None:
        """A new account gets its sign-in address as every other path makes one (decision 96);
        a changed one replaces the account's allauth addresses (``sign_in_address_change``,
        decision 100), so the old address no longer signs in or gets reset links. An address
        typed here is kept in lower case (the forms' ``clean_email``), as every other path keeps
        it, since allauth matches its own rows to ``User.email`` exactly. The admin's view runs
        in one transaction, so the account and its addresses are saved together or not at all."""
        new_address = change and "email" in form.changed_data
        email = obj.email
        if new_address:
            obj.email = form.initial["email"]  # the service changes it, with its rows
        super().save_model(request, obj, form, change)
        if new_address:
            sign_in_address_change(user=obj, email=email, by=request.user)
        elif not change:
            sign_in_address_add(user=obj)


class RegisterAdminForm(forms.ModelForm):
    """The settings pages' rules (``registers.services.registers_admin``: the name, the address
    rule of ``register_slugs``, a parent that is neither the register nor one below it nor
    archived, the scheme and named approvers of its organisation), asked of the service itself
    and shown beside the field each names, so the admin and the settings pages cannot differ."""

    class Meta:
        model = Register
        fields = "__all__"  # noqa: DJ007 - the admin chooses the fields it shows

    # What the service refused when it wrote, after this form's check had passed (another
    # admin's change came in between): set by ``RegisterAdmin`` on the form it shows again.
    refused_at_save: ValidationError | None = None

    def clean(self):
        cleaned = super().clean()
        if self.refused_at_save is not None:
            # The service's answer under its lock, not asked again, and in place of what a field
            # says of the same value (a parent deleted meanwhile is no longer a choice either).
            for field in getattr(self.refused_at_save, "error_dict", {}):
                self.errors.pop(field, None)
            add_service_errors(self, self.refused_at_save)
            return cleaned
        if self.errors:
            return cleaned  # the service is asked only about values the fields accepted
        register = self.instance if self.instance.pk else None
        fields = {
            "name": cleaned.get("name"),
            "slug": cleaned.get("slug"),
            "level": cleaned.get("level"),
            "parent": cleaned.get("parent"),
            "review_months": cleaned.get("review_months"),
            "scheme": cleaned.get("scheme"),
        }
        try:
            if register is None:
                registers_admin.register_add_check(
                    organisation=cleaned.get("organisation"), **fields
                )
            else:
                registers_admin.register_change_check(
                    register=Register.objects.get(pk=register.pk),  # as stored, not as typed
                    sign_off_approvers=cleaned.get("sign_off_approvers"),
                    **fields,
                )
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned


# Fields the settings pages change only through a service of their own, with its rules and a
# reason in the history: read-only on the admin's change page (decision 101).
REGISTER_SERVICE_ONLY_FIELDS = ("archived_at",)
# A new register is in use and needs no sign-off, as on the settings page's add form.
REGISTER_NOT_ON_ADD = ("archived_at", "sign_off_required", "sign_off_approvers")
# Where ShownAgainIfRefused keeps, for the form it shows again, what the service refused.
REFUSED_AT_SAVE = "_register_refused_at_save"


# Rows that are a register's own, deleted with it by register_delete (decision 108).
REGISTER_OWN_ROWS = (RegisterUserObjectPermission, RegisterGroupObjectPermission)


class RefusedAtSave(Exception):
    """The service refused when it wrote (a save or a delete), after the admin's check (the
    form's, or Django's look for protected rows on the delete page) had passed."""

    def __init__(self, refusal: ValidationError):
        super().__init__(refusal)
        self.refusal = refusal


class ShownAgainIfRefused:
    """Mixed in before ``OrganisationScopedAdmin`` of an admin whose ``save_model`` writes through
    a service that may refuse under its lock after the form's check passed (``RefusedAtSave``);
    its form shows ``refused_at_save`` as the check's refusals are shown."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Two admins' forms both pass the check; the service refuses the second under its
        lock when it writes (a register's tree, decision 107; a risk's version, decision 117).
        The refusal leaves Django's view, whose transaction is rolled back with all the save had
        written, and the view runs once more with the refusal on its form: shown again, the
        refusal beside its field, as the check's refusals are (Django's own re-display of an
        invalid form, its context and status)."""
        return self._shown_again_if_refused(
            super().changeform_view, request, object_id, form_url, extra_context
        )

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history's revert page posts the same form through save_model; no transaction
        # of its own, but the service's write is one, rolled back by the refusal.
        return self._shown_again_if_refused(
            super().history_form_view, request, object_id, version_id, extra_context
        )

    def _shown_again_if_refused(self, view, request, *args):
        try:
            return view(request, *args)
        except RefusedAtSave as refused:
            setattr(request, REFUSED_AT_SAVE, refused.refusal)
            return view(request, *args)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, REFUSED_AT_SAVE, None)
        if refusal is None:
            return form
        return type(form.__name__, (form,), {"refused_at_save": refusal})


class DeletedThroughService:
    """Mixed in before ``OrganisationScopedAdmin`` of an admin whose ``delete_model`` deletes
    through a service (registers, risk links, appetite statements), which may refuse under its
    lock after Django's look for protected rows had passed (``RefusedAtSave``). The refusal is
    the admin's error message, nothing of the delete kept (its log entry neither), and the page
    it came from shown again; "delete selected" deletes each row through the same
    ``delete_model``, in one transaction."""

    actions = ["delete_selected"]  # this class's own, through delete_model

    def delete_queryset(self, request, queryset):
        for obj in queryset.order_by("pk"):
            self.delete_model(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        # Django's view runs the delete in a transaction of its own, rolled back by the refusal.
        try:
            return super().delete_view(request, object_id, extra_context)
        except RefusedAtSave as refused:
            return self._refused(request, refused)

    @admin.action(permissions=["delete"], description=django_delete_selected.short_description)
    def delete_selected(self, request, queryset):
        """Django's own action, in one transaction (its log entries are written before the
        deletes, and Django's changelist gives the action none)."""
        try:
            with transaction.atomic():
                return django_delete_selected(self, request, queryset)
        except RefusedAtSave as refused:
            return self._refused(request, refused)

    def _refused(self, request, refused: RefusedAtSave):
        self.message_user(request, " ".join(refused.refusal.messages), messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())


class NotDeletedHere:
    """Mixed in before ``OrganisationScopedAdmin`` of a model the product never deletes (a risk
    is closed, a category or objective retired or merged, each with its history kept): no delete
    button or action, and the delete page's address answers with ``not_deleted(obj)`` as the
    admin's error message on the row's own page, not a bare 403."""

    def not_deleted(self, obj) -> str:  # pragma: no cover - every admin below has its own
        raise NotImplementedError

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        self.message_user(request, self.not_deleted(obj), messages.ERROR)
        opts = self.opts
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        )


class ChangedOnItsPage:
    """Mixed in before ``OrganisationScopedAdmin``: rows read here by everyone, superusers too,
    and never added, changed or deleted here; ``product_page`` links to the page whose service
    does it (``page_url(obj)``, its words ``page_words``), with the rules, the history reason and
    the notices the admin's plain save skipped."""

    readonly_fields = ("product_page",)
    page_words = ""

    def page_url(self, obj) -> str:  # pragma: no cover - every admin below has its own
        raise NotImplementedError

    @admin.display(description="Changed on")
    def product_page(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "-"
        return format_html('<a href="{}">{}</a>', self.page_url(obj), self.page_words)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# Memberships and register grants are changed on the members pages, superusers' too (decision
# 118): their services keep the last admin, the role groups and the grants in step
# (``membership_sync``), and keep a grant to a member of the register's own organisation. A
# superuser's plain save skipped all three. New members come from the pages or add_member.
@admin.register(Membership)
class MembershipAdmin(ChangedOnItsPage, OrganisationScopedAdmin):
    list_display = ("user", "organisation", "role")
    list_filter = ("role", BY_ORGANISATION)
    list_select_related = ("user", "organisation")
    page_words = "the organisation's members"

    def page_url(self, obj: Membership) -> str:
        return reverse("members", args=[obj.organisation.slug])


class RefusalShownForm(forms.ModelForm):
    """The form of an admin whose ``save_model`` writes through a service (``ShownAgainIfRefused``):
    what the service refused is shown beside the field it names, in place of what the field
    itself says of the same value."""

    refused_at_save: ValidationError | None = None

    def clean(self):
        cleaned = super().clean()
        if self.refused_at_save is not None:
            for field in getattr(self.refused_at_save, "error_dict", {}):
                self.errors.pop(field, None)
            add_service_errors(self, self.refused_at_save)
        return cleaned


RESPONSE_OPTIONS_INVALID = (
    'Give the response options as a list of names in quotes, like ["Treat", "Tolerate"], each once'
)
RESPONSE_OPTIONS_CHANGED_REASON = "response options changed in the admin"
# Written by the settings pages' own services, read here: the address (every page, pack and
# API link names it), the second factor rule (accounts.services_second_factor, logged), who may
# accept a risk above tolerance (registers.services.acceptance), the registers packs cover
# (registers.services.pack_coverage) and the logo (registers.services.pack_logo).
ORGANISATION_READ_ONLY = (
    "settings_page",
    "slug",
    "second_factor_required",
    "acceptance_authority",
    "acceptance_approvers",
    "pack_registers",
    "pack_logo",
    "source",
)


class OrganisationAdminForm(RefusalShownForm):
    class Meta:
        model = Organisation
        fields = "__all__"  # noqa: DJ007 - the admin chooses the fields it shows

    def clean_response_options(self) -> list[str]:
        """No page changes them: the rule is here, where they are changed (a risk's response is
        checked against them, and the risk form lists them)."""
        options = self.cleaned_data["response_options"]
        if (
            not isinstance(options, list)
            or not options
            or not all(isinstance(option, str) and option.strip() for option in options)
        ):
            raise ValidationError(RESPONSE_OPTIONS_INVALID)
        options = [" ".join(option.split()) for option in options]
        if len(set(options)) != len(options):
            raise ValidationError(RESPONSE_OPTIONS_INVALID)
        return options


@admin.register(Organisation)
class OrganisationAdmin(ShownAgainIfRefused, OrganisationScopedAdmin):
    """The profile as the profile page changes it (decision 118): ``organisation_profile_set``
    (its checks of the calendar, timezone, marking and pack fields; one history row naming the
    fields). What other settings pages change is read here, with a link to them. A new
    organisation (superusers) is ``organisation_create``'s, as ``create_org``: with its default
    scheme, appetite levels and top register, without which no risk can be rated on it."""

    form = OrganisationAdminForm
    organisation_path = "id"
    list_display = ("name", "slug", "panel_name")
    search_fields = ("name", "slug")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "slug", *PROFILE_FIELDS[1:], "response_options"]
        return [
            *ORGANISATION_READ_ONLY[:2],
            *PROFILE_FIELDS,
            "response_options",
            *ORGANISATION_READ_ONLY[2:],
        ]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ORGANISATION_READ_ONLY

    @admin.display(description="Settings")
    def settings_page(self, obj: Organisation) -> str:
        url = reverse("settings_home", args=[obj.slug])
        return format_html('<a href="{}">{}</a>', url, f"{obj.display_name}'s settings")

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser  # new tenants come from create_org or a superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        profile = {name: data[name] for name in PROFILE_FIELDS}
        try:
            if change:
                stored = Organisation.objects.get(pk=obj.pk)
                organisation_profile_set(organisation=stored, by=request.user, **profile)
                if data["response_options"] != stored.response_options:
                    stored.response_options = data["response_options"]
                    stored._change_reason = RESPONSE_OPTIONS_CHANGED_REASON
                    stored._history_user = request.user
                    stored.save(update_fields=["response_options"])
                saved = stored
            else:
                saved = organisation_create(
                    slug=data["slug"], response_options=data["response_options"], **profile
                )
        except ValidationError as exc:
            raise RefusedAtSave(exc) from exc
        obj.pk, obj._state.adding = saved.pk, False
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # The lists of people and registers are read-only here: nothing of the form to save.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


CATEGORY_NOT_DELETED = (
    "{name} was not deleted: a category is retired, or merged into another, on "
    '<a href="{url}">the categories page</a>, so the risks, appetite and history that name it '
    "keep it."
)
OBJECTIVE_NOT_DELETED = (
    "{name} was not deleted: an objective is retired, or merged into another, on "
    '<a href="{url}">the objectives page</a>, so the risks and history that name it keep it.'
)


class CategoryOrObjectiveAdmin(NotDeletedHere, ShownAgainIfRefused, OrganisationScopedAdmin):
    """As the settings pages (decision 118): added by ``category_add`` / ``objective_add`` (at
    the end of the list, the name rules in any case, a history reason), renamed by
    ``category_rename`` / ``objective_rename``. Moving, retiring, bringing back and merging are
    the settings page's (``settings_page``); nothing is deleted."""

    form = RefusalShownForm
    names: tuple[str, ...] = ()
    settings_url_name = ""

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", *self.names, "description"]
        return [
            "settings_page",
            "organisation",
            *self.names,
            "description",
            "position",
            "retired_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("settings_page", "organisation", "description", "position", "retired_at")

    @admin.display(description="Settings page")
    def settings_page(self, obj) -> str:
        url = reverse(self.settings_url_name, args=[obj.organisation.slug])
        return format_html('<a href="{}">{}</a>', url, "move, retire, bring back or merge")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                stored = type(obj).objects.select_related("organisation").get(pk=obj.pk)
                saved = self.rename(stored, data, by=request.user)
            else:
                saved = self.add(data, by=request.user)
        except ValidationError as exc:
            raise RefusedAtSave(exc) from exc
        obj.pk, obj._state.adding = saved.pk, False
        obj.refresh_from_db()

    def not_deleted(self, obj) -> str:
        url = reverse(self.settings_url_name, args=[obj.organisation.slug])
        return format_html(self.not_deleted_words, name=obj.name, url=url)


@admin.register(Category)
class CategoryAdmin(CategoryOrObjectiveAdmin):
    list_display = ("name", "organisation", "position")
    list_filter = (BY_ORGANISATION,)
    names = ("name",)
    settings_url_name = "settings_categories"
    not_deleted_words = CATEGORY_NOT_DELETED

    def add(self, data, *, by) -> Category:
        return categories.category_add(
            organisation=data["organisation"],
            name=data["name"],
            description=data["description"],
            by=by,
        )

    def rename(self, stored: Category, data, *, by) -> Category:
        return categories.category_rename(category=stored, name=data["name"], by=by)


@admin.register(Objective)
class ObjectiveAdmin(CategoryOrObjectiveAdmin):
    list_display = ("code", "name", "organisation")
    list_filter = (BY_ORGANISATION,)
    names = ("code", "name")
    settings_url_name = "settings_objectives"
    not_deleted_words = OBJECTIVE_NOT_DELETED

    def add(self, data, *, by) -> Objective:
        return categories.objective_add(
            organisation=data["organisation"],
            code=data["code"],
            name=data["name"],
            description=data["description"],
            by=by,
        )

    def rename(self, stored: Objective, data, *, by) -> Objective:
        return categories.objective_rename(
            objective=stored, code=data["code"], name=data["name"], by=by
        )


ARCHIVING_HELP = (
    "{state} Archiving needs a reason and is refused while a register below is in use or an "
    "escalation is waiting: an admin of {organisation} does it on "
    '<a href="{url}">the register\'s archive page</a>.'
)


@admin.register(Register)
class RegisterAdmin(DeletedThroughService, ShownAgainIfRefused, OrganisationScopedAdmin):
    """Through the services, as the settings pages: a new register by ``register_add`` (its
    rules, the coordinators' grant, a history reason), a change by ``register_change`` (the
    same rules, the old address redirecting, one history row saying who changed what). Archiving
    is the settings page's (``register_archive``: a reason, its refusals); a register stays in
    its organisation (its risks, grants and old addresses are that organisation's). A delete
    (the delete page, "delete selected") is ``register_delete``: only a register with nothing
    in, under or escalated through it."""

    form = RegisterAdminForm
    list_display = ("name", "slug", "organisation", "level", "parent")
    list_filter = (BY_ORGANISATION, "level")
    list_select_related = ("organisation", "parent")

    def get_exclude(self, request, obj=None):
        exclude = tuple(super().get_exclude(request, obj) or ())
        return (*exclude, *REGISTER_NOT_ON_ADD) if obj is None else exclude

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        return (*readonly, "organisation", "archiving")

    def get_fields(self, request, obj=None):
        fields = [
            name
            for name in super().get_fields(request, obj)
            if name not in REGISTER_SERVICE_ONLY_FIELDS
        ]
        if obj is not None and "archiving" not in fields:
            fields.append("archiving")
        return fields

    @admin.display(description="Archived")
    def archiving(self, obj: Register) -> str:
        if obj.archived_at is None:
            state = "In use."
        else:
            state = f"Archived on {timezone.localtime(obj.archived_at):%d %B %Y at %H:%M}."
        url = reverse("settings_register_archive", args=[obj.organisation.slug, obj.slug])
        return format_html(
            ARCHIVING_HELP,
            state=state,
            organisation=obj.organisation.display_name,
            url=url,
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "slug": data["slug"],
            "level": data["level"],
            "parent": data["parent"],
            "review_months": data["review_months"],
            "scheme": data["scheme"],
            "by": request.user,
        }
        try:
            if change:
                saved = registers_admin.register_change(
                    register=obj,
                    description=data["description"],
                    sign_off_required=data["sign_off_required"],
                    sign_off_approvers=data["sign_off_approvers"],
                    **fields,
                )
            else:
                saved = registers_admin.register_add(
                    organisation=data["organisation"],
                    description=data["description"],
                    reason=ADDED_IN_ADMIN_REASON,
                    **fields,
                )
        except ValidationError as exc:
            raise RefusedAtSave(exc) from exc
        obj.pk, obj.created_at, obj._state.adding = saved.pk, saved.created_at, False
        obj.name, obj.slug = saved.name, saved.slug

    def save_related(self, request, form, formsets, change):
        # The named approvers were set by register_change (their rule, the history row): the
        # form's own save_m2m would set them again without either.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    # Deleting (decision 108): Django's delete page and "delete selected" first look for rows
    # that protect the register, unlocked; ``register_delete`` looks again under the tree's lock
    # and refuses what came in between (a register moved under it), where the delete failed at
    # commit on the foreign key (a 500). The refusal is the admin's error message, nothing of
    # the delete kept (its log entry neither), and the page it came from shown again.

    def get_deleted_objects(self, objs, request):
        # A register's grants go with it (guardian's rows, which organisation admins read here
        # but never change): Django counted them as rows the admin may not delete, so the
        # delete of any register made by register_create was refused (403) for an organisation
        # admin, whatever was in it.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        own = {str(model._meta.verbose_name) for model in REGISTER_OWN_ROWS}
        return deleted, counts, {p for p in perms_needed if str(p) not in own}, protected

    def delete_model(self, request, obj):
        try:
            register_delete(register=obj, by=request.user)
        except ValidationError as exc:
            raise RefusedAtSave(exc) from exc

    def delete_queryset(self, request, queryset):
        # One organisation's tree lock after another, in one order for everyone.
        for register in queryset.order_by("organisation_id", "pk"):
            self.delete_model(request, register)


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


# A risk is changed here as on its edit page (decision 117): its fields and positions through
# ``risk_update`` (the scheme engine rates the positions; the version goes up, so an edit opened
# before is merged or refused; one history row with this reason), a new one through
# ``risk_create``. What only the services set (scores, band, scheme version, version, status,
# the last review) is read-only, and so are the ref (the risk's address, which no page changes)
# and the register (a risk moves by escalation, with its decision).
RISK_CHANGED_IN_ADMIN = CHANGED_IN_ADMIN_REASON
RISK_ADDED_IN_ADMIN = "added in the admin"
RISK_POSITION_FIELDS = {name: (f"{name}_likelihood", f"{name}_impact") for name in POSITIONS}
# The admin's fields: the service's (``RISK_EDITABLE_FIELDS``, one list for the pages, the admin
# and ``risk_update``), with the lists and the positions where the admin has always shown them.
RISK_SHOWN_AFTER = {
    "category": ("objectives",),
    "manager": ("leads",),
    "emerging": tuple(field for pair in RISK_POSITION_FIELDS.values() for field in pair),
}
RISK_EDITABLE = tuple(
    shown for name in RISK_EDITABLE_FIELDS for shown in (name, *RISK_SHOWN_AFTER.get(name, ()))
)
RISK_READ_ONLY = (
    "risk_page",
    "ref",
    "register",
    "organisation",
    "status",
    "closed_reason",
    "closed_at",
    "inherent_score",
    "current_score",
    "current_band",
    "target_score",
    "scheme_version",
    "last_reviewed",
    "origin_register",
    "illustrative",
    "version",
)
RISK_STALE = (
    "{ref} was changed by someone else after you opened this page: nothing was saved. Open the "
    "risk again and make your change on what it says now."
)
RISK_MARKING_DEFAULT = "The organisation's marking of new risks"
RISK_NOT_DELETED = (
    "{ref} was not deleted: risks are never deleted, they are closed with a reason, and keep "
    'their history. Close it on <a href="{url}">its page</a>.'
)
RISK_SENT_FOR_SIGN_OFF = (
    "{ref}'s register needs sign-off: the new current rating waits for it, your other changes "
    "are saved."
)


class RiskAdminForm(forms.ModelForm):
    """The ref rule of the pages and the import (``registers.refs``) holds here too; a risk
    saved before the rule keeps the ref it has. ``loaded_version`` is the version the page
    was opened at: a form opened before someone else's save is refused, never written over it.
    Positions are asked of the scheme engine before anything is written."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Risk
        fields = "__all__"  # noqa: DJ007 - the admin chooses the fields it shows

    # What the service refused when it wrote, after this form's check had passed.
    refused_at_save: ValidationError | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # As stored: simple-history's revert page gives the form an old version's values.
            self.initial["loaded_version"] = (
                Risk.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            )
        elif "marking" in self.fields:
            # Not the model's default (OFFICIAL): left as it opens, a new risk takes its
            # organisation's marking of new risks, as on the add page (``risk_create``).
            self.fields["marking"] = forms.ChoiceField(
                label=self.fields["marking"].label,
                choices=[("", RISK_MARKING_DEFAULT), *Marking.choices],
                required=False,
            )
            if "marking" not in (kwargs.get("initial") or {}):
                self.initial.pop("marking", None)  # the new instance's: the model's default

    def clean_ref(self) -> str:
        ref = self.cleaned_data["ref"]
        if self.instance.pk is not None and ref == self.instance.ref:
            return ref
        return ref_clean(ref)

    def positions(self) -> dict[str, Position]:
        """Each pair the form shows, as the services take it (None: not rated)."""
        shown = {}
        for name, pair in RISK_POSITION_FIELDS.items():
            if all(field in self.fields for field in pair):
                values = tuple(self.cleaned_data.get(field) for field in pair)
                shown[name] = None if values == (None, None) else values
        return shown

    def clean(self):
        cleaned = super().clean()
        if self.refused_at_save is not None:
            for field in getattr(self.refused_at_save, "error_dict", {}):
                self.errors.pop(field, None)
            add_service_errors(self, self.refused_at_save)
            return cleaned
        if self.errors:
            return cleaned
        if self.instance.pk is not None:
            stored = (
                Risk.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            )
            if cleaned.get("loaded_version") != stored:
                raise ValidationError(RISK_STALE.format(ref=self.instance.ref))
            register = self.instance.register
        else:
            register = cleaned.get("register")
        if register is not None:
            try:
                version = scheme_version_for_register(register)
                apply_ratings(Risk(), scheme_version=version, positions=self.positions())
            except ValidationError as exc:
                add_service_errors(self, exc)
        return cleaned


def risk_page_link(risk: Risk | None) -> str:
    if risk is None or risk.pk is None:
        return "-"
    url = reverse("risk", args=[risk.organisation.slug, risk.ref])
    return format_html('<a href="{}">{}</a>', url, risk.ref)


def _stored_position(risk: Risk, name: str) -> list | None:
    pair = [getattr(risk, field) for field in RISK_POSITION_FIELDS[name]]
    return None if pair == [None, None] else pair


@admin.register(Risk)
class RiskAdmin(
    NotDeletedHere, ShownAgainIfRefused, ArchivedRegisterReadOnly, OrganisationScopedAdmin
):
    """Through the risk services, as the risk pages (decision 117): a change by ``risk_update``,
    a new risk by ``risk_create``. Closing and reopening are the risk page's (with a reason); a
    risk is never deleted (decision 118)."""

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
    list_filter = (BY_ORGANISATION, "status", "marking")
    search_fields = ("ref", "title", "description")
    list_select_related = ("organisation", "register")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["register", "ref", *RISK_EDITABLE]
        return ["loaded_version", *RISK_READ_ONLY, *RISK_EDITABLE]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else RISK_READ_ONLY

    @admin.display(description="Risk page")
    def risk_page(self, obj: Risk) -> str:
        return risk_page_link(obj)

    def not_deleted(self, obj: Risk) -> str:
        url = reverse("risk", args=[obj.organisation.slug, obj.ref])
        return format_html(RISK_NOT_DELETED, ref=obj.ref, url=url)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                saved = self._change(request, obj, form)
            else:
                saved = risk_create(
                    register=data["register"],
                    ref=data["ref"],
                    title=data["title"],
                    positions=form.positions(),
                    objectives=data["objectives"],
                    leads=data["leads"],
                    reason=RISK_ADDED_IN_ADMIN,
                    **{name: data[name] for name in RISK_EDITABLE_FIELDS if name != "title"},
                )
        except RiskConflict as exc:
            raise RefusedAtSave(ValidationError(RISK_STALE.format(ref=obj.ref))) from exc
        except ValidationError as exc:
            raise RefusedAtSave(exc) from exc
        if saved is None:
            return
        obj.pk, obj._state.adding = saved.pk, False
        obj.refresh_from_db()
        if getattr(saved, "sign_off_submission", None) is not None:
            self.message_user(request, RISK_SENT_FOR_SIGN_OFF.format(ref=saved.ref), messages.INFO)

    def _change(self, request, obj: Risk, form) -> Risk | None:
        """What differs from the risk as stored, not from the form's initial values: on
        simple-history's revert page those are an old record's."""
        data = form.cleaned_data
        stored = Risk.objects.get(pk=obj.pk)
        fields = {
            name: data[name] for name in RISK_EDITABLE_FIELDS if data[name] != getattr(stored, name)
        }
        positions = {
            name: position
            for name, position in form.positions().items()
            if (list(position) if position else None) != _stored_position(stored, name)
        }
        m2m = {}
        for name in ("objectives", "leads"):
            wanted = {row.pk for row in data[name]}
            if wanted != set(getattr(stored, name).values_list("pk", flat=True)):
                m2m[name] = data[name]
        if not (fields or positions or m2m):
            return None  # nothing changed: no new version, no empty history row
        return risk_update(
            risk=obj,
            expected_version=data["loaded_version"],
            fields=fields,
            positions=positions or None,
            objectives=m2m.get("objectives"),
            leads=m2m.get("leads"),
            reason=RISK_CHANGED_IN_ADMIN,
            user=request.user,
        )

    def save_related(self, request, form, formsets, change):
        # Objectives and leads were set by the service (its checks, the history row): the
        # form's own save_m2m would set them again without either.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class ReadOnlyTreatment:
    """Mixed in before ``OrganisationScopedAdmin``: controls, actions and reviews are read here
    and changed on their risk's page (decision 117), whose services keep their versions (an
    edit opened before is merged, never overwritten), their history reasons and their notices.
    The admin's own save skipped all three."""

    readonly_fields = ("risk_page",)

    @admin.display(description="Risk page")
    def risk_page(self, obj) -> str:
        return risk_page_link(obj.risk)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Control)
class ControlAdmin(ReadOnlyTreatment, OrganisationScopedAdmin):
    list_display = ("__str__", "risk", "effectiveness")
    list_select_related = ("risk",)


@admin.register(Action)
class ActionAdmin(ReadOnlyTreatment, OrganisationScopedAdmin):
    list_display = ("__str__", "risk", "owner", "due_date", "status")
    list_select_related = ("risk", "owner")


@admin.register(Review)
class ReviewAdmin(ReadOnlyTreatment, OrganisationScopedAdmin):
    list_display = ("risk", "reviewed_on", "reviewed_by", "rescored")
    list_select_related = ("risk", "reviewed_by")


# A link between two risks is added and removed as on the risk page (decision 118):
# ``link_add`` (one organisation, not to itself, one link a pair either way round, no archived
# register, a line in both risks' history) and ``link_remove`` (the history line). Its note is
# not changed anywhere: remove the link and add it again.
@admin.register(RiskLink)
class RiskLinkAdmin(DeletedThroughService, ShownAgainIfRefused, OrganisationScopedAdmin):
    form = RefusalShownForm
    list_display = ("from_risk", "to_risk", "note")
    list_select_related = ("from_risk", "to_risk")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["from_risk", "to_risk", "note"]
        return ["risk_page", "from_risk", "to_risk", "note", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("risk_page", "created_at")

    @admin.display(description="Risk page")
    def risk_page(self, obj: RiskLink) -> str:
        return risk_page_link(obj.from_risk)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            saved = link_add(
                risk=data["from_risk"], other=data["to_risk"], note=data["note"], user=request.user
            )
        except ValidationError as exc:
            raise RefusedAtSave(_named(exc, {"other": "to_risk"})) from exc
        obj.pk, obj.organisation_id, obj._state.adding = saved.pk, saved.organisation_id, False

    def delete_model(self, request, obj):
        try:
            link_remove(link=obj, user=request.user)
        except ValidationError as exc:
            raise RefusedAtSave(exc) from exc


def _named(error: ValidationError, names: dict[str, str]) -> ValidationError:
    """A service's refusal with its fields named as the admin's form names them."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {names.get(field, field): messages for field, messages in error.message_dict.items()}
    )


# Escalations are decided on the receiving register's page (``escalation_accept``, ``_decline``,
# ``_withdraw``: the risk moved, re-rated, given its new owner, its status back to open, history
# and notices). The admin's save changed the status alone: a risk "escalated" for ever, or one
# "accepted" that never moved. Read here by everyone, superusers too (decision 118).
@admin.register(Escalation)
class EscalationAdmin(ChangedOnItsPage, OrganisationScopedAdmin):
    list_display = ("risk", "direction", "from_register", "to_register", "status", "requested_at")
    list_select_related = ("risk", "from_register", "to_register")
    readonly_fields = ("product_page", "risk_page")
    page_words = "the receiving register's escalations"

    def page_url(self, obj: Escalation) -> str:
        register = obj.to_register
        return reverse("register_escalations", args=[obj.organisation.slug, register.slug])

    @admin.display(description="Risk page")
    def risk_page(self, obj: Escalation) -> str:
        return risk_page_link(obj.risk)


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


class RegisterGrantAdmin(ChangedOnItsPage, OrganisationScopedAdmin):
    organisation_path = "content_object__organisation"
    page_words = "the organisation's members"

    def page_url(self, obj) -> str:
        return reverse("members", args=[obj.content_object.organisation.slug])


@admin.register(RegisterUserObjectPermission)
class RegisterUserPermissionAdmin(RegisterGrantAdmin):
    pass


@admin.register(RegisterGroupObjectPermission)
class RegisterGroupPermissionAdmin(RegisterGrantAdmin):
    pass


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
