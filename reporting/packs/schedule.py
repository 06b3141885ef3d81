"""Packs built on each organisation's calendar: the quarterly pack after each quarter end and the
committee pack after each committee month, in both editions, requested by a daily beat task.

Idempotent and forgiving: a pack already requested for that date is not requested again, and a
date missed while beat was down is still picked up within ``CATCH_UP_DAYS``.
"""

from __future__ import annotations

import datetime as dt
import logging

from registers.models import Organisation

from ..models import Pack, PackEdition, PackKind
from .services import PackAlreadyRequested, PackQueueUnavailable, pack_request

logger = logging.getLogger(__name__)

CATCH_UP_DAYS = 7


def _month_end(year: int, month: int) -> dt.date:
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def _latest_end_before(months, today: dt.date) -> dt.date | None:
    """The last day of the latest listed month that has ended before ``today``."""
    ends = [
        _month_end(year, int(month))
        for year in (today.year, today.year - 1)
        for month in months or ()
        if 1 <= int(month) <= 12
    ]
    past = [end for end in ends if end < today]
    return max(past) if past else None


def packs_due(*, organisation: Organisation, today: dt.date) -> list[tuple[str, dt.date]]:
    """(kind, as-of date) of the scheduled packs whose date passed in the last CATCH_UP_DAYS."""
    due = []
    for kind, months in (
        (PackKind.QUARTERLY, organisation.quarter_end_months),
        (PackKind.COMMITTEE, organisation.committee_months),
    ):
        end = _latest_end_before(months, today)
        if end is not None and (today - end).days <= CATCH_UP_DAYS:
            due.append((kind, end))
    return due


def request_scheduled_packs(*, today: dt.date) -> list[Pack]:
    """Request every scheduled pack that is due and not yet requested, in both editions."""
    requested = []
    for organisation in Organisation.objects.order_by("slug"):
        for kind, as_of in packs_due(organisation=organisation, today=today):
            for edition in (PackEdition.FULL, PackEdition.PUBLIC):
                exists = Pack.objects.filter(
                    organisation=organisation, kind=kind, as_of=as_of, edition=edition
                ).exists()
                if exists:
                    continue
                try:
                    requested.append(
                        pack_request(
                            organisation=organisation,
                            kind=kind,
                            as_of=as_of,
                            edition=edition,
                            scheduled=True,
                        )
                    )
                except PackAlreadyRequested:
                    continue  # a concurrent run (or a coordinator) requested it just now
                except PackQueueUnavailable as unavailable:
                    # Failed with the reason and Retry offered; the other organisations still
                    # get theirs.
                    logger.warning("Scheduled pack %s could not be queued", unavailable.pack.pk)
    return requested
