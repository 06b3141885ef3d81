"""Risk acceptance forms: accept a risk above tolerance until a date, withdraw an acceptance, and
the admins' setting of who may accept. Shape only; ``registers.services.acceptance`` decides
(after today, at most a year ahead, who may be named) and its refusals show beside the field."""

from __future__ import annotations

from django import forms

from riskreg.forms import GovukForm

from . import widgets
from .models import AcceptanceAuthority, Membership, Organisation
from .permissions import RISK_OWNER_ROLES
from .services.acceptance import MAX_ACCEPTANCE_MONTHS

REASON_REQUIRED = "Say why the risk is accepted above its tolerance"
EXPIRY_REQUIRED = "Enter the date the acceptance ends"
WITHDRAW_REQUIRED = "Say why the acceptance is withdrawn"
AUTHORITY_REQUIRED = "Choose who may accept a risk above tolerance"


class AcceptForm(GovukForm):
    reason = forms.CharField(
        label="Why is the risk accepted above its tolerance?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=(
            "For example: the cost of treating it further outweighs the benefit; the exposure "
            "ends with the contract in March. Shown wherever the breach is."
        ),
        error_messages={"required": REASON_REQUIRED},
    )
    expires_on = widgets.DateField(
        label="Accept until",
        help_text=(
            f"The last day the acceptance holds, at most {MAX_ACCEPTANCE_MONTHS} months ahead. "
            "After it the risk shows as in breach again and you are told."
        ),
        invalid="Enter the date the acceptance ends as a real date, day first",
        error_messages={"required": EXPIRY_REQUIRED},
    )


class WithdrawAcceptanceForm(GovukForm):
    reason = forms.CharField(
        label="Why is the acceptance withdrawn?",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=250,
        error_messages={"required": WITHDRAW_REQUIRED},
    )


class ApproverChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user) -> str:
        return f"{user.display_name} ({user.email})"


class AcceptanceAuthorityForm(GovukForm):
    authority = forms.ChoiceField(
        label="Who may accept, by their role",
        choices=AcceptanceAuthority.choices,
        widget=forms.RadioSelect,
        error_messages={"required": AUTHORITY_REQUIRED, "invalid_choice": AUTHORITY_REQUIRED},
    )
    approvers = ApproverChoiceField(
        label="People named",
        queryset=None,
        required=False,
        widget=widgets.CheckboxSelectMultiple,
        help_text=(
            "They may accept any risk of the organisation, whatever the choice above. Only "
            "admins, coordinators and risk owners can be named."
        ),
        error_messages={"invalid_choice": "Choose people from the list"},
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "authority": organisation.acceptance_authority,
                "approvers": list(organisation.acceptance_approvers.all()),
            },
        )
        super().__init__(*args, **kwargs)
        members = Membership.objects.filter(
            organisation=organisation, role__in=list(RISK_OWNER_ROLES)
        ).values("user_id")
        User = Membership._meta.get_field("user").related_model
        self.fields["approvers"].queryset = User.objects.filter(pk__in=members).order_by(
            "full_name", "email"
        )
