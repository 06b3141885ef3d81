"""The account page's forms: the person's name and job title, and django-allauth's e-mail
change form in our words (``ACCOUNT_FORMS["add_email"]``)."""

from __future__ import annotations

from allauth.account.forms import AddEmailForm
from django import forms

from registers.services.accounts import sign_in_address_clean
from riskreg.forms import GovukForm

from .services_account import sign_in_address_keep

NAME_NEEDED = "Enter your name"
EMAIL_NEEDED = "Enter the new e-mail address"
EMAIL_INVALID = "Enter an e-mail address in the correct format, like name@example.org"
EMAIL_SAME = "That is already the address you sign in with: enter a different one"
EMAIL_ALREADY_ASKED = (
    "You have already asked to change to that address: open the link we sent to it, or send "
    "the link again"
)
# The account's own address is another account's confirmed one too (an admin's change before
# decision 100 left it there): keeping it as this account's is refused, so no change can start.
ADDRESS_NOT_YOURS_ALONE = (
    "Your address {email} is also a confirmed address of another riskreg account, so it cannot "
    "be changed here. Ask whoever runs riskreg for your organisation to correct the other account"
)
ADDRESS_MISSING = (
    "Your account has no e-mail address to change. Ask whoever runs riskreg for your "
    "organisation to set one"
)


class AccountDetailsForm(GovukForm):
    full_name = forms.CharField(
        label="Name",
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
    error_anchor = "id_full_name"


class ChangeEmailForm(AddEmailForm):
    """A new address to sign in with. allauth sends it a link; the address changes only when
    the link is followed (``ACCOUNT_CHANGE_EMAIL``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = "New e-mail address"
        field.help_text = "We will send a link to it. Your address changes when you open the link."
        field.error_messages.update({"required": EMAIL_NEEDED, "invalid": EMAIL_INVALID})
        field.widget.attrs.pop("placeholder", None)
        field.widget.attrs.update({"autocomplete": "email", "spellcheck": "false"})

    def clean_email(self) -> str:
        if (self.cleaned_data.get("email") or "").strip().lower() == self.user.email.lower():
            raise forms.ValidationError(EMAIL_SAME)
        try:
            # What ``save`` keeps as the account's confirmed address must be its alone, or
            # keeping it is refused there (a 500 until decision 100).
            sign_in_address_clean(email=self.user.email, user=self.user)
        except forms.ValidationError as error:
            current = self.user.email.strip().lower()
            message = ADDRESS_NOT_YOURS_ALONE.format(email=current) if current else ADDRESS_MISSING
            raise forms.ValidationError(message) from error
        try:
            return super().clean_email()
        except forms.ValidationError as error:
            # allauth's "duplicate_email" means an address on this account: the one being
            # changed to, since the current one is caught above.
            raise forms.ValidationError(EMAIL_ALREADY_ASKED) from error

    def save(self, request):
        sign_in_address_keep(user=self.user)
        return super().save(request)
