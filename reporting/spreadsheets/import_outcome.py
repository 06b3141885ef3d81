"""What an import says once written: its counts, and, with the invite option, whom it invited
and what waits for them. The page's banner (a small file) and the import job's result (a big
one, on the worker) both say this, so neither reports "created 2" while two new risks have no
owner until an invitation is accepted."""

from __future__ import annotations

import re

from django.utils.text import get_text_list

# How ``invites.PlannedInvite.places`` names the main sheet's owner column ("row 4: owner").
_OWNER_PLACE = re.compile(r"^row (\d+): owner$")


def import_done_message(plan, *, filename: str) -> str:
    """``Imported f.csv: created 2, ...`` and a sentence for each person invited."""
    text = f"Imported {filename}: {plan.summary}."
    invites = getattr(plan, "invites", None)
    if invites is None:
        return text
    rows = {row.row: row for row in plan.rows}
    for planned in invites.planned.values():
        text += " " + _invited(planned, rows)
    return text


def _invited(planned, rows: dict) -> str:
    ownerless, elsewhere = [], []
    for place in planned.places:
        found = _OWNER_PLACE.match(place)
        row = rows.get(int(found.group(1))) if found else None
        if row is not None and row.action == "create":
            ownerless.append(row.ref)
        else:
            elsewhere.append(place)
    if planned.already_invited:
        text = f"{planned.email} was already invited (not invited again)"
    else:
        text = f"Invited {planned.email} to join as a risk owner"
    waiting = []
    if ownerless:
        verb = "has" if len(ownerless) == 1 else "have"
        waiting.append(
            f"{get_text_list(ownerless, 'and')} {verb} no owner until they accept and are assigned"
        )
    if elsewhere:
        waiting.append(f"assign them once they accept ({', '.join(elsewhere)})")
    return text + (": " + "; ".join(waiting) if waiting else "") + "."
