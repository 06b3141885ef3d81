"""Forms for membership management. Each form validates input, then hands the write to the
membership services (``registers.services.memberships``); a service's ValidationError lands on
the form as a field or summary error, so the page shows it as a GOV.UK error summary."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from . import permissions
from .models import Membership, Register, Role
from .selectors import register_tree
from .services.invitations import InvitationResult, invitation_send, open_invitations
from .services.memberships import (
    membership_clearance_check,
    membership_registers_check,
    membership_registers_set,
    membership_role_set,
    membership_set_sensitive_access,
)

# A coordinator limited to the registers granted to them is offered as a role of its own: an
# admin picks "coordinator for some registers" in one step, instead of a role plus a checkbox.
COORDINATOR_LIMITED = "coordinator-limited"

ROLE_CHOICES = [
    (Role.ADMIN.value, Role.ADMIN.label),
    (Role.COORDINATOR.value, "Risk coordinator for every register"),
    (COORDINATOR_LIMITED, "Risk coordinator for some registers"),
    (Role.OWNER.value, Role.OWNER.label),
    (Role.VIEWER.value, Role.VIEWER.label),
    (Role.PANEL.value, Role.PANEL.label),
]

ROLE_HINTS = {
    Role.ADMIN.value: "Everything in the organisation, including members and their roles.",
    Role.COORDINATOR.value: "Adds, edits, closes and escalates risks on every register.",
    COORDINATOR_LIMITED: (
        "Edits only the registers you choose next, such as a school or project register."
    ),
    Role.OWNER.value: "Edits and reviews the risks they own or manage, and updates their actions.",
    Role.VIEWER.value: "Reads registers and risks; changes nothing.",
    Role.PANEL.value: "Reads registers and downloads report packs; changes nothing.",
}


def role_choice(membership: Membership) -> str:
    """The form's role value for a membership (limited coordinators have their own)."""
    if membership.role == Role.COORDINATOR and membership.registers_limited:
        return COORDINATOR_LIMITED
    return membership.role


def role_and_limit(choice: str) -> tuple[str, bool]:
    if choice == COORDINATOR_LIMITED:
        return Role.COORDINATOR.value, True
    return choice, False


def role_choices_for(access: permissions.OrganisationAccess) -> list[tuple[str, str]]:
    """The role choices a member may invite people as (an admin all; a coordinator some)."""
    return [
        (value, label)
        for value, label in ROLE_CHOICES
        if access.can_invite_role(role_and_limit(value)[0])
    ]


def role_refused(access: permissions.OrganisationAccess, choice: str) -> bool:
    """A role that exists but that this member may not invite anyone as (the view answers 403;
    an unknown role is the form's error)."""
    known = {value for value, _ in ROLE_CHOICES}
    return choice in known and not access.can_invite_role(role_and_limit(choice)[0])


INVITED_AS_OTHER_ROLE = (
    "{email} has already been invited as {role}; only an organisation admin can change that "
    "invitation"
)


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: per field where it names one of the form's
    fields, otherwise as a summary (non-field) error."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def role_options(bound_field, choices=None) -> list[dict]:
    """The role radios for the template: id, value, label, hint, checked; the first radio takes
    the field's id so an error summary can link to it."""
    current = str(bound_field.value() or "")
    return [
        {
            "id": bound_field.auto_id if index == 0 else f"{bound_field.auto_id}-{index}",
            "value": value,
            "label": label,
            "hint": ROLE_HINTS[value],
            "checked": value == current,
        }
        for index, (value, label) in enumerate(choices or ROLE_CHOICES)
    ]


class MemberForm(forms.Form):
    """Errors as the members pages list them in the error summary (govuk/error_summary.html):
    the form's own first, linked to ``error_anchor``, then each field's, linked to the field's
    id (the first role radio carries it). Widgets are drawn by hand on these pages, so the
    GOV.UK bound field's classes are not needed."""

    error_anchor = ""

    @property
    def error_links(self) -> list[tuple[str, str]]:
        links = [(self.error_anchor, message) for message in self.non_field_errors()]
        for field in self:
            links += [(field.auto_id, message) for message in field.errors]
        return links


class RoleField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=ROLE_CHOICES,
            widget=forms.RadioSelect,
            error_messages={"required": "Choose a role"},
            **kwargs,
        )


