"""When an organisation's records begin: the first risk record (a history row) on its registers,
or on some of them (a pack's). Before it there is no position to compare with, so a pack whose
period starts earlier says so rather than calling every risk "added" (decision 143), and no pack
is built as at a day before it (nothing stood then to show)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Min

from ..calendar import local_date
from ..models import Organisation, Risk


def records_begin(
    *,
    organisation: Organisation,
    register_ids: Iterable[int] | None = None,
    until: dt.datetime | None = None,
) -> dt.datetime | None:
    """The moment of the first risk record on the organisation's registers (on ``register_ids``
    only, when given; at or before ``until``, when given), else None. One query."""
    rows = Risk.history.filter(organisation_id=organisation.pk)
    if register_ids is not None:
        rows = rows.filter(register_id__in=list(register_ids))
    if until is not None:
        rows = rows.filter(history_date__lte=until)
    return rows.aggregate(first=Min("history_date"))["first"]


def earliest_as_of(organisation: Organisation) -> dt.date:
    """The earliest day a pack of ``organisation`` can be as at: the day (where it is) of the
    first risk record on any of its registers, or of its creation when that is earlier (it has
    none yet, or none until later: its registers stood empty from then, and a pack saying so is
    true; an import dated into the past, as the demo's papers, begins earlier). One query."""
    first = records_begin(organisation=organisation)
    begins = min(first, organisation.created_at) if first else organisation.created_at
    return local_date(organisation=organisation, moment=begins)
