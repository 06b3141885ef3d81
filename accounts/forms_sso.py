"""The single sign-on settings page's form: what an organisation admin types to connect their
identity provider. It only reads the answers; ``accounts.services_sso`` checks and saves them,
and its ValidationError lands on the form beside the field it names."""

from __future__ import annotations

import re

from django import forms

from registers.models import Role
from riskreg.forms import GovukForm

from .models import SingleSignOnProvider

YES, NO = "yes", "no"
HINT_NEW_CREDENTIAL = (
    "From the provider (Microsoft Entra ID: Certificates & secrets, the secret's value). It is "
    "stored encrypted and never shown again."
)
HINT_KEEP_CREDENTIAL = "Leave blank to keep the current secret ({source})."


def _yes(value: str) -> bool:
    return value == YES


class SingleSignOnProviderForm(GovukForm):
    name = forms.CharField(
        label="Name (optional)",
        required=False,
        max_length=100,
        help_text=(
            "What the sign-in page calls it, such as Microsoft Entra ID. Left blank, riskreg "
            "uses the issuer's address."
        ),
    )
    issuer = forms.CharField(
        label="Issuer URL",
        max_length=300,
        help_text=(
            "Microsoft Entra ID: https://login.microsoftonline.com/ followed by your directory "
            "(tenant) ID and /v2.0. Other providers show it as 'issuer' in their OpenID "
            "configuration."
        ),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    client_id = forms.CharField(
        label="Client id",
        max_length=300,
        help_text="Microsoft Entra ID calls it the application (client) ID.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        strip=False,
        help_text=HINT_NEW_CREDENTIAL,
        # new-password: a password manager must not fill in the admin's own riskreg password.
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password", "spellcheck": "false"}
        ),
    )
    domains = forms.CharField(
        label="E-mail domains",
        help_text=(
            "One a line, such as example.gov.uk. People whose addresses end in these are sent "
            "to this provider when they sign in."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )
    only_way_in = forms.ChoiceField(
        label="Can people of these domains also sign in with a password?",
        choices=[
            (NO, "Yes: the provider or a password"),
            (YES, "No: only through the provider (single sign-on only)"),
        ],
        initial=NO,
        widget=forms.RadioSelect,
    )
    new_members_role = forms.ChoiceField(
        label="Who becomes a member at their first sign-in?",
        choices=[
            ("", "Nobody: only people invited or added on the members page"),
            (Role.VIEWER.value, "Anyone of these domains, as a viewer"),
        ],
        initial="",
        required=False,
        widget=forms.RadioSelect,
    )
    trust_email = forms.ChoiceField(
        label="Which e-mail addresses from the provider does riskreg accept?",
        help_text=(
            "Microsoft Entra ID marks addresses verified only when you add the optional claim "
            "xms_edov (see the README)."
        ),
        choices=[
            (NO, "Only addresses the provider says are verified (email_verified or xms_edov)"),
            (YES, "Also addresses it sends without saying; never one it says is not verified"),
        ],
        initial=NO,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, provider: SingleSignOnProvider | None = None, **kwargs):
        self.provider = provider
        if provider is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": provider.name,
                    "issuer": provider.issuer,
                    "client_id": provider.client_id,
                    "domains": "\n".join(d.domain for d in provider.domains.all()),
                    "only_way_in": YES if provider.only_way_in else NO,
                    "new_members_role": provider.new_members_role,
                    "trust_email": YES if provider.trust_email else NO,
                },
            )
        super().__init__(*args, **kwargs)
        if provider is not None:
            from .sso import secret_source

            self.fields["client_secret"].help_text = HINT_KEEP_CREDENTIAL.format(
                source=secret_source(provider)
            )

    def service_arguments(self) -> dict:
        """The cleaned answers as ``sso_provider_add`` and ``sso_provider_change`` take them."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "issuer": data["issuer"],
            "client_id": data["client_id"],
            "client_secret": data["client_secret"],
            "domains": [d for d in re.split(r"[\s,;]+", data["domains"]) if d],
            "only_way_in": _yes(data["only_way_in"]),
            "new_members_role": data["new_members_role"] or "",
            "trust_email": _yes(data["trust_email"]),
        }
