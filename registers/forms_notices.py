"""The notification preferences form: for each kind of event, how the person wants its e-mail
(straight away, in the daily digest, or never). ``registers.services.notices`` writes it."""

from __future__ import annotations

from django import forms

from riskreg.forms import GovukForm

from .models import Delivery, NoticeKind

DELIVERY_REQUIRED = "Choose how to be told when: {kind}"
# The table's column headings, short: the kind of event is the row.
DELIVERY_SHORT = {
    Delivery.IMMEDIATE: "Straight away",
    Delivery.DIGEST: "Daily digest",
    Delivery.NEVER: "No e-mail",
}


class NoticePreferencesForm(GovukForm):
    """One radio group per kind of event, named by the kind."""

    def __init__(self, *args, deliveries: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in NoticeKind.choices:
            self.fields[kind] = forms.ChoiceField(
                label=label,
                choices=Delivery.choices,
                initial=deliveries[kind],
                widget=forms.RadioSelect,
                error_messages={
                    "required": DELIVERY_REQUIRED.format(kind=label.lower()),
                    "invalid_choice": DELIVERY_REQUIRED.format(kind=label.lower()),
                },
            )

    def rows(self) -> list[dict]:
        """For the table: each kind with its field and the choice to show as checked."""
        rows = []
        for kind, label in NoticeKind.choices:
            field = self[kind]
            rows.append(
                {
                    "kind": kind,
                    "label": label,
                    "field": field,
                    "selected": field.value(),
                    "choices": [
                        (value, DELIVERY_SHORT[value], forloop)
                        for forloop, (value, _) in enumerate(Delivery.choices)
                    ],
                }
            )
        return rows
