"""Registers in the admin, through the services of the settings pages (decisions 101,
107, 108), and the escalations between registers, read here and decided on the receiving
register's page.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from registers.forms_members import add_service_errors
from registers.models import (
    Escalation,
    Register,
    RegisterGroupObjectPermission,
    RegisterUserObjectPermission,
)
from registers.services import registers_admin
from registers.services.register_delete import register_delete

from .read_only import ChangedOnItsPage, risk_page_link
from .saving import (
    ADDED_IN_ADMIN_REASON,
    DeletedThroughService,
    RefusalShownForm,
    RefusedAtSave,
    ShownAgainIfRefused,
)
from .scoping import BY_ORGANISATION, OrganisationScopedAdmin


class RegisterAdminForm(RefusalShownForm):
    """The settings pages' rules (``registers.services.registers_admin``: the name, the address
    rule of ``register_slugs``, a parent that is neither the register nor one below it nor
    archived, the scheme and named approvers of its organisation), asked of the service itself
    and shown beside the field each names, so the admin and the settings pages cannot differ."""

    class Meta:
        model = Register
        fields = "__all__"  # noqa: DJ007 - the admin chooses the fields it shows

    def clean(self):
        cleaned = super().clean()
        if self.refused_at_save is not None:
            # The service's answer under its lock (another admin's change came in between), shown
            # by ``RefusalShownForm`` and not asked again (a parent deleted meanwhile is no longer
            # a choice either).
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


# Rows that are a register's own, deleted with it by register_delete (decision 108).
REGISTER_OWN_ROWS = (RegisterUserObjectPermission, RegisterGroupObjectPermission)


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
