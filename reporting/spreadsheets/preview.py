"""What an import's preview shows of the risks a file adds and changes: the small file's page
(``register_import_preview``) and a big file's job page (``register_import_job``, kept as JSON on
the job) both build their tables here, and both render them with one partial
(``reporting/partials/import_risks.html``).

OFFICIAL-SENSITIVE withholding, in one place for every table: ``can_see(risk)`` is the member's
clearance (``OrganisationAccess.can_see_sensitive``). For an existing risk they may not read, the
preview keeps what the risk page shows them (its ref, title, register, rating) and what their own
file says (the "after" side), and withholds what is stored: the "now" side of every change, the
stored descriptions a control's or action's change is named by, and the risk's counts of
controls and actions (``WITHHELD_SHORT``), as the risk page, the export and the indicators sheet's
preview (``indicator_sheets.preview_rows``) do. The command's output (``plan_lines``) goes through
``shown_changes`` too.

Nobody uncleared can import today (importing needs an edit of the register: admins and
coordinators, who are always cleared, decision 12), as nobody uncleared can edit a risk on its
edit page (the owner and manager of a risk may read it); this holds the line should that change.
"""

from __future__ import annotations

from collections.abc import Callable

from django.template.defaultfilters import pluralize

from registers.withholding import WITHHELD_SHORT

from .indicator_sheets import preview_rows

ROWS_SHOWN = 200  # new and changed risks shown in full; the counts cover every row

CanSee = Callable[[object], bool] | None


def risk_withheld(row, *, can_see: CanSee) -> bool:
    """An existing risk (``row.risk``) whose stored detail the member may not read."""
    return can_see is not None and row.risk is not None and not can_see(row.risk)


def shown_changes(row, *, can_see: CanSee = None) -> list[tuple[str, str, str]]:
    """A row plan's changes as (column, now, after the import), withheld where the member may not
    read the risk: the "now" side says ``WITHHELD_SHORT`` and a change named by a stored
    description (a control's or action's) is named by its sheet row instead (``plain``)."""
    if not risk_withheld(row, can_see=can_see):
        return [(change.column, change.old, change.new) for change in row.changes]
    return [
        (getattr(change, "plain", "") or change.column, WITHHELD_SHORT, change.new)
        for change in row.changes
    ]


def _count(risk, name: str) -> str:
    count = len(getattr(risk, f"{name}s").all())  # prefetched by the plan
    return f"{count} {name}{pluralize(count)}"


def risk_tables(plan, *, can_see: CanSee, limit: int = ROWS_SHOWN) -> dict:
    """The preview's tables, as plain values (a job keeps them as JSON): the first ``limit``
    new risks and risks that change, and the indicators and readings, each withheld where
    ``can_see`` says the member may not read the risk."""
    elsewhere = plan.register.id
    new = [
        {
            "row": row.row,
            "ref": row.ref,
            "title": row.title,
            "register": row.register.name if row.register else plan.register.name,
            "current": row.current,
            "controls": row.controls_added,
            "actions": row.actions_added,
        }
        for row in plan.created[:limit]
    ]
    changed = []
    for row in plan.updated[:limit]:
        withheld = risk_withheld(row, can_see=can_see)
        changed.append(
            {
                "row": row.row,
                "ref": row.ref,
                "title": row.title,
                "register": row.register.name if row.register else plan.register.name,
                "elsewhere": row.register is not None and row.register.id != elsewhere,
                "withheld": withheld,
                "changes": [list(change) for change in shown_changes(row, can_see=can_see)],
                "controls": row.controls,
                "actions": row.actions,
                "controls_now": WITHHELD_SHORT if withheld else _count(row.risk, "control"),
                "actions_now": WITHHELD_SHORT if withheld else _count(row.risk, "action"),
            }
        )
    return {
        "new": new,
        "changed": changed,
        "indicator_rows": preview_rows(plan, can_see=can_see or (lambda risk: True)),
    }
