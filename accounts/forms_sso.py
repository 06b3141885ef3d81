"""The single sign-on settings page's form: what an organisation admin types to connect their
identity provider. It only reads the answers; ``accounts.services_sso`` checks and saves them,
and its ValidationError lands on the form beside the field it names."""

from __future__ import annotations

import re

from django import forms

from registers.models import Role
from riskreg.forms import GovukForm

from .models import SAML_EMAIL_ATTRIBUTES, SingleSignOnProvider

YES, NO = "yes", "no"
HINT_NEW_CREDENTIAL = (
    "From the provider (Microsoft Entra ID: Certificates & secrets, the secret's value). It is "
    "stored encrypted and never shown again."
)
HINT_KEEP_CREDENTIAL = "Leave blank to keep the current secret ({source})."


def _yes(value: str) -> bool:
    return value == YES


def _name_field(help_text: str) -> forms.CharField:
    return forms.CharField(
        label="Name (optional)", required=False, max_length=100, help_text=help_text
    )


class _ConnectionForm(GovukForm):
    """What every connection has, whatever its protocol: the domains it signs in, whether it is
    the only way in and who becomes a member at first sign-in (each protocol's form adds its
    own fields and ``name``, whose hint differs)."""

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
            (YES, "No: only through the provider (single sign-on only), with one exception"),
        ],
        # The exception (decision 114): the provider may not sign them in, so they would be
        # locked out.
        help_text=(
            "The exception: someone who also belongs to another organisation on riskreg, or "
            "runs riskreg, is never signed in by your provider. They sign in with their riskreg "
            "password, and then must use riskreg's second factor on your organisation's pages."
        ),
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

    def __init__(self, *args, provider: SingleSignOnProvider | None = None, **kwargs):
        self.provider = provider
        if provider is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": provider.name,
                    "domains": "\n".join(d.domain for d in provider.domains.all()),
                    "only_way_in": YES if provider.only_way_in else NO,
                    "new_members_role": provider.new_members_role,
                    **self.protocol_initial(provider),
                },
            )
        super().__init__(*args, **kwargs)

    def protocol_initial(self, provider: SingleSignOnProvider) -> dict:
        """The protocol's own fields as the provider has them."""
        raise NotImplementedError

    def protocol_arguments(self, data: dict) -> dict:
        """The protocol's own cleaned answers as its service takes them."""
        raise NotImplementedError

    def service_arguments(self) -> dict:
        """The cleaned answers as the protocol's add and change services take them."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "domains": [d for d in re.split(r"[\s,;]+", data["domains"]) if d],
            "only_way_in": _yes(data["only_way_in"]),
            "new_members_role": data["new_members_role"] or "",
            **self.protocol_arguments(data),
        }


class SingleSignOnProviderForm(_ConnectionForm):
    """An OpenID Connect connection (``accounts.services_sso.sso_provider_add``)."""

    field_order = [
        "name",
        "issuer",
        "client_id",
        "client_secret",
        "domains",
        "only_way_in",
        "new_members_role",
        "trust_email",
    ]
    name = _name_field(
        "What the sign-in page calls it, such as Microsoft Entra ID. Left blank, riskreg "
        "uses the issuer's address."
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
        super().__init__(*args, provider=provider, **kwargs)
        if provider is not None:
            from .sso import secret_source

            self.fields["client_secret"].help_text = HINT_KEEP_CREDENTIAL.format(
                source=secret_source(provider)
            )

    def protocol_initial(self, provider: SingleSignOnProvider) -> dict:
        return {
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "trust_email": YES if provider.trust_email else NO,
        }

    def protocol_arguments(self, data: dict) -> dict:
        return {
            "issuer": data["issuer"],
            "client_id": data["client_id"],
            "client_secret": data["client_secret"],
            "trust_email": _yes(data["trust_email"]),
        }


HINT_NEW_CERTIFICATE = (
    "The identity provider's token-signing certificate, the whole -----BEGIN CERTIFICATE----- "
    "block (Microsoft Entra ID: SAML Certificates, Certificate (Base64), opened in a text "
    "editor). Leave blank if you give the metadata URL."
)
HINT_KEEP_CERTIFICATE = "Leave blank to keep the current certificate ({certificate})."


class SamlProviderForm(_ConnectionForm):
    """A SAML 2.0 connection: the identity provider's entity ID, and its single sign-on URL and
    signing certificate or its metadata URL (``accounts.services_sso.sso_saml_provider_add``)."""

    field_order = [
        "name",
        "entity_id",
        "sso_url",
        "certificate",
        "metadata_url",
        "email_attribute",
        "domains",
        "only_way_in",
        "new_members_role",
    ]
    name = _name_field("What the sign-in page calls it, such as AD FS. Left blank, the entity ID.")
    entity_id = forms.CharField(
        label="Identity provider's entity ID",
        max_length=300,
        help_text=(
            "Microsoft Entra ID: Microsoft Entra Identifier. AD FS: Federation Service "
            "Identifier. It is the Issuer of the provider's answers."
        ),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    sso_url = forms.CharField(
        label="Single sign-on URL",
        required=False,
        max_length=500,
        help_text="Where riskreg sends people to sign in (Microsoft Entra ID: Login URL).",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    certificate = forms.CharField(
        label="Signing certificate",
        required=False,
        help_text=HINT_NEW_CERTIFICATE,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )
    metadata_url = forms.CharField(
        label="Or: federation metadata URL",
        required=False,
        max_length=500,
        help_text=(
            "Instead of the single sign-on URL and certificate: the address of the provider's "
            "metadata (Microsoft Entra ID: App Federation Metadata Url). riskreg reads it at "
            "sign-in and keeps it for four hours."
        ),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    email_attribute = forms.CharField(
        label="E-mail address attribute (optional)",
        required=False,
        max_length=300,
        help_text=(
            "The attribute that holds the person's e-mail address. Left blank: "
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress, then email."
        ),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )

    def __init__(self, *args, provider: SingleSignOnProvider | None = None, **kwargs):
        super().__init__(*args, provider=provider, **kwargs)
        if provider is not None and provider.saml_certificate:
            from .sso import saml_certificate_words

            self.fields["certificate"].help_text = HINT_KEEP_CERTIFICATE.format(
                certificate=saml_certificate_words(provider)
            )

    def protocol_initial(self, provider: SingleSignOnProvider) -> dict:
        attributes = provider.saml_email_attribute
        return {
            "entity_id": provider.issuer,
            "sso_url": provider.saml_sso_url,
            "metadata_url": provider.saml_metadata_url,
            "email_attribute": "" if attributes == SAML_EMAIL_ATTRIBUTES else attributes,
        }

    def protocol_arguments(self, data: dict) -> dict:
        return {
            "entity_id": data["entity_id"],
            "sso_url": data["sso_url"],
            "certificate": data["certificate"],
            "metadata_url": data["metadata_url"],
            "email_attribute": data["email_attribute"],
        }
