"""Request and build committee packs. The Celery task, the web button and the build_pack command
all end up in ``pack_build``."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from registers.calendar import organisation_today
from registers.models import Register
from registers.selectors import top_registers
from registers.selectors.records_begin import earliest_as_of
from registers.services.organisations import registers_key_share
from reporting.models import ACTIVE_PACK_STATUSES, Pack, PackEdition, PackKind, PackStatus

from .announce import pack_release_finish
from .data import PackDataError, pack_data
from .docx import docx_filename, render_docx_for
from .enqueue import BUILD_PACK, task_send
from .layout import pack_options
from .proof import PACK_RELEASED_UNCHANGEABLE, pack_identifier, pack_proof
from .render import render_pdf

logger = logging.getLogger(__name__)


class TransientPackError(Exception):
    """A failure worth retrying (storage or database briefly unavailable)."""


PACK_REGISTERS_OTHER_ORGANISATION = "Choose registers of this organisation."
PACK_DEEP_DIVE_OTHER_ORGANISATION = "Choose deep-dive risks of this organisation."
PACK_REGISTERS_NONE = "Choose at least one register for the pack to cover."


def pack_registers_default(*, organisation) -> list[Register]:
    """The registers a new pack covers unless others are chosen: those the organisation's admin
    chose for its packs (the registers settings page; archived ones left out), else those
    chosen for its latest pack that names any (so the scheduled packs follow the committee's
    last choice), else its top-level registers in use."""
    in_use = Register.objects.filter(organisation=organisation, archived_at__isnull=True)
    chosen = list(in_use.filter(pk__in=organisation.pack_registers.values("pk")).order_by("id"))
    if chosen:
        roots = top_registers(chosen)
        return roots + [register for register in chosen if register not in roots]
    latest = (
        Pack.objects.filter(organisation=organisation, registers__isnull=False)
        .order_by("-created_at", "-pk")
        .first()
    )
    if latest is not None:
        chosen = list(latest.registers.filter(archived_at__isnull=True).order_by("id"))
        roots = top_registers(chosen)
        if chosen:
            return roots + [register for register in chosen if register not in roots]
    return top_registers(in_use.order_by("id"))


def pack_registers(pack: Pack) -> list[Register]:
    """The registers a pack covers: those chosen for it, or (packs requested before a choice
    was recorded) the organisation's top-level registers."""
    chosen = list(pack.registers.order_by("id"))
    if chosen:
        return chosen
    return top_registers(Register.objects.filter(organisation=pack.organisation).order_by("id"))


PACK_IN_THE_FUTURE = (
    "A pack can only show the registers as they were: choose a date that is not in the future."
)
# A pack as at a day before anything was recorded would show nothing ("Open risks 0") and
# compare it with a day earlier still (decision 143).
PACK_BEFORE_RECORDS = (
    "Records on riskreg for {organisation} begin on {day}: choose {day} or a later date (a pack "
    "as at an earlier day would have nothing to show)."
)


def pack_as_of_check(*, organisation, as_of: dt.date) -> dt.date:
    """``as_of`` if a pack of ``organisation`` can be as at it: not after the organisation's
    today, not before its records begin (``earliest_as_of``); else ValidationError on
    ``as_of``. The one rule the Reports page's form, ``pack_request`` (scheduled and demo packs
    too) and ``build_pack`` apply."""
    if as_of > organisation_today(organisation):  # the organisation's day, not the server's
        raise ValidationError({"as_of": PACK_IN_THE_FUTURE})
    earliest = earliest_as_of(organisation)
    if as_of < earliest:
        raise ValidationError(
            {
                "as_of": PACK_BEFORE_RECORDS.format(
                    organisation=organisation.name, day=f"{earliest:%-d %B %Y}"
                )
            }
        )
    return as_of


def _validate(*, organisation, kind: str, as_of: dt.date, edition: str) -> None:
    if kind not in PackKind.values:
        raise ValidationError({"kind": "Choose quarterly or committee."})
    if edition not in PackEdition.values:
        raise ValidationError({"edition": "Choose the full or the public edition."})
    if not isinstance(as_of, dt.date):
        raise ValidationError({"as_of": "Enter the date the pack is as at."})
    pack_as_of_check(organisation=organisation, as_of=as_of)