class MemberAddForm(MemberForm):
    """Add a member by e-mail: they are sent an invitation to accept, whether or not they have
    an account (``registers.services.invitations``, decision 113). The role choices are those
    the member adding may invite people as."""

    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        error_messages={
            "required": "Enter their e-mail address",
            "invalid": "Enter an e-mail address in the right format, like name@example.org",
        },
    )
    role = RoleField(label="Role")
    error_anchor = "id_email"

    def __init__(self, *args, access: permissions.OrganisationAccess, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        self.organisation = access.organisation
        self.fields["role"].choices = role_choices_for(access)
        self.already_invited = False

    def role_options(self) -> list[dict]:
        return role_options(self["role"], self.fields["role"].choices)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        existing = self.organisation.memberships.filter(user__email__iexact=email).first()
        if existing is not None:
            raise ValidationError(
                f"{email} is already a member of {self.organisation.display_name} "
                f"({existing.get_role_display()}): change their role from the member list"
            )
        invited = open_invitations(self.organisation).filter(email=email).first()
        if invited is not None and not self.access.can_invite_role(invited.role):
            raise ValidationError(
                INVITED_AS_OTHER_ROLE.format(email=email, role=invited.get_role_display().lower())
            )
        self.already_invited = invited is not None
        return email

    def save(self) -> InvitationResult | None:
        """Invite them; None (with the service's errors on the form) if the service refused."""
        role, limited = role_and_limit(self.cleaned_data["role"])
        try:
            return invitation_send(
                organisation=self.organisation,
                email=self.cleaned_data["email"],
                role=role,
                registers_limited=limited,
                invited_by=self.access.user,
            )
        except ValidationError as error:
            add_service_errors(self, error)
            return None


class MembershipChangeForm(MemberForm):
    role = RoleField(label="Role")
    error_anchor = "id_role"

    def __init__(self, *args, membership: Membership, **kwargs):
        kwargs.setdefault("initial", {"role": role_choice(membership)})
        super().__init__(*args, **kwargs)
        self.membership = membership

    def role_options(self) -> list[dict]:
        return role_options(self["role"])

    def save(self) -> Membership | None:
        role, limited = role_and_limit(self.cleaned_data["role"])
        try:
            return membership_role_set(
                membership=self.membership, role=role, registers_limited=limited
            )
        except ValidationError as error:
            add_service_errors(self, error)
            return None


class RegisterGrantsForm(MemberForm):
    """The registers a limited coordinator edits (guardian grants on each register)."""

    registers = forms.ModelMultipleChoiceField(
        label="Registers they edit",
        queryset=Register.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={
            "invalid_choice": "Choose registers of this organisation",
            "invalid_pk_value": "Choose registers of this organisation",
        },
    )
    error_anchor = "registers-heading"

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.membership = membership
        organisation = membership.organisation
        tree = register_tree(
            Register.objects.filter(organisation=organisation).select_related("parent")
        )
        field = self.fields["registers"]
        field.queryset = Register.objects.filter(organisation=organisation)
        field.choices = [(register.id, register.name) for register, _ in tree]
        self.registers_by_id = {register.id: register for register, _ in tree}
        granted = permissions.registers_granted(user=membership.user, organisation=organisation)
        self.granted_ids = set(granted.values_list("id", flat=True))
        if not self.is_bound:
            self.initial["registers"] = sorted(self.granted_ids)

    def options(self):
        """(register, checked) for the template, in hierarchy order (parents first)."""
        if self.is_bound:
            checked = {str(value) for value in self.data.getlist("registers")}
        else:
            checked = {str(value) for value in self.granted_ids}
        return [
            (register, str(register_id) in checked)
            for register_id, register in self.registers_by_id.items()
        ]

    def clean(self):
        membership_registers_check(self.membership)
        return super().clean()

    def save(self) -> tuple[list[Register], list[Register]] | None:
        """Grant the ticked registers and revoke the rest; returns (granted, revoked), or None
        (with the service's errors on the form) if it refused."""
        try:
            return membership_registers_set(
                membership=self.membership, registers=self.cleaned_data["registers"]
            )
        except ValidationError as error:
            add_service_errors(self, error)
            return None


class SensitiveAccessForm(MemberForm):
    """Whether a viewer, panel member or risk owner is cleared for OFFICIAL-SENSITIVE detail
    (admins, coordinators and a risk's own owner and manager always see it)."""

    sensitive_access = forms.BooleanField(
        label="Cleared for OFFICIAL-SENSITIVE",
        required=False,
        help_text="They see the description, consequence, controls, actions and history of "
        "risks marked OFFICIAL-SENSITIVE, and get them in exports. Without it they see only "
        "the reference, title, register, owner and rating (a risk owner still sees everything "
        "about the risks they own or manage).",
    )
    error_anchor = "id_sensitive_access"

    def __init__(self, *args, membership: Membership, **kwargs):
        kwargs.setdefault("initial", {"sensitive_access": membership.sensitive_access})
        super().__init__(*args, **kwargs)
        self.membership = membership

    def clean(self):
        membership_clearance_check(self.membership)
        return super().clean()

    def save(self) -> bool:
        """Store the clearance; True if it changed."""
        return membership_set_sensitive_access(
            membership=self.membership, cleared=self.cleaned_data["sensitive_access"]
        )
