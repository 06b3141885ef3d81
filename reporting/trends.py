"""The export's trend column: each risk's trend since the organisation's previous quarter end, as
a word ("up", "down", "level", "new", "closed", "not rated").

The rule (``trend_between``) and the history reads (``risk_snapshots``) are the register page's,
in ``registers.selectors.trends``; the quarter end is ``registers.calendar``'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from registers.calendar import previous_quarter_end
from registers.models import Organisation
from registers.selectors import risk_snapshots, trend_between

__all__ = ["trends_for"]


def trends_for(
    risks: Iterable, *, organisation: Organisation, moment: dt.datetime
) -> dict[int, str]:
    """Trend of each risk (current or historical objects, as they stood at ``moment``) since the
    previous quarter end: one history query, whatever the number of risks."""
    risks = list(risks)
    cutoff = previous_quarter_end(organisation=organisation, moment=moment)
    then = risk_snapshots(moment=cutoff, risk_ids=[risk.id for risk in risks])
    return {risk.id: trend_between(then.get(risk.id), risk).value for risk in risks}