# What a person reads when the queue (the Celery broker, Redis) cannot take the build; the pack
# is marked failed with it, so Retry is offered.
PACK_QUEUE_UNAVAILABLE = (
    "The queue that builds packs is unavailable, so this pack was not started. Try again in a "
    "few minutes; if it keeps happening, tell your administrator."
)
PACK_ALREADY_REQUESTED = (
    "This pack is already being built: it is in the list below and will be ready in a minute "
    "or two."
)
# A pack of the same organisation, kind, edition and date as a released one would share its
# identifier and stand beside it on the panel's list as a second, unmarked "ready" pack: the
# only way to a new version of a released pack is its correction, which says what it corrects.
PACK_ALREADY_RELEASED = (
    "{label} is already released for this date and edition. To replace it, open it and use "
    "“Correct this pack” on its page: it asks what the new version corrects, and the panel's "
    "list then shows version {version} as replaced."
)
PACK_BEING_RELEASED = (
    "{label} is being released for this date and edition (if its release failed, retry it on "
    "its page). Once it is released, replace it with “Correct this pack”, which asks what the "
    "new version corrects."
)
PACK_NEVER_STARTED = (
    "The build never started: it waited in the queue too long, even when sent again (the packs "
    "worker may be stopped). Nothing was built. Retry it; if it keeps happening, tell your "
    "administrator."
)
# Sending a build to the queue from a web request: one quick retry, then give up, so a dead
# broker costs the person seconds, not a hung page (connect and socket timeouts are in
# CELERY_BROKER_TRANSPORT_OPTIONS).
ENQUEUE_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}


class PackQueueUnavailable(ValidationError):
    """The build could not be queued; ``pack`` is marked failed (retryable) with the reason."""

    def __init__(self, pack: Pack):
        super().__init__({NON_FIELD_ERRORS: [PACK_QUEUE_UNAVAILABLE]})
        self.pack = pack


class PackAlreadyRequested(ValidationError):
    """An identical pack is already queued or building; ``pack`` is that one."""

    def __init__(self, pack: Pack):
        super().__init__({NON_FIELD_ERRORS: [PACK_ALREADY_REQUESTED]})
        self.pack = pack


class PackAlreadyReleased(ValidationError):
    """A pack of the same organisation, kind, edition and date is released (or being
    released); ``pack`` is the latest such version, the one a correction would replace."""

    def __init__(self, pack: Pack, *, message: str = PACK_ALREADY_RELEASED):
        label = f"{pack_identifier(pack)} v{pack.version}"
        if pack.released_at is None:  # its final copy is building, or failed to
            message = PACK_BEING_RELEASED
        message = message.format(label=label, version=pack.version)
        super().__init__({NON_FIELD_ERRORS: [message]})
        self.pack = pack


def _twins(*, organisation_id: int, kind: str, edition: str, as_of: dt.date):
    """Every version of one pack: the same organisation, kind, edition and date."""
    return Pack.objects.filter(
        organisation_id=organisation_id, kind=kind, edition=edition, as_of=as_of
    )


def released_twin(
    *, organisation_id: int, kind: str, edition: str, as_of: dt.date, other_than: int | None = None
) -> Pack | None:
    """The latest version of the pack released or being released (its final copy building, or
    failed to build), other than pack ``other_than``: the one a correction would replace."""
    twins = _twins(organisation_id=organisation_id, kind=kind, edition=edition, as_of=as_of)
    if other_than is not None:
        twins = twins.exclude(pk=other_than)
    return (
        twins.filter(Q(released_at__isnull=False) | Q(released_by__isnull=False))
        .select_related("organisation")
        .order_by("-version")
        .first()
    )


def _active_twin(*, organisation_id: int, kind: str, edition: str, as_of: dt.date) -> Pack | None:
    return (
        _twins(organisation_id=organisation_id, kind=kind, edition=edition, as_of=as_of)
        .filter(status__in=ACTIVE_PACK_STATUSES)
        .order_by("created_at")
        .first()
    )


def _failed_twin(
    *, organisation_id: int, kind: str, edition: str, as_of: dt.date, registers: list[Register]
) -> Pack | None:
    """The latest failed pack identical to a request, registers and all: asking for it again
    means "build it now", so it is retried in place rather than joined by a second failed row."""
    wanted = {register.pk for register in registers}
    failed = Pack.objects.filter(
        organisation_id=organisation_id,
        kind=kind,
        edition=edition,
        as_of=as_of,
        status=PackStatus.FAILED,
    ).order_by("-created_at", "-pk")
    for pack in failed:
        if {register.pk for register in pack_registers(pack)} == wanted:
            return pack
    return None


