"""The comment thread's part of the risk page's context (issue 17), shared by the risk page
(``risk_common.render_risk_page``) and the comment views' htmx partials."""

from __future__ import annotations

from collections import Counter

from django import forms

from .. import widgets
from ..forms_comments import CommentForm
from ..models import Risk
from ..selectors.comments import comment_flags, comment_thread
from ..withholding import WITHHELD


def new_comment_form(risk: Risk, *, controls, actions, about: str = "") -> CommentForm:
    form = CommentForm(controls=controls, actions=actions)
    field = form.fields["about"]
    if about in dict(field.choices):
        form.initial["about"] = about
    if type(field.widget) is forms.Select:
        # The same markup drawn in Python (on every risk page: each option was two includes).
        field.widget = widgets.Select(field.widget.attrs, field.choices, blank_lines=True)
        field.widget.is_required = field.required
    return form


def comments_context(
    access,
    risk: Risk,
    *,
    controls,
    actions,
    about: str = "",
    comment_form: CommentForm | None = None,
    comment_editing=None,
    comment_deleting=None,
    comments_message: str = "",
) -> dict:
    """The thread (or that it is withheld), what the reader may do, and the add form. A
    comment being changed or deleted without JavaScript (``comment_editing``, a comment with
    its ``edit_form``; ``comment_deleting``) is drawn in its place as a form. Marks ``controls``
    and ``actions`` with how many comments are about each (no queries)."""
    if not access.can_read_comments(risk):
        return {"comments_withheld": True, "comments_withheld_message": WITHHELD}
    comments = comment_thread(risk)
    comment_flags(comments, access=access)
    for comment in comments:
        if comment_editing is not None and comment.pk == comment_editing.pk:
            comment.edit_form = comment_editing.edit_form
        if comment_deleting is not None and comment.pk == comment_deleting.pk:
            comment.deleting = True
    by_control = Counter(c.control_id for c in comments if c.control_id and not c.deleted)
    by_action = Counter(c.action_id for c in comments if c.action_id and not c.deleted)
    for control in controls:
        control.comment_count = by_control[control.pk]
    for action in actions:
        action.comment_count = by_action[action.pk]
    can_comment = access.can_comment(risk)
    context = {
        "comments_withheld": False,
        "comments": comments,
        "can_comment": can_comment,
        "comments_message": comments_message,
    }
    if can_comment:
        context["comment_form"] = comment_form or new_comment_form(
            risk, controls=controls, actions=actions, about=about
        )
    return context
