"""The form a person creates an API token with on their account page (api/views_tokens.py).

Its rules are the service's (api/services.py): the messages are the service's constants, and
the service checks again (membership, a live token's name) when the form is valid."""

from __future__ import annotations

from django import forms

from registers.models import Organisation
from riskreg.forms import GovukForm

from .services import (
    MAX_DAYS,
    MAX_DAYS_MESSAGE,
    MIN_DAYS_MESSAGE,
    NAME_MISSING_MESSAGE,
    NO_ORGANISATION_MESSAGE,
)

DEFAULT_DAYS = 90
DAYS_MESSAGE = "Enter the number of days the token lasts, from 1 to 365."
READ_ONLY, READ_WRITE = "read-only", "read-write"
ACCESS_CHOICES = [
    (READ_ONLY, "Read only: scripts and reports read risks but cannot change anything"),
    (READ_WRITE, "Read and write: scripts may also change risks, as you could on the pages"),
]
ACCESS_MESSAGE = "Choose whether the token may only read or may also write."


class OrganisationChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.display_name


class ApiTokenForm(GovukForm):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for, so you can tell it apart later: “Power BI board "
        "dashboard”, “nightly export”.",
        error_messages={"required": NAME_MISSING_MESSAGE},
    )
    expires_days = forms.IntegerField(
        label="Days until it expires",
        initial=DEFAULT_DAYS,
        min_value=1,
        max_value=MAX_DAYS,
        help_text=f"At most {MAX_DAYS} (a year). Make a new token when this one expires.",
        error_messages={
            "required": DAYS_MESSAGE,
            "invalid": DAYS_MESSAGE,
            "min_value": MIN_DAYS_MESSAGE,
            "max_value": MAX_DAYS_MESSAGE,
        },
    )
    access = forms.ChoiceField(
        label="What it may do",
        choices=ACCESS_CHOICES,
        initial=READ_ONLY,
        widget=forms.RadioSelect,
        error_messages={"required": ACCESS_MESSAGE, "invalid_choice": ACCESS_MESSAGE},
    )
    organisations = OrganisationChoiceField(
        label="Organisations it reaches",
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="It reaches only what you can see in each, and nothing in the others.",
        error_messages={
            "required": NO_ORGANISATION_MESSAGE,
            "invalid_choice": NO_ORGANISATION_MESSAGE,
            "invalid_pk_value": NO_ORGANISATION_MESSAGE,
        },
    )

    def __init__(self, *args, organisations: list[Organisation], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["organisations"]
        field.queryset = Organisation.objects.filter(pk__in=[o.pk for o in organisations]).order_by(
            "name", "pk"
        )
        # A person who belongs to no organisation has nothing a token could reach.
        self.can_make = bool(organisations)
        if len(organisations) == 1 and not self.is_bound:
            field.initial = [organisations[0].pk]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "expires_days": data["expires_days"],
            "read_only": data["access"] == READ_ONLY,
            "organisations": list(data["organisations"]),
        }
