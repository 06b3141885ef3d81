"""Risks in the admin, through the risk services as on the risk pages (decision 117); their
controls, actions and reviews read here; links between risks added and removed as on the risk
page (decision 118). A risk is never deleted.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from registers.forms_members import add_service_errors
from registers.models import Action, Control, Marking, Review, Risk, RiskLink
from registers.refs import ref_clean
from registers.services.links import link_add, link_remove
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

from .read_only import ArchivedRegisterReadOnly, ReadOnlyTreatment, risk_page_link
from .saving import (
    CHANGED_IN_ADMIN_REASON,
    DeletedThroughService,
    NotDeletedHere,
    RefusalShownForm,
    RefusedAtSave,
    ShownAgainIfRefused,
)
from .scoping import BY_ORGANISATION, OrganisationScopedAdmin

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


class RiskAdminForm(RefusalShownForm):
    """The ref rule of the pages and the import (``registers.refs``) holds here too; a risk
    saved before the rule keeps the ref it has. ``loaded_version`` is the version the page
    was opened at: a form opened before someone else's save is refused, never written over it.
    Positions are asked of the scheme engine before anything is written."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Risk
        fields = "__all__"  # noqa: DJ007 - the admin chooses the fields it shows

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
        cleaned = super().clean()  # a refusal at save is shown by ``RefusalShownForm``
        if self.refused_at_save is not None or self.errors:
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
