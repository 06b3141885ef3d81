"""The form an invited person fills in to accept: their name, job title and a password, checked
against the password rules (``AUTH_PASSWORD_VALIDATORS``) before the invitation is touched."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError

from riskreg.forms import GovukForm

from .forms_password import NEW_PASSWORD_HINT

PASSWORDS_DIFFER = "The passwords do not match: type the same password in both boxes"
NAME_NEEDED = "Enter your full name"
PASSWORD_NEEDED = "Choose a password"  # noqa: S105  a message, not a password
CONFIRMATION_NEEDED = "Type your password again to confirm it"


class InvitationAcceptForm(GovukForm):
    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        error_messages={"required": NAME_NEEDED},
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    job_title = forms.CharField(
        label="Job title (optional)",
        max_length=150,
        required=False,
        help_text="Your post, as the registers name owners, for example Chief Finance Officer.",
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        error_messages={"required": PASSWORD_NEEDED},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Confirm password",
        strip=False,
        error_messages={"required": CONFIRMATION_NEEDED},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    error_anchor = "id_full_name"

    def __init__(self, *args, invitation, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        # The same words as every other page where a password is chosen.
        self.fields["password1"].help_text = NEW_PASSWORD_HINT

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", PASSWORDS_DIFFER)
        elif first:
            # Judged against who they will be, so a password made of their name is refused.
            person = get_user_model()(
                email=self.invitation.email,
                full_name=cleaned.get("full_name", ""),
                job_title=cleaned.get("job_title", ""),
            )
            try:
                password_validation.validate_password(first, person)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned
