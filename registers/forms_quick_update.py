"""The owner's quick update: one form holding, per risk, its current rating (the scheme's levels,
as the review form offers them), this period's update (the review's note, decision 40) and
progress to target, and per open action its status and progress. Each risk and action is a form
of its own, prefixed by its id, with the version the page showed (optimistic locking); the page
is valid only when every one of them is.

The forms check what was typed; the view decides what changed and saves it through the services
the single-risk pages use."""

from __future__ import annotations

from django import forms

from riskreg.forms import GovukForm, sentence
from scoring.engine import RatingError

from .forms import PositionsMixin, RiskForm, _textarea
from .forms_treatments import VERSION_MAX, VERSION_MISSING, ActionProgressEditForm

CHOOSE_BOTH = "Choose the current likelihood and impact: a review cannot leave a rated risk unrated"
EARLIER_LEVEL = "{value} (from the scheme it was rated under)"


class QuickRiskForm(PositionsMixin, GovukForm):
    """One risk of the quick update. ``opened`` is the risk as the page showed it (its current
    position and progress), against which ``changes`` says what the person changed."""

    positions = ("current",)

    note = forms.CharField(
        label="This period's update",
        required=False,
        widget=_textarea(3),
        help_text="What changed and what is being done. Saving it records your review of the "
        "risk, printed in the next report with the date and your name.",
    )
    progress = RiskForm.base_fields["progress"]
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=VERSION_MAX)

    def __init__(self, *args, scheme, risk, opened: dict, sent_back=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.risk = risk
        self.opened = opened
        # The person's own update sent back by an approver: the form starts from it (decision
        # 119), and a save that leaves it as it was does not submit it again.
        self.sent_back = sent_back if sent_back is not None and sent_back.prefill else None
        self.left_as_sent_back = False
        self.add_position_fields(scheme)
        stored = opened.get("current") or (None, None)
        for index, (axis, levels) in enumerate(
            (("likelihood", scheme.likelihood), ("impact", scheme.impact))
        ):
            field = self.fields[f"current_{axis}"]
            # A select per axis keeps a page of twenty risks short; each level says its value,
            # label and code, as the review form's radios do.
            field.widget = forms.Select()
            choices = [("", "Not rated")] + [
                (str(level.value), f"{level.value} {level.label} ({level.code})")
                for level in levels
            ]
            value = stored[index]
            if value is not None and value not in {level.value for level in levels}:
                # Rated under an earlier scheme with more levels (and left there when it was
                # replaced): kept as it is unless the owner re-scores it.
                choices.append((str(value), EARLIER_LEVEL.format(value=value)))
            field.choices = choices
        message = VERSION_MISSING.format(noun="risk")
        self.fields["version"].error_messages.update(
            required=message, invalid=message, min_value=message, max_value=message
        )

    @property
    def error_links(self) -> list[tuple[str, str]]:
        """Errors named by the risk they belong to: the summary lists every risk's."""
        return [
            (anchor, f"Risk {self.risk.ref}: {message}") for anchor, message in super().error_links
        ]

    def clean(self):
        cleaned = super().clean()
        chosen = (cleaned.get("current_likelihood"), cleaned.get("current_impact"))
        if self.opened.get("current") is not None and chosen == tuple(self.opened["current"]):
            return cleaned  # the rating stands, whichever scheme version it was made under
        try:
            self.clean_positions(cleaned)
        except RatingError as exc:  # a level only an earlier scheme had, with a new one
            self.add_error("current_likelihood", sentence(str(exc)))
            return cleaned
        if (
            self.opened.get("current") is not None
            and self.ratings.get("current", False) is None
            and "current_likelihood" not in self.errors
            and "current_impact" not in self.errors
        ):
            self.add_error("current_likelihood", CHOOSE_BOTH)
        return cleaned

    def _sent_back_rescore(self) -> tuple | None:
        """The re-score the sent-back update asked for, unless the risk stands there now."""
        current = self.sent_back.current if self.sent_back is not None else None
        return current if current != self.opened.get("current") else None

    def sent_back_initial(self) -> dict:
        """The fields as the person submitted the update that was sent back (empty: none)."""
        if self.sent_back is None:
            return {}
        initial = {"note": self.sent_back.words}
        if (rescore := self._sent_back_rescore()) is not None:
            initial["current_likelihood"], initial["current_impact"] = map(str, rescore)
        return initial

    def changes(self) -> dict:
        """What the person changed: ``positions`` (a re-score), ``note`` (this period's update)
        and ``progress``, each present only when given or changed. A sent-back update the form
        started from and the person left as it was is no change (``left_as_sent_back``): saving
        the page for other risks does not send the same words back to the approver."""
        data = self.cleaned_data
        changes: dict = {}
        chosen = self.position_values()["current"]
        if chosen != self.opened.get("current"):
            changes["positions"] = {"current": chosen}
        note = (data.get("note") or "").strip()
        if note:
            changes["note"] = note
        if (data.get("progress") or "") != (self.opened.get("progress") or ""):
            changes["progress"] = data.get("progress") or ""
        if self.sent_back is not None and (self.sent_back.words.strip() or self.sent_back.current):
            rescore = changes.get("positions", {}).get("current")
            # Line endings as a browser posts them: the same words, not a change.
            if _text(note) == _text(self.sent_back.words) and rescore == self._sent_back_rescore():
                changes.pop("positions", None)
                changes.pop("note", None)
                self.left_as_sent_back = True
        return changes


class QuickActionForm(ActionProgressEditForm):
    """One action of the quick update: what its owner may change (status and progress), with the
    version the page showed. ``opened`` is the action as the page showed it."""

    def __init__(self, *args, action, opened: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        self.opened = opened
        self.fields["progress_note"].widget.attrs["rows"] = 2
        self.fields["progress_note"].label = "Progress"

    @property
    def error_links(self) -> list[tuple[str, str]]:
        ref = self.action.risk.ref
        return [
            (anchor, f"Action on risk {ref}: {message}") for anchor, message in super().error_links
        ]

    def changed_fields(self) -> dict:
        """Status and progress as typed, only when they differ from what the page showed."""
        data = self.cleaned_data
        changes = {}
        if data["status"] != self.opened["status"]:
            changes["status"] = data["status"]
        if _text(data.get("progress_note")) != _text(self.opened["progress_note"]):
            changes["progress_note"] = data.get("progress_note") or ""
        return changes


def _text(value) -> str:
    return (value or "").replace("\r\n", "\n").strip()
