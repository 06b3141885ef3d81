"""A pack's life after its build (issue 16): a built pack is a draft that only coordinators and
admins read; one of them writes its executive summary and releases it; releasing builds the final
copy (the same content, without the DRAFT marks) and, once that is stored, e-mails the panel a
link to it with the file's SHA-256. A released pack never changes: a correction is a new pack,
the next version, saying what it corrects.

A release waiting for its final build is a pack with ``released_by`` set and ``released_at``
empty (``pack_build`` finishes it: ``pack_release_finish``).
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from registers.services.organisations import registers_key_share
from reporting.models import Pack, PackStatus

from .proof import PACK_RELEASED_UNCHANGEABLE, pack_identifier
from .services import (
    PackAlreadyReleased,
    PackAlreadyRequested,
    PackQueueUnavailable,
    _active_twin,
    _enqueue_on_commit,
    pack_registers,
    released_twin,
)

logger = logging.getLogger("riskreg.security")

PACK_NOT_READY_TO_RELEASE = (
    "Only a built draft can be released: wait for it to be ready, or retry it if it failed."
)
PACK_RELEASE_BESIDE_RELEASED = (
    "{label} is already released for this date and edition, and this draft does not say what it "
    "corrects. Open {label} and use “Correct this pack” instead: it asks what the new version "
    "corrects, and the panel's list then shows version {version} as replaced."
)
PACK_RELEASE_UNDER_WAY = "This pack is being released: its final copy is being built."
PACK_CORRECTS_ONLY_RELEASED = "Only a released pack can be corrected: edit the draft instead."
PACK_CORRECTION_NOTE_REQUIRED = "Say what this version corrects."
PACK_ALREADY_CORRECTED = (
    "Version {version} already corrects this pack: release or correct that one instead."
)
PACK_BUSY = "The same pack (kind, edition and date) is being built now: try again when it is ready."
SUMMARY_MAX_LENGTH = 6000
SUMMARY_TOO_LONG = f"Keep the summary to {SUMMARY_MAX_LENGTH} characters: it prints on one page."


def _refuse_if_released(pack: Pack) -> None:
    if pack.released_at is not None:
        raise ValidationError(PACK_RELEASED_UNCHANGEABLE)
    if pack.released_by_id is not None:
        raise ValidationError(PACK_RELEASE_UNDER_WAY)


def pack_refuse_change(pack: Pack) -> None:
    """Raise the rule's message if ``pack`` may no longer change (released, or being released):
    the build, retry and summary services ask it."""
    _refuse_if_released(pack)


def _requeue(pack: Pack, **fields) -> Pack:
    """Send a ready draft back to the queue (with ``fields`` changed), refused if an identical
    pack is already building (one active build per pack)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                claimed = (
                    Pack.objects.filter(pk=pack.pk, status=PackStatus.READY)
                    .filter(released_at__isnull=True)
                    .update(
                        status=PackStatus.QUEUED,
                        queued_at=timezone.now(),
                        queue_sends=1,
                        error="",
                        **fields,
                    )
                )
        except IntegrityError:
            raise ValidationError(PACK_BUSY) from None
        if not claimed:
            pack.refresh_from_db()
            _refuse_if_released(pack)
            raise ValidationError(PACK_NOT_READY_TO_RELEASE)
        pack.refresh_from_db()
        outcome = _enqueue_on_commit(pack)
    if outcome.get("queued") is False:
        pack.refresh_from_db()
        raise PackQueueUnavailable(pack)
    return pack


def pack_summary_save(*, pack: Pack, summary: str, by) -> Pack:
    """Store the draft's executive summary and build the draft again so its first page prints
    it. An empty summary means the generated draft is printed."""
    pack.refresh_from_db()
    _refuse_if_released(pack)
    summary = summary.strip().replace("\r\n", "\n")
    if len(summary) > SUMMARY_MAX_LENGTH:
        raise ValidationError({"summary": SUMMARY_TOO_LONG})
    if pack.status != PackStatus.READY:
        raise ValidationError(PACK_NOT_READY_TO_RELEASE)
    pack = _requeue(pack, summary=summary)
    logger.info(
        "pack summary: user=%s organisation=%s pack=%s %s v%s",
        getattr(by, "pk", "-"),
        pack.organisation.slug,
        pack.pk,
        pack_identifier(pack),
        pack.version,
    )
    return pack


