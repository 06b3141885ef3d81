"""The demo's report packs: each seeded organisation's quarterly and committee packs as at the
date of its source (``demo.seeding.source_day``), so a panel member signing in to a fresh demo
has a real pack to download. Called by ``seed_demo`` after the seeding, through the same
``pack_request`` the Reports page uses.

With a queue (a broker), both editions of both kinds are queued and the worker builds them in the
background. Built in-process (no broker, the embedded demo), only the public editions are built:
they are what every panel member may read, and two packs per organisation keep the first run to
some 20 seconds instead of 45. Coordinators request the full editions on the Reports page.
Each is released by the organisation's coordinator as soon as it is built (no draft), so the
demo's panel members see them. Idempotent: a pack already there (in any state) for that organisation, kind, edition and date is
not requested again.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError

from registers.models import Membership, Organisation, Role
from reporting.models import Pack, PackEdition, PackKind
from reporting.packs.services import (
    PackAlreadyReleased,
    PackAlreadyRequested,
    PackQueueUnavailable,
    pack_request,
)

from .seeding import SEED_ORGANISATIONS, source_day

DEMO_PACK_KINDS = (PackKind.QUARTERLY, PackKind.COMMITTEE)
EDITIONS_QUEUED = (PackEdition.PUBLIC, PackEdition.FULL)
EDITIONS_IN_PROCESS = (PackEdition.PUBLIC,)


class DemoPacksUnqueued(Exception):
    """The broker is configured but does not answer: the packs requested so far are returned in
    ``requested``; the rest are left for a later run (or the Reports page's Retry)."""

    def __init__(self, requested: list[Pack]):
        super().__init__("The queue that builds packs is unavailable")
        self.requested = requested


def _releaser(organisation: Organisation):
    """Who releases the demo's packs: its first coordinator (else admin), so the demo's panel
    members find released packs, not drafts (issue 16)."""
    membership = (
        Membership.objects.filter(
            organisation=organisation, role__in=(Role.COORDINATOR, Role.ADMIN)
        )
        .select_related("user")
        .order_by(
            "-role", "user__email"
        )  # "coordinator" after "admin" backwards: coordinators first
        .first()
    )
    return membership.user if membership else None


def demo_packs_in_process() -> bool:
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


def demo_packs_request(*, in_process: bool | None = None) -> list[Pack]:
    """Request the packs the seeded organisations are missing; returns the new ones (built, when
    in-process; queued otherwise)."""
    if in_process is None:
        in_process = demo_packs_in_process()
    editions = EDITIONS_IN_PROCESS if in_process else EDITIONS_QUEUED
    requested: list[Pack] = []
    for organisation in Organisation.objects.filter(slug__in=SEED_ORGANISATIONS).order_by("slug"):
        as_of = source_day(organisation)
        releaser = _releaser(organisation)
        for kind in DEMO_PACK_KINDS:
            for edition in editions:
                there = Pack.objects.filter(
                    organisation=organisation, kind=kind, edition=edition, as_of=as_of
                ).exists()
                if there:
                    continue
                try:
                    requested.append(
                        pack_request(
                            organisation=organisation,
                            kind=kind,
                            as_of=as_of,
                            edition=edition,
                            release_by=releaser,
                        )
                    )
                except (PackAlreadyRequested, PackAlreadyReleased):
                    continue
                except PackQueueUnavailable as unavailable:
                    # Each further try would wait out the broker's timeouts again: stop here.
                    requested.append(unavailable.pack)
                    raise DemoPacksUnqueued(requested) from None
                except ValidationError:
                    # As at a day before the organisation's records begin (decision 143): the
                    # demo's days are its papers' own, so never; if so, no pack, not a crash.
                    continue
    return requested
