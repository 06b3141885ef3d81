"""The sign-off form: an approver signs off an update awaiting it, or sends it back with a
reason (``registers.services.sign_off`` decides and writes)."""

from __future__ import annotations

from django import forms

from riskreg.forms import GovukForm, sentence

from .services import sign_off

SIGN_OFF, SEND_BACK = "sign_off", "send_back"
DECISION_REQUIRED = "Choose to sign off the update or send it back"


class SignOffForm(GovukForm):
    """``decision`` is the button pressed (Sign off or Send back); ``note`` is the note kept
    with a sign-off, or the reason an update is sent back (required then)."""

    decision = forms.ChoiceField(
        choices=[(SIGN_OFF, "Sign off"), (SEND_BACK, "Send back")],
        widget=forms.HiddenInput,
        error_messages={"required": DECISION_REQUIRED, "invalid_choice": DECISION_REQUIRED},
    )
    note = forms.CharField(
        label="Note, or the reason for sending it back",
        required=False,
        max_length=sign_off.NOTE_MAX,
        help_text="Required to send the update back: its author sees it on the risk page.",
        error_messages={"max_length": sentence(sign_off.NOTE_TOO_LONG)},
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == SEND_BACK and not (data.get("note") or "").strip():
            self.add_error("note", sentence(sign_off.SEND_BACK_REASON_REQUIRED))
        return data

    def decide(self, *, review, user):
        """Sign off or send back ``review``; the refusal of the service shown on the form.
        Returns the decision made, or None."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        try:
            if data["decision"] == SIGN_OFF:
                sign_off.review_sign_off(review=review, user=user, note=data["note"])
            else:
                sign_off.review_send_back(review=review, user=user, reason=data["note"])
        except forms.ValidationError as exc:
            self.add_service_errors(exc)
            return None
        return data["decision"]