def pack_enqueue(pack_id: int) -> bool:
    """Send the pack's build to the queue. If the broker cannot take it, the pack is marked
    failed with ``PACK_QUEUE_UNAVAILABLE`` (retry is offered) instead of saying "queued" for
    ever, and False is returned. Runs after the row is committed (``on_commit``), so a worker
    never looks for a pack it cannot see yet."""
    try:
        task_send(BUILD_PACK, args=[pack_id], retry_policy=ENQUEUE_RETRY_POLICY)
    except (KombuOperationalError, OSError) as error:
        logger.warning("Pack %s could not be queued: %s", pack_id, error)
        # Only a pack still waiting: a build that somehow started keeps its own status.
        Pack.objects.filter(pk=pack_id, status=PackStatus.QUEUED).update(
            status=PackStatus.FAILED, error=PACK_QUEUE_UNAVAILABLE, finished_at=timezone.now()
        )
        return False
    return True


def _enqueue_on_commit(pack: Pack) -> dict:
    """Enqueue once the transaction commits; the returned dict says, after the outermost
    ``atomic`` block has exited, whether the broker refused (empty while still pending)."""
    outcome: dict = {}
    transaction.on_commit(lambda: outcome.update(queued=pack_enqueue(pack.id)))
    return outcome


def pack_request(
    *,
    organisation,
    kind: str,
    as_of: dt.date,
    edition: str = PackEdition.FULL,
    user=None,
    scheduled: bool = False,
    registers=None,
    three_quarters: bool = False,
    deep_dive_risks=(),
    release_by=None,
) -> Pack:
    """A queued pack covering ``registers`` (default: ``pack_registers_default``); its build is
    enqueued once the transaction commits. With ``release_by`` (a coordinator; the demo's
    packs) it is released by them as soon as it is built, with no draft (``release.py``).

    An identical pack (registers too) that failed is retried in place, as its Retry button
    would, and returned with ``retried`` set, instead of a second pack being made.

    Raises ``PackAlreadyReleased`` (holding it) when a pack of the same organisation, kind,
    edition and date is released or being released: a new version of it is its correction
    (``release.pack_correct``), which says what it corrects. Raises ``PackAlreadyRequested``
    (holding that pack) when an identical pack is queued or building, and
    ``PackQueueUnavailable`` (holding the pack, now failed and retryable) when the queue cannot
    take the build."""
    _validate(organisation=organisation, kind=kind, as_of=as_of, edition=edition)
    if registers is None:  # an organisation with no register yet gets an empty pack
        registers = pack_registers_default(organisation=organisation)
    elif not registers:
        raise ValidationError({"registers": PACK_REGISTERS_NONE})
    registers = list(registers)
    if any(register.organisation_id != organisation.pk for register in registers):
        raise ValidationError({"registers": PACK_REGISTERS_OTHER_ORGANISATION})
    deep_dive_risks = list(deep_dive_risks or ())
    if any(risk.organisation_id != organisation.pk for risk in deep_dive_risks):
        raise ValidationError({"deep_dive_risks": PACK_DEEP_DIVE_OTHER_ORGANISATION})
    twin = {"organisation_id": organisation.pk, "kind": kind, "edition": edition, "as_of": as_of}
    released = released_twin(**twin)
    if released is not None:
        raise PackAlreadyReleased(released)
    failed = _failed_twin(**twin, registers=registers)
    if failed is not None:
        pack = pack_retry(pack=failed)
        pack.retried = True
        return pack
    with transaction.atomic():
        # Held until the pack is saved, so a register deleted meanwhile is refused by name, not
        # a failure at commit (a 500); once saved, the pack keeps them (decision 112).
        try:
            registers_key_share(registers)
        except ValidationError as exc:
            raise ValidationError({"registers": exc.messages}) from None
        try:
            # The savepoint keeps an outer transaction usable when the constraint refuses.
            with transaction.atomic():
                # The next version of an organisation, kind, edition and date already built, so
                # a pack's identifier and version ("MET-QUARTERLY-2026-03-31 v2") name one pack.
                latest = (
                    Pack.objects.filter(**twin)
                    .order_by("-version")
                    .values_list("version", flat=True)
                ).first()
                pack = Pack.objects.create(
                    organisation=organisation,
                    kind=kind,
                    edition=edition,
                    as_of=as_of,
                    version=(latest or 0) + 1,
                    requested_by=user,
                    scheduled=scheduled,
                    released_by=release_by,
                    queued_at=timezone.now(),
                    queue_sends=1,
                    three_quarters=three_quarters and kind == PackKind.QUARTERLY,
                )
                pack.registers.set(registers)
                pack.deep_dive_risks.set(deep_dive_risks)
        except IntegrityError:
            existing = _active_twin(**twin)
            if existing is None:  # finished between the insert and this read: not a duplicate
                raise
            raise PackAlreadyRequested(existing) from None
        outcome = _enqueue_on_commit(pack)
    if outcome.get("queued") is False:
        pack.refresh_from_db()
        raise PackQueueUnavailable(pack)
    return pack


