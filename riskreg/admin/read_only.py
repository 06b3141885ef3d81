"""Rows read in the admin, by superusers too, with a link to the page that changes them.

Controls, actions and reviews are changed on their risk's page (``ReadOnlyTreatment``); the other
read-only rows link to the page whose service changes them (``ChangedOnItsPage``); both are
``NoWritesHere``. A row on an archived register is read-only (``ArchivedRegisterReadOnly``).
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from registers.models import Risk


class NoWritesHere:
    """Mixed in before the admin it refuses for: its rows are read here, by everyone who may see
    them, superusers too, and never added, changed or deleted here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ChangedOnItsPage(NoWritesHere):
    """Mixed in before ``OrganisationScopedAdmin``: rows read here by everyone, superusers too,
    and never added, changed or deleted here; ``product_page`` links to the page whose service
    does it (``page_url(obj)``, its words ``page_words``), with the rules, the history reason and
    the notices the admin's plain save skipped."""

    readonly_fields = ("product_page",)
    page_words = ""

    def page_url(self, obj) -> str:  # pragma: no cover - every admin mixing it in has its own
        raise NotImplementedError

    @admin.display(description="Changed on")
    def product_page(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "-"
        return format_html('<a href="{}">{}</a>', self.page_url(obj), self.page_words)


class DeletedWithItsRows:
    """Mixed in before the admin of an account or an organisation, which superusers alone
    delete: the rows that go with it (memberships, register grants, escalations, schemes,
    categories ...) are never deleted alone here (``ChangedOnItsPage``, ``NotDeletedHere``), but
    go with the account or organisation that holds them. Django asked each row's admin, so
    every such delete was refused (decision 118). Rows another keeps (``PROTECT``: a risk's
    owner, a register's risks) still stop it, and the delete page names them."""

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if request.user.is_superuser:
            perms_needed = set()
        return deleted, counts, perms_needed, protected


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


def risk_page_link(risk: Risk | None) -> str:
    if risk is None or risk.pk is None:
        return "-"
    url = reverse("risk", args=[risk.organisation.slug, risk.ref])
    return format_html('<a href="{}">{}</a>', url, risk.ref)


class ReadOnlyTreatment(NoWritesHere):
    """Mixed in before ``OrganisationScopedAdmin``: controls, actions and reviews are read here
    and changed on their risk's page (decision 117), whose services keep their versions (an
    edit opened before is merged, never overwritten), their history reasons and their notices.
    The admin's own save skipped all three."""

    readonly_fields = ("risk_page",)

    @admin.display(description="Risk page")
    def risk_page(self, obj) -> str:
        return risk_page_link(obj.risk)
