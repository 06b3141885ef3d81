"""django-allauth's password forms in riskreg's words (``ACCOUNT_FORMS``): the reset request,
the new password a reset link sets, and changing or setting the password on the account pages.

allauth keeps the rules (the rate limits, the password validators, the e-mails); these forms
change labels, hints and messages, log a reset request (``accounts.password_reset``), and find
the account a reset is for by its sign-in address or a confirmed address only
(``accounts_by_sign_in_address``, decision 100)."""

from __future__ import annotations

from allauth.account import app_settings as allauth_settings
from allauth.account.adapter import get_adapter
from allauth.account.forms import ChangePasswordForm as AllauthChangePasswordForm
from allauth.account.forms import ResetPasswordForm, ResetPasswordKeyForm
from allauth.account.forms import SetPasswordForm as AllauthSetPasswordForm
from django import forms

from registers.selectors.sign_in import accounts_by_sign_in_address

from . import password_reset

# Messages, not passwords (ruff's S105 reads "PASSWORD" in a name as one).
EMAIL_REQUIRED = "Enter your e-mail address"
EMAIL_INVALID = "Enter an e-mail address in the correct format, like name@example.org"
PASSWORD_REQUIRED = "Enter a new password"  # noqa: S105
PASSWORD_AGAIN_REQUIRED = "Type the new password again"  # noqa: S105
CURRENT_PASSWORD_REQUIRED = "Enter your current password"  # noqa: S105
CURRENT_PASSWORD_WRONG = (
    "That is not your current password. Type it again, or reset it if you have forgotten it"  # noqa: S105
)
PASSWORDS_DIFFER = "The two passwords are not the same: type the new password again"
NEW_PASSWORD_HINT = (
    "At least 8 characters. Not a common password, not only numbers, and not like your name or "  # noqa: S105
    "e-mail address. A few unrelated words make a good one."
)
ALLAUTH_PASSWORDS_DIFFER = "You must type the same password each time."


def _plain_password_field(field, *, label: str, required: str, hint: str = "") -> None:
    field.label = label
    field.help_text = hint
    field.error_messages["required"] = required
    field.widget.attrs.pop("placeholder", None)


def _new_password_fields(form) -> None:
    _plain_password_field(
        form.fields["password1"],
        label="New password",
        required=PASSWORD_REQUIRED,
        hint=NEW_PASSWORD_HINT,
    )
    _plain_password_field(
        form.fields["password2"],
        label="Type the new password again",
        required=PASSWORD_AGAIN_REQUIRED,
    )


def _plain_mismatch(form) -> None:
    """allauth's "You must type the same password each time." in our words."""
    errors = form.errors.get("password2")
    if errors and ALLAUTH_PASSWORDS_DIFFER in errors:
        form.errors["password2"] = form.error_class(
            [PASSWORDS_DIFFER if error == ALLAUTH_PASSWORDS_DIFFER else error for error in errors],
            field_id=form["password2"].auto_id,
            renderer=form.renderer,
        )


class PasswordResetRequestForm(ResetPasswordForm):
    """ "Forgot your password?": the address to send a link to. Whether it has an account is
    never shown (``ACCOUNT_PREVENT_ENUMERATION``); each request is logged."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = "E-mail address"
        field.error_messages.update({"required": EMAIL_REQUIRED, "invalid": EMAIL_INVALID})
        field.widget.attrs.pop("placeholder", None)
        field.widget.attrs.update({"autocomplete": "email", "spellcheck": "false"})

    def clean_email(self) -> str:
        """allauth's, but the accounts found never by an unconfirmed address (an address someone
        asked to change to: allauth's look-up falls back to those rows). ``self.users`` is whom
        ``save`` sends a link to, or (a reset by code) the account it is for."""
        email = get_adapter().clean_email(self.cleaned_data["email"].lower())
        self.users = accounts_by_sign_in_address(email=email, is_active=True)
        if not self.users and not allauth_settings.PREVENT_ENUMERATION:
            raise get_adapter().validation_error("unknown_email")
        return self.cleaned_data["email"]

    def save(self, request, **kwargs) -> str:
        email = super().save(request, **kwargs)
        password_reset.log_requested(request, self.users)
        return email


class NewPasswordForm(ResetPasswordKeyForm):
    """The page a reset link opens: the new password, twice."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _new_password_fields(self)

    def clean(self):
        cleaned = super().clean()
        _plain_mismatch(self)
        return cleaned


class ChangePasswordForm(AllauthChangePasswordForm):
    """Changing the password from the account page: the current one, then the new one twice."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _plain_password_field(
            self.fields["oldpassword"], label="Current password", required=CURRENT_PASSWORD_REQUIRED
        )
        _new_password_fields(self)

    def clean_oldpassword(self) -> str:
        if not self.user.check_password(self.cleaned_data.get("oldpassword", "")):
            raise forms.ValidationError(CURRENT_PASSWORD_WRONG)
        return self.cleaned_data["oldpassword"]

    def clean(self):
        cleaned = super().clean()
        _plain_mismatch(self)
        return cleaned


class SetPasswordForm(AllauthSetPasswordForm):
    """For a person who has signed in only through their organisation and has no password."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _new_password_fields(self)

    def clean(self):
        cleaned = super().clean()
        _plain_mismatch(self)
        return cleaned