def pack_retry(*, pack: Pack) -> Pack:
    """Queue a failed pack again (``PackAlreadyRequested`` if an identical pack is on its way,
    ``PackQueueUnavailable`` if the queue still cannot take it)."""
    if pack.released_at is not None:
        raise ValidationError(PACK_RELEASED_UNCHANGEABLE)
    if pack.status != PackStatus.FAILED:
        raise ValidationError("Only a failed pack can be retried.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                # Only while still failed: of two retries at once (a double click, or a request
                # for the same pack), the second finds it queued and is told so.
                claimed = Pack.objects.filter(pk=pack.pk, status=PackStatus.FAILED).update(
                    status=PackStatus.QUEUED, error="", queued_at=timezone.now(), queue_sends=1
                )
        except IntegrityError:
            existing = _active_twin(
                organisation_id=pack.organisation_id,
                kind=pack.kind,
                edition=pack.edition,
                as_of=pack.as_of,
            )
            if existing is None:
                raise
            raise PackAlreadyRequested(existing) from None
        pack.refresh_from_db()
        if not claimed:
            if pack.status in ACTIVE_PACK_STATUSES:
                raise PackAlreadyRequested(pack)
            raise ValidationError("Only a failed pack can be retried.")
        outcome = _enqueue_on_commit(pack)
    if outcome.get("queued") is False:
        pack.refresh_from_db()
        raise PackQueueUnavailable(pack)
    return pack


def pack_filename(pack: Pack) -> str:
    """``aberdeen-quarterly-2026-12-07-public.pdf``; a later version ends ``-v2.pdf``, so two
    versions downloaded side by side are never one file name."""
    name = f"{pack.organisation.slug}-{pack.kind}-{pack.as_of.isoformat()}-{pack.edition}"
    return f"{name}-v{pack.version}.pdf" if pack.version > 1 else f"{name}.pdf"


def pack_render(
    *,
    organisation,
    kind: str,
    as_of: dt.date,
    edition: str = PackEdition.FULL,
    registers=None,
    pack: Pack | None = None,
    word: bool = False,
):
    """The PDF bytes and page count, built synchronously (the command's path too). With
    ``pack``, the PDF prints its proof: identifier and version on every footer, DRAFT until
    released, the executive summary first (``proof.pack_proof``)."""
    data = pack_data(
        organisation=organisation,
        kind=kind,
        as_of=as_of,
        edition=edition,
        registers=registers,
        **pack_options(pack),
    )
    if pack is not None:
        data.proof = pack_proof(pack=pack, data=data)
    rendered = render_pdf(data)
    if word:  # the Word edition, from the same data
        rendered.docx = render_docx_for(data)
    return rendered


def pack_build(pack: Pack) -> Pack:
    """Build the pack's PDF now: building -> ready, or failed with a readable reason. A failure
    leaves no file behind. A released pack never changes; a release waiting for its final
    copy (``released_by`` set) is released when this build is stored, and its panel told."""
    if pack.released_at is not None:
        raise ValidationError(PACK_RELEASED_UNCHANGEABLE)
    Pack.objects.filter(pk=pack.pk).update(
        status=PackStatus.BUILDING,
        started_at=timezone.now(),
        attempts=pack.attempts + 1,
        error="",
    )
    pack.refresh_from_db()
    try:
        rendered = pack_render(
            organisation=pack.organisation,
            kind=pack.kind,
            as_of=pack.as_of,
            edition=pack.edition,
            registers=pack_registers(pack),
            pack=pack,
            word=True,
        )
    except TransientPackError:
        raise
    except SoftTimeLimitExceeded:
        logger.warning("Pack %s stopped at the packs worker's soft time limit", pack.pk)
        return _fail(
            pack,
            "The build ran past the packs worker's time limit and was stopped. Retry it; if it "
            "stops again, ask your administrator to raise PACK_SOFT_TIME_LIMIT.",
        )
    except PackDataError as error:
        return _fail(pack, str(error))
    except Exception as error:  # noqa: BLE001  any failure is reported on the pack
        logger.exception("Pack %s failed to build", pack.pk)
        return _fail(pack, f"The pack could not be built: {type(error).__name__}: {error}")
    old_name = pack.file.name if pack.file else ""
    old_docx = pack.docx.name if pack.docx else ""
    name = docx_name = ""
    try:
        name = pack.file.storage.save(
            pack.file.field.generate_filename(pack, pack_filename(pack)),
            ContentFile(rendered.pdf),
        )
        docx_name = pack.docx.storage.save(
            pack.docx.field.generate_filename(pack, docx_filename(pack_filename(pack))),
            ContentFile(rendered.docx),
        )
        releasing = pack.released_by_id is not None
        # A pack requested released (the demo's) was never a draft anyone waited on: no e-mail.
        was_draft = bool(pack.sha256)
        with transaction.atomic():
            Pack.objects.filter(pk=pack.pk).update(
                released_at=timezone.now() if releasing else None,
                status=PackStatus.READY,
                file=name,
                size=len(rendered.pdf),
                sha256=hashlib.sha256(rendered.pdf).hexdigest(),
                docx=docx_name,
                docx_size=len(rendered.docx),
                docx_sha256=hashlib.sha256(rendered.docx).hexdigest(),
                pages=rendered.pages,
                finished_at=timezone.now(),
                error="",
            )
    except Exception as error:  # noqa: BLE001
        for stored in (name, docx_name):
            if stored:
                pack.file.storage.delete(stored)
        logger.exception("Pack %s could not be stored", pack.pk)
        return _fail(pack, f"The pack was built but could not be stored: {error}")
    for old, new in ((old_name, name), (old_docx, docx_name)):
        if old and old != new:
            pack.file.storage.delete(old)
    pack.refresh_from_db()
    if releasing:
        pack_release_finish(pack=pack, notify=was_draft)
    return pack


STALLED_REASON = (
    "The build stopped without finishing: it ran past the packs worker's hard time limit, or its "
    "worker was stopped or lost. Nothing was stored. Retry it."
)


def packs_fail_stalled(*, now: dt.datetime | None = None) -> int:
    """Mark failed the packs left "building" longer than ``RISKREG_PACK_STALLED_SECONDS``.

    A worker killed mid-build (the hard time limit, out of memory, a host restart) never gets to
    say so: Celery acknowledges the message and the row would say "building" for ever, with no
    retry offered. Beat runs this every few minutes; the threshold is longer than the hard time
    limit, so a build still running is never touched. Returns how many were marked."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.RISKREG_PACK_STALLED_SECONDS)
    # One UPDATE that checks the status itself: a build finishing meanwhile keeps its result.
    marked = Pack.objects.filter(status=PackStatus.BUILDING, started_at__lt=cutoff).update(
        status=PackStatus.FAILED, error=STALLED_REASON, finished_at=now, file=""
    )
    if marked:
        logger.warning("Marked %s stalled pack(s) failed", marked)
    return marked


def packs_sweep_queued(*, now: dt.datetime | None = None) -> int:
    """Packs left "queued" longer than ``RISKREG_PACK_QUEUED_SECONDS``: sent to the queue once
    more, and marked failed (retry offered) if they still wait a limit after that.

    A queued pack whose message was lost (the broker restarted without its data, or the web
    process died between commit and enqueue) would otherwise say "queued" for ever with no
    retry. Beat runs this with the stalled-build sweep. A duplicate message is harmless: the
    task skips a pack that is ready or being built. Returns how many packs were acted on."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.RISKREG_PACK_QUEUED_SECONDS)
    waiting = Pack.objects.filter(status=PackStatus.QUEUED, queued_at__lt=cutoff)
    # Sent twice already and still waiting: nothing is taking builds; say so on the pack.
    failed = waiting.filter(queue_sends__gte=2).update(
        status=PackStatus.FAILED, error=PACK_NEVER_STARTED, finished_at=now
    )
    resent = 0
    for pack_id in waiting.filter(queue_sends__lt=2).values_list("pk", flat=True):
        # Claimed with the status and time it was read at: a build starting meanwhile is left be.
        claimed = Pack.objects.filter(
            pk=pack_id, status=PackStatus.QUEUED, queued_at__lt=cutoff, queue_sends__lt=2
        ).update(queued_at=now, queue_sends=F("queue_sends") + 1)
        if claimed:
            pack_enqueue(pack_id)
            resent += 1
    if failed or resent:
        logger.warning("Queued packs: %s sent to the queue again, %s failed", resent, failed)
    return failed + resent


def _fail(pack: Pack, reason: str) -> Pack:
    Pack.objects.filter(pk=pack.pk).update(
        status=PackStatus.FAILED,
        error=reason[:2000],
        finished_at=timezone.now(),
        file="",
        docx="",
    )
    pack.refresh_from_db()
    return pack
