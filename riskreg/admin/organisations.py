"""An organisation's profile, categories and objectives in the admin, through the
services of the settings pages (decision 118); categories and objectives are never deleted.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from registers.models import Category, Objective, Organisation
from registers.services import categories
from registers.services.organisations import organisation_create
from registers.services.profile import PROFILE_FIELDS, organisation_profile_set

from .read_only import DeletedWithItsRows
from .saving import NotDeletedHere, RefusalShownForm, RefusedAtSave, ShownAgainIfRefused
from .scoping import BY_ORGANISATION, OrganisationScopedAdmin

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
class OrganisationAdmin(DeletedWithItsRows, ShownAgainIfRefused, OrganisationScopedAdmin):
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
