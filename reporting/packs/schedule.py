"""Packs built on each organisation's calendar: the quarterly pack after each quarter end and the
committee pack after each committee month, in both editions, requested by a daily beat task.

Idempotent and forgiving: a pack already requested for that date is not requested again, and a
date missed while beat was down is still picked up within ``CATCH_UP_DAYS``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import date_format

from registers.calendar import (
    calendar_months,
    last_month_end_before,
    next_month_end_from,
    organisation_today,
)
from registers.models import Organisation

from ..models import Pack, PackEdition, PackKind
from .services import (
    PackAlreadyReleased,
    PackAlreadyRequested,
    PackQueueUnavailable,
    pack_request,
)

logger = logging.getLogger(__name__)

CATCH_UP_DAYS = 7


def _scheduled_months(organisation: Organisation) -> list[tuple[str, list[int]]]:
    """Each kind of scheduled pack with the months it is built after. No months stored, no
    packs of that kind (the periods default to the standard quarters; the schedule does not)."""
    return [
        (PackKind.QUARTERLY, calendar_months(organisation.quarter_end_months, default=())),
        (PackKind.COMMITTEE, calendar_months(organisation.committee_months, default=())),
    ]


def packs_due(*, organisation: Organisation, today: dt.date) -> list[tuple[str, dt.date]]:
    """(kind, as-of date) of the scheduled packs whose date passed in the last CATCH_UP_DAYS."""
    due = []
    for kind, months in _scheduled_months(organisation):
        end = last_month_end_before(months, today)
        if end is not None and (today - end).days <= CATCH_UP_DAYS:
            due.append((kind, end))
    return due


def request_scheduled_packs(*, today: dt.date | None = None) -> list[Pack]:
    """Request every scheduled pack that is due and not yet requested, in both editions. They
    are built as drafts: a coordinator reads and releases each (``release.py``) before the panel
    sees it; the Reports page lists them for coordinators as "Draft". Due by ``today``, by
    default each organisation's own: a pack as at the end of a day is not built while that day
    is still going on where the organisation is."""
    requested = []
    for organisation in Organisation.objects.order_by("slug"):
        day = today or organisation_today(organisation)
        for kind, as_of in packs_due(organisation=organisation, today=day):
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
                except (PackAlreadyRequested, PackAlreadyReleased):
                    continue  # a concurrent run (or a coordinator) requested it just now
                except PackQueueUnavailable as unavailable:
                    # Failed with the reason and Retry offered; the other organisations still
                    # get theirs.
                    logger.warning("Scheduled pack %s could not be queued", unavailable.pack.pk)
                except ValidationError as refused:
                    # A day before the organisation's records begin (decision 143): nothing to
                    # show, so no pack; the other organisations still get theirs.
                    logger.warning(
                        "Scheduled %s pack of %s as at %s refused: %s",
                        kind,
                        organisation.slug,
                        as_of,
                        " ".join(refused.messages),
                    )
    return requested


# What a Reports page (and Your reports) with no packs says: who builds them, and when the next
# one is due. Told to the reader: a coordinator or admin is told what they do, on the page where
# they do it, not that "risk coordinators ... request packs on its Reports page" (decision 125).
PACKS_BUILT_BY = (
    "Risk coordinators and admins of {organisation} request packs on its Reports page, for any "
    "date."
)
PACKS_BUILT_BY_HERE = (
    "Risk coordinators and admins of {organisation} request packs, for any date: each is listed "
    "here once they release it."
)
PACKS_YOU_BUILD = "You request {organisation}'s packs on its Reports page, for any date."
PACKS_YOU_BUILD_HERE = "Request a pack with the form below, for any date."
NEXT_PACK_AUTOMATIC = (
    "The next {kind} pack, as at {as_of}, will be built automatically on {built_on}, in both "
    "editions, as drafts for a coordinator to read and release."
)
NEXT_PACK_AUTOMATIC_FOR_YOU = (
    "The next {kind} pack, as at {as_of}, will be built automatically on {built_on}, in both "
    "editions, as drafts for you to read and release."
)
# Without a broker there is no beat (the in-process demo): nothing is built on a calendar.
NEXT_PACK_ON_REQUEST = (
    "The next {kind} pack falls due as at {as_of}; packs are not built automatically here, so a "
    "coordinator requests it."
)
NEXT_PACK_ON_REQUEST_FOR_YOU = (
    "The next {kind} pack falls due as at {as_of}; packs are not built automatically here, so "
    "request it once that day is over."
)


@dataclass(frozen=True)
class ScheduledPack:
    kind: str
    as_of: dt.date
    built_on: dt.date  # the daily beat task requests it the morning after ``as_of``


def next_scheduled_packs(*, organisation: Organisation, today: dt.date) -> list[ScheduledPack]:
    """The next pack of each kind on the organisation's calendar, soonest first. A pack whose
    date ended yesterday is still the next one today: beat builds it this morning."""
    upcoming = []
    for kind, months in _scheduled_months(organisation):
        end = next_month_end_from(months, today - dt.timedelta(days=1))
        if end is not None:
            upcoming.append(ScheduledPack(kind, end, end + dt.timedelta(days=1)))
    return sorted(upcoming, key=lambda pack: pack.built_on)


def packs_schedule_notes(
    *, organisation: Organisation, today: dt.date, requester: bool = False, here: bool = False
) -> list[str]:
    """Who builds the organisation's packs and when the next ones are due, in sentences for the
    reader: ``requester`` (a coordinator or admin there) is told what they do; ``here`` is the
    organisation's own Reports page (else Your reports, which points to it)."""
    automatic = not settings.CELERY_TASK_ALWAYS_EAGER
    if requester:
        who = PACKS_YOU_BUILD_HERE if here else PACKS_YOU_BUILD
        automatic_note, on_request_note = NEXT_PACK_AUTOMATIC_FOR_YOU, NEXT_PACK_ON_REQUEST_FOR_YOU
    else:
        who = PACKS_BUILT_BY_HERE if here else PACKS_BUILT_BY
        automatic_note, on_request_note = NEXT_PACK_AUTOMATIC, NEXT_PACK_ON_REQUEST
    notes = [who.format(organisation=organisation.display_name)]
    for pack in next_scheduled_packs(organisation=organisation, today=today):
        template = automatic_note if automatic else on_request_note
        notes.append(
            template.format(
                kind=pack.kind,  # "quarterly", "committee": the words people use
                as_of=date_format(pack.as_of, "j F Y"),
                built_on=date_format(pack.built_on, "j F Y"),
            )
        )
    return notes
