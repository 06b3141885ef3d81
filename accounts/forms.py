from __future__ import annotations

from allauth.account.forms import LoginForm
from django import forms

from . import sso

PASSWORD_NEEDED = "Enter your password"  # noqa: S105  a message, not a password


# The address step's second button: the password step for an address of a connected domain,
# which would otherwise go to the organisation's identity provider.
USE_PASSWORD = "use_password"  # noqa: S105  a button's name, not a password
USE_PASSWORD_LABEL = "Use your riskreg password instead"  # noqa: S105  its words


class SignInForm(LoginForm):
    """allauth's sign-in form, asking for the e-mail address first (home-realm discovery).

    With only an address: an address of a domain an organisation's identity provider covers
    goes to that provider (``sso_provider``), unless the person chose ``USE_PASSWORD`` or the
    address is a superuser's or a staff account's (``sso.provider_for_address``, decision 133);
    any other asks for the password next (``needs_password``). Otherwise the address step is
    decided by the domain alone, so it says nothing of whether the address has an account nor
    whether it is another organisation's too (decision 114, amended). With an address and a
    password, the password is checked: an account its organisation lets in only through its own
    provider is refused by the authentication backend (``accounts.backends``) as a wrong
    password is, counted alike."""

    sso_provider = None
    needs_password = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "E-mail address"
        self.fields["login"].widget.attrs.update(
            {"autocomplete": "username", "spellcheck": "false", "placeholder": ""}
        )
        self.fields["password"].required = False
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""

    def clean(self):
        login = (self.cleaned_data.get("login") or "").strip()
        if self.errors or not login:
            return self.cleaned_data
        if self.cleaned_data.get("password"):
            return super().clean()
        if "password" in self.data:  # the password step, sent empty
            self.add_error("password", forms.ValidationError(PASSWORD_NEEDED))
            return self.cleaned_data
        if USE_PASSWORD not in self.data:
            self.sso_provider = sso.provider_for_address(login)
        self.needs_password = self.sso_provider is None
        return self.cleaned_data
