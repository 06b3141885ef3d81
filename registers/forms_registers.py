"""The form of the registers settings pages: add a register or change one. It checks what an
admin typed; ``registers.services.registers_admin`` decides and writes, and its refusals are
shown beside the field they name."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from riskreg.forms import GovukForm, sentence

from .models import Organisation, Register, RegisterLevel, User
from .models.registers import SIGN_OFF_REQUIRED_HELP
from .permissions import RISK_OWNER_ROLES, sign_off_approvers
from .selectors import register_tree
from .selectors.register_list import descendant_ids
from .services import pack_coverage
from .services import register_archive as archive
from .services import registers_admin as services

TOP_LEVEL = ""
PARENT_UNKNOWN = "Choose one of the listed registers, or none to make it a top-level register"
LEVEL_REQUIRED = "Choose the register's level"
APPROVER_UNKNOWN = "Choose named approvers from the members listed"
APPROVERS_HINT = (
    "Others who may sign off updates: members who can own risks. Admins and the register's "
    "coordinators sign off already, so they are not listed."
)
REVIEW_MONTHS_INVALID = (
    services.REGISTER_REVIEW_MONTHS_RANGE[:1].upper() + (services.REGISTER_REVIEW_MONTHS_RANGE[1:])
)


class RegisterForm(GovukForm):
    """Add a register (``register`` None) or change one."""

    name = forms.CharField(
        label="Name",
        max_length=services.NAME_MAX_LENGTH,
        error_messages={"required": "Enter the register's name"},
    )
    slug = forms.CharField(
        label="Address",
        required=False,
        max_length=services.SLUG_MAX_LENGTH,
        help_text=(
            "The last part of the register's web address: lower-case letters, numbers and "
            "hyphens. Leave it blank to make it from the name."
        ),
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false"}),
    )
    level = forms.ChoiceField(
        label="Level",
        choices=RegisterLevel.choices,
        error_messages={"required": LEVEL_REQUIRED, "invalid_choice": LEVEL_REQUIRED},
    )
    parent = forms.ChoiceField(
        label="Sits under",
        required=False,
        help_text="Risks escalate from a register to the one it sits under.",
        error_messages={"invalid_choice": PARENT_UNKNOWN},
    )
    review_months = forms.IntegerField(
        label="Review period in months (optional)",
        required=False,
        min_value=1,
        max_value=services.REVIEW_MONTHS_MAX,
        help_text=(
            "How often every risk here is reviewed. Leave it blank for the period of each "
            "risk's rating band."
        ),
        error_messages={
            "invalid": REVIEW_MONTHS_INVALID,
            "min_value": REVIEW_MONTHS_INVALID,
            "max_value": REVIEW_MONTHS_INVALID,
        },
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
    )

    # Sign-off (issue 17), offered when a register is changed (a new one starts without it).
    sign_off_required = forms.BooleanField(
        label="Reviews need sign-off",
        required=False,
        help_text=SIGN_OFF_REQUIRED_HELP,
    )
    sign_off_approvers = forms.ModelMultipleChoiceField(
        label="Named approvers (optional)",
        required=False,
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=APPROVERS_HINT,
        error_messages={
            "invalid_choice": APPROVER_UNKNOWN,
            "invalid_pk_value": APPROVER_UNKNOWN,
        },
    )

    def __init__(
        self,
        *args,
        organisation: Organisation,
        registers: list[Register],
        register: Register | None = None,
        **kw,
    ):
        super().__init__(*args, **kw)
        self.organisation, self.register = organisation, register
        if register is None:
            del self.fields["sign_off_required"], self.fields["sign_off_approvers"]
        else:
            approvers = self.fields["sign_off_approvers"]
            named = set(register.sign_off_approvers.values_list("pk", flat=True))
            # Those who sign off by their role (admins, coordinators who edit the register) are
            # not offered, unless named already: unticking them would be a change unseen.
            by_role = {user.pk for user in sign_off_approvers(register)} - named
            approvers.queryset = (
                User.objects.filter(
                    memberships__organisation=organisation,
                    memberships__role__in=RISK_OWNER_ROLES,
                    is_active=True,
                )
                .exclude(pk__in=by_role)
                .order_by("full_name", "email")
            )
            approvers.label_from_instance = lambda user: user.display_name
        # Neither the register itself nor one below it can be its parent: no cycles.
        below = set(descendant_ids(registers, register.pk)) if register is not None else set()
        # A register in use is offered no archived parent (one that is archived may keep its).
        if register is None or register.archived_at is None:
            below |= {
                r.pk
                for r in registers
                if r.archived_at is not None and r.pk != getattr(register, "parent_id", None)
            }
        self.parents = {r.pk: r for r in registers if r.pk not in below}
        self.fields["parent"].choices = [(TOP_LEVEL, "None: a top-level register")] + [
            (r.pk, "\u2003" * depth + r.name)
            for r, depth in register_tree(registers)
            if r.pk not in below
        ]
        if register is not None:
            self.fields["slug"].required = True
            self.fields["slug"].error_messages["required"] = "Enter the register's address"
            self.fields["slug"].help_text = (
                "The last part of the register's web address: lower-case letters, numbers and "
                "hyphens. Links to the old address keep working."
            )
            if not self.is_bound:
                self.initial.update(
                    name=register.name,
                    slug=register.slug,
                    level=register.level,
                    parent=register.parent_id or TOP_LEVEL,
                    review_months=register.review_months,
                    sign_off_required=register.sign_off_required,
                    sign_off_approvers=list(named),
                )
        elif not self.is_bound:
            self.initial["level"] = RegisterLevel.DIRECTORATE

    def clean_parent(self) -> Register | None:
        value = self.cleaned_data.get("parent")
        if value in (None, TOP_LEVEL):
            return None
        return self.parents[int(value)]

    def save(self, *, by) -> Register | None:
        """The register added or changed, or None with the problems shown on the form."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        fields = {
            "name": data["name"],
            "slug": data["slug"],
            "level": data["level"],
            "parent": data["parent"],
            "review_months": data["review_months"],
            "by": by,
        }
        try:
            if self.register is None:
                return services.register_add(organisation=self.organisation, **fields)
            return services.register_change(
                register=self.register,
                sign_off_required=data["sign_off_required"],
                sign_off_approvers=data["sign_off_approvers"],
                **fields,
            )
        except ValidationError as exc:
            self.add_service_errors(exc)
            return None


