"""Forms of the escalation pages: ask to move a risk to another register, and accept (choosing
its new owner) or decline the request. The services in ``services.escalation`` decide and write."""

from __future__ import annotations

from django import forms

from riskreg.forms import GovukForm

from .forms import MemberChoiceField, members
from .models import EscalationDirection, Register


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class EscalateForm(GovukForm):
    destination = forms.ChoiceField(
        label="Where should the risk go?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the register the risk should move to",
            "invalid_choice": "Choose one of the registers listed",
        },
    )
    reason = forms.CharField(
        label="Why should it move?",
        widget=_textarea(5),
        max_length=2000,
        help_text="The receiving register's coordinators read this before they accept or "
        "decline. It is kept in the risk's history.",
        error_messages={
            "required": "Say why the risk should move",
            "max_length": "Keep the reason under 2,000 characters",
        },
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, options: list[tuple[str, Register]], **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {
            f"{direction}:{register.slug}": (direction, register) for direction, register in options
        }
        field = self.fields["destination"]
        field.choices = [
            (key, _option_label(direction, register))
            for key, (direction, register) in self.options.items()
        ]
        if len(self.options) == 1 and not self.is_bound:
            self.initial["destination"] = next(iter(self.options))

    def chosen(self) -> tuple[str, Register]:
        return self.options[self.cleaned_data["destination"]]


def _option_label(direction: str, register: Register) -> str:
    if direction == EscalationDirection.UP:
        return f"Escalate up to {register.name} (the parent register)"
    return f"De-escalate down to {register.name}"


class AcceptForm(GovukForm):
    new_owner = MemberChoiceField(
        label="Who will own the risk?",
        queryset=None,
        empty_label="Choose an owner",
        help_text="Accountable for the risk on its new register.",
        error_messages={"required": "Choose who will own the risk"},
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=_textarea(3),
        help_text="Kept in the risk's history with the decision.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, prefix="accept", **kwargs)
        self.fields["new_owner"].queryset = members(organisation)


class DeclineForm(GovukForm):
    note = forms.CharField(
        label="Why is the request declined?",
        max_length=2000,
        widget=_textarea(3),
        help_text="The requester sees this, and it is kept in the risk's history.",
        error_messages={"required": "Say why the request is declined"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="decline", **kwargs)
