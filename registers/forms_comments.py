"""Forms of the comment threads (issue 17): a new comment (about the risk, or one of its
controls or actions) and a comment's changed text. Validation only: who may write and who may
be mentioned is ``registers.services.comments``' to say."""

from __future__ import annotations

from django import forms

from riskreg.forms import GovukForm

from .models.comments import COMMENT_MAX_LENGTH

BODY_HINT = (
    "Plain text; web addresses become links. To mention someone, type @ and their e-mail "
    "address, for example @ann.smith@force.police.uk: they are told by e-mail."
)
BODY_REQUIRED = "Write a comment"
BODY_TOO_LONG = f"Keep a comment to {COMMENT_MAX_LENGTH:,} characters"
ABOUT_UNKNOWN = "Choose the risk, or one of its controls or actions"
ABOUT_RISK = ""
LABEL_LENGTH = 70


def _short(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1].rstrip() + "…"


def about_choices(controls, actions) -> list[tuple[str, str]]:
    """What a comment can be about: the risk, each control, each action ("control-12")."""
    choices = [(ABOUT_RISK, "The risk as a whole")]
    choices += [(f"control-{c.pk}", f"Control: {_short(c.description)}") for c in controls]
    choices += [(f"action-{a.pk}", f"Action: {_short(a.description)}") for a in actions]
    return choices


def _body_field() -> forms.CharField:
    return forms.CharField(
        label="Comment",
        help_text=BODY_HINT,
        max_length=COMMENT_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": BODY_REQUIRED, "max_length": BODY_TOO_LONG},
    )


class CommentForm(GovukForm):
    """A new comment. ``about`` is offered only when the risk has controls or actions."""

    about = forms.ChoiceField(label="About", required=False)
    body = _body_field()

    def __init__(self, *args, controls=(), actions=(), **kwargs):
        kwargs.setdefault("auto_id", "comment-%s")
        super().__init__(*args, **kwargs)
        choices = about_choices(controls, actions)
        self.fields["about"].choices = choices
        self.fields["about"].error_messages["invalid_choice"] = ABOUT_UNKNOWN
        if len(choices) == 1:
            self.fields["about"].widget = forms.HiddenInput()

    def about_target(self) -> tuple[str, int] | None:
        """("control", pk), ("action", pk), or None for the risk as a whole."""
        value = self.cleaned_data.get("about") or ""
        if not value:
            return None
        kind, _, pk = value.partition("-")
        return kind, int(pk)


class CommentEditForm(GovukForm):
    body = _body_field()

    def __init__(self, *args, comment=None, **kwargs):
        if comment is not None:
            kwargs.setdefault("auto_id", f"comment-{comment.pk}-%s")
        super().__init__(*args, **kwargs)
