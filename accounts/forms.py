from __future__ import annotations

from allauth.account.forms import LoginForm
from django import forms

from . import sso

PASSWORD_NEEDED = "Enter your password"  # noqa: S105  a message, not a password
SSO_ONLY = (
    "{organisation} signs in people of {domain} with its own sign-in service, not with a "
    "password here."
)


class SignInForm(LoginForm):
    """allauth's sign-in form, asking for the e-mail address first (home-realm discovery).

    With only an address: an address of a domain an organisation's identity provider covers
    goes to that provider (``sso_provider``); any other asks for the password next
    (``needs_password``). With an address and a password, the password is checked as before,
    unless the domain may sign in only through its provider."""

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
        password = self.cleaned_data.get("password")
        # An account the provider may not sign in (decision 114) is asked for its password.
        provider = sso.provider_for_account(login)
        if provider is not None and (provider.only_way_in or not password):
            self.sso_provider = provider
            return self.cleaned_data
        if not password:
            if "password" in self.data:  # the password step, sent empty
                self.add_error("password", forms.ValidationError(PASSWORD_NEEDED))
            else:
                self.needs_password = True
            return self.cleaned_data
        return super().clean()