class ArchiveForm(GovukForm):
    """Why a register is archived, or brought back (``registers.services.register_archive``)."""

    reason = forms.CharField(
        label="Why",
        max_length=archive.REASON_MAX,
        help_text="Kept in the register's history with your name and the date.",
        error_messages={
            "required": sentence(archive.ARCHIVE_REASON_REQUIRED),
            "max_length": sentence(archive.REASON_TOO_LONG),
        },
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, register: Register, **kw):
        super().__init__(*args, **kw)
        self.register = register
        if register.archived_at is not None:
            self.fields["reason"].error_messages["required"] = sentence(
                archive.UNARCHIVE_REASON_REQUIRED
            )

    def save(self, *, by) -> Register | None:
        """The register archived (or brought back), or None with the refusal shown."""
        if not self.is_valid():
            return None
        change = (
            archive.register_unarchive
            if self.register.archived_at is not None
            else archive.register_archive
        )
        try:
            return change(register=self.register, reason=self.cleaned_data["reason"], by=by)
        except ValidationError as exc:
            self.add_service_errors(exc)
            return None


class PackRegistersForm(GovukForm):
    """Which registers the organisation's packs cover by default
    (``registers.services.pack_coverage``)."""

    registers = forms.ModelMultipleChoiceField(
        label="Registers the packs cover",
        help_text=(
            "Scheduled packs cover the registers ticked, and a coordinator requesting a pack "
            "starts from them. An archived register is not offered: packs as at a day before "
            "it was archived still cover it."
        ),
        queryset=Register.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": sentence(pack_coverage.PACK_REGISTERS_REQUIRED),
            "invalid_choice": sentence(pack_coverage.PACK_REGISTERS_UNKNOWN),
            "invalid_pk_value": sentence(pack_coverage.PACK_REGISTERS_UNKNOWN),
        },
    )

    def __init__(self, *args, organisation: Organisation, chosen: list[Register], **kw):
        super().__init__(*args, **kw)
        self.organisation = organisation
        in_use = Register.objects.filter(organisation=organisation, archived_at__isnull=True)
        self.fields["registers"].queryset = in_use.order_by("parent_id", "name")
        self.fields["registers"].label_from_instance = lambda register: register.name
        if not self.is_bound:
            self.initial["registers"] = [register.pk for register in chosen]

    def save(self, *, by) -> list[str] | None:
        """The names of the registers now covered, or None with the refusal shown."""
        if not self.is_valid():
            return None
        try:
            return pack_coverage.organisation_pack_registers_set(
                organisation=self.organisation, registers=self.cleaned_data["registers"], by=by
            )
        except ValidationError as exc:
            self.add_service_errors(exc)
            return None