def pack_release(*, pack: Pack, by) -> Pack:
    """Release a ready draft: its final copy (no DRAFT marks) is built, and once stored the pack
    is released and its panel e-mailed (``pack_release_finish``)."""
    pack.refresh_from_db()
    _refuse_if_released(pack)
    if pack.status != PackStatus.READY or not pack.file:
        raise ValidationError(PACK_NOT_READY_TO_RELEASE)
    if pack.corrects_id is None:
        # Another version of this pack released (or being released): this draft would stand
        # beside it saying nothing of what it replaces; a correction says (decision 134).
        twin = released_twin(
            organisation_id=pack.organisation_id,
            kind=pack.kind,
            edition=pack.edition,
            as_of=pack.as_of,
            other_than=pack.pk,
        )
        if twin is not None:
            raise PackAlreadyReleased(twin, message=PACK_RELEASE_BESIDE_RELEASED)
    pack = _requeue(pack, released_by=by)
    logger.info(
        "pack release requested: user=%s organisation=%s pack=%s %s v%s",
        getattr(by, "pk", "-"),
        pack.organisation.slug,
        pack.pk,
        pack_identifier(pack),
        pack.version,
    )
    return pack


def pack_correct(*, pack: Pack, by, note: str) -> Pack:
    """A new draft correcting a released pack: the same organisation, kind, edition, date and
    registers, the next version, ``note`` saying what it corrects; queued for its build."""
    note = (note or "").strip()
    pack.refresh_from_db()
    if pack.released_at is None:
        raise ValidationError(PACK_CORRECTS_ONLY_RELEASED)
    if not note:
        raise ValidationError({"correction_note": PACK_CORRECTION_NOTE_REQUIRED})
    existing = pack.corrections.filter(released_at__isnull=True).order_by("-version").first()
    if existing is not None:
        raise ValidationError(PACK_ALREADY_CORRECTED.format(version=existing.version))
    latest = (
        Pack.objects.filter(
            organisation=pack.organisation, kind=pack.kind, edition=pack.edition, as_of=pack.as_of
        )
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    registers = pack_registers(pack)
    with transaction.atomic():
        # Held until the correction is saved: a pack that named no registers is corrected with
        # the top-level ones as they are now, and one deleted meanwhile is refused by name, not
        # a failure at commit (a 500); once saved, the correction keeps them (decision 112).
        registers_key_share(registers)
        try:
            with transaction.atomic():
                correction = Pack(
                    organisation=pack.organisation,
                    kind=pack.kind,
                    edition=pack.edition,
                    as_of=pack.as_of,
                    requested_by=by,
                    summary=pack.summary,
                    three_quarters=pack.three_quarters,
                    version=max(latest or 1, pack.version) + 1,
                    corrects=pack,
                    correction_note=note,
                    queued_at=timezone.now(),
                    queue_sends=1,
                )
                correction.full_clean(exclude=["file", "docx"])
                correction.save()
                correction.registers.set(registers)
                correction.deep_dive_risks.set(pack.deep_dive_risks.all())
        except IntegrityError:
            twin = _active_twin(
                organisation_id=pack.organisation_id,
                kind=pack.kind,
                edition=pack.edition,
                as_of=pack.as_of,
            )
            if twin is None:
                raise
            raise PackAlreadyRequested(twin) from None
        outcome = _enqueue_on_commit(correction)
    if outcome.get("queued") is False:
        correction.refresh_from_db()
        raise PackQueueUnavailable(correction)
    logger.info(
        "pack correction: user=%s organisation=%s pack=%s %s v%s corrects v%s",
        getattr(by, "pk", "-"),
        pack.organisation.slug,
        correction.pk,
        pack_identifier(correction),
        correction.version,
        pack.version,
    )
    return correction
