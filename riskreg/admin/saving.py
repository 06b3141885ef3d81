"""Writing through the services, never the model's own ``save()`` or ``delete()``.

A service may refuse under its lock after the admin's check had passed (``RefusedAtSave``): the
form is shown again with the refusal beside its field (``ShownAgainIfRefused``,
``RefusalShownForm``), or a delete's refusal is the admin's error message
(``DeletedThroughService``). What the product never deletes has no delete here
(``NotDeletedHere``). The history reasons of what the admin adds, changes or removes.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from registers.forms_members import add_service_errors

# The history reasons of what is added, changed or removed here.
ADDED_IN_ADMIN_REASON = "added in the admin"
CHANGED_IN_ADMIN_REASON = "changed in the admin"
REMOVED_IN_ADMIN_REASON = "removed in the admin"


# Where ShownAgainIfRefused keeps, for the form it shows again, what the service refused.
REFUSED_AT_SAVE = "_register_refused_at_save"


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

    def not_deleted(self, obj) -> str:  # pragma: no cover - every admin mixing it in has its own
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
