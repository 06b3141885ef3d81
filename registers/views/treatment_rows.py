"""The risk page's control and action rows, each row's links resolved once for the page.

Each row was an include with three or four more inside it (effectiveness, status, owner, the
comment link) and four to six ``{% url %}`` tags: about a millisecond a row, most of the
treatments' rendering (issue 20). Here each URL is reversed once for the page with a marker in
place of the control's or action's key and completed per row by string, the short description
the hidden link texts repeat is cut once, and ``control_rows.html`` / ``action_rows.html`` draw
every row in one loop with that markup inline (the same partials draw the single row htmx
swaps in after an edit, so the markup lives in one place).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.text import Truncator

_MARKER = 2147483647  # a key no row has: its digits are replaced by each row's own

CONTROL_LINKS = {"row": "control", "edit": "control_edit", "remove": "control_remove"}
ACTION_LINKS = {
    "row": "action",
    "edit": "action_edit",
    "complete": "action_complete",
    "promote": "action_to_control",
    "remove": "action_remove",
}


def _link_makers(organisation, risk, names: dict[str, str]):
    """For each link, a function of a row's key giving what ``reverse`` would."""
    makers = {}
    for key, name in names.items():
        head, marker, tail = reverse(name, args=[organisation.slug, risk.ref, _MARKER]).rpartition(
            str(_MARKER)
        )
        assert marker, f"the {name} URL carries the key"  # noqa: S101
        makers[key] = (head, tail)
    return makers


def _mark(items, makers, organisation, risk, kind: str, *, comment: bool) -> None:
    comment_url = reverse("comment_add", args=[organisation.slug, risk.ref]) if comment else ""
    for item in items:
        pk = item.pk
        item.links = {key: f"{head}{pk}{tail}" for key, (head, tail) in makers.items()}
        if comment:
            item.links["comment"] = f"{comment_url}?about={kind}-{pk}"
        # ``|truncatechars:60``, which the row's hidden link texts repeat.
        item.short = Truncator(item.description).chars(60)
        # The row's template asks each row whether it is being edited or removed. A missing
        # attribute answers "" as well, but Django's failed lookup calls dir() on the model
        # instance first (about 50 µs a row, twice): set unless an edit view set them already.
        attrs = vars(item)
        attrs.setdefault("edit_form", None)
        attrs.setdefault("removing", False)


def control_links(organisation, risk, controls, *, comment: bool) -> None:
    """Mark each control with its row's ``links`` and ``short`` description (no query)."""
    makers = _link_makers(organisation, risk, CONTROL_LINKS)
    _mark(controls, makers, organisation, risk, "control", comment=comment)


def action_links(organisation, risk, actions, *, comment: bool) -> None:
    """Mark each action with its row's ``links``, ``short`` description and ``due`` date as the
    row shows it (``|date:"j M Y"``; empty for none). No query."""
    makers = _link_makers(organisation, risk, ACTION_LINKS)
    _mark(actions, makers, organisation, risk, "action", comment=comment)
    for action in actions:
        action.due = date_format(action.due_date, "j M Y") if action.due_date else ""
