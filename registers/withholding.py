"""OFFICIAL-SENSITIVE detail withheld from members not cleared for it, in one place.

Whose detail a member may read is decided by ``OrganisationAccess.can_see_sensitive`` and
``withheld_risk_ids`` (registers/permissions.py), always by the risk's marking today. The functions
here carry that answer to everything that shows a risk's detail away from its own page: the lists
of actions (dashboard, My work, reminder e-mails), another risk's history (a link's note) and the
changes listed by movement pages and packs. Pages, exports, packs, e-mails and history all read
through them, so a new list only has to call the same function.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import Action, Risk
from .permissions import withheld_risks

WITHHELD = "This detail is OFFICIAL-SENSITIVE: ask the risk coordinator if you need it."
# In a list, where the full sentence would crowd out the rest of the row.
WITHHELD_SHORT = "Withheld: OFFICIAL-SENSITIVE"


def withhold_actions(actions: Iterable[Action], *, access) -> list[Action]:
    """The actions (with their risk joined) in order; an action of a risk whose detail the
    member may not read keeps its risk, owner, dates and status but says ``WITHHELD_SHORT``
    instead of its description and progress. The instances are for showing only."""
    shown = []
    for action in actions:
        action.withheld = not access.can_see_sensitive(action.risk)
        if action.withheld:
            action.description = WITHHELD_SHORT
            action.progress_note = ""
        shown.append(action)
    return shown


def withheld_refs(access) -> frozenset[str]:
    """Every ref (today's and earlier ones) of the risks whose detail the member may not read.
    History lines name another risk by the ref it had when they were written; a ref that one of
    those risks ever held is withheld, even if another risk holds it now (fail closed)."""
    if access.is_cleared or access.__dict__.get("withheld_risk_ids") == frozenset():
        return frozenset()
    withheld = withheld_risks(access)  # the ids as a subquery: one query in all
    then = Risk.history.filter(withheld).order_by().values_list("ref", flat=True)
    now = Risk.objects.filter(withheld).order_by().values_list("ref", flat=True)
    return frozenset(then.union(now))


def withhold_indicators(indicators, *, access) -> list:
    """Key risk indicators (with their risk joined) in order; one of a risk whose detail the
    member may not read keeps its status, dates and owner but says ``WITHHELD_SHORT`` instead
    of its name, and loses its description and unit. The instances are for showing only."""
    shown = []
    for indicator in indicators:
        indicator.withheld = not access.can_see_sensitive(indicator.risk)
        if indicator.withheld:
            indicator.name = WITHHELD_SHORT
            indicator.description = ""
            indicator.unit = ""
        shown.append(indicator)
    return shown
