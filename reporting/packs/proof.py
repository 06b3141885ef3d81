"""What a pack's PDF prints to prove which pack it is (issue 16): its identifier and version on
every page footer, "DRAFT – not released" until it is released, and the executive summary on its
first page. Read by ``services.pack_build`` (through ``pack_render``) and the pages."""

from __future__ import annotations

from dataclasses import dataclass

from reporting.models import Pack, PackEdition

PACK_RELEASED_UNCHANGEABLE = (
    "This pack has been released, so it cannot change: correct it with a new version instead."
)


# Ends the public edition's identifier: the full and the public edition of one date are two
# files, and a panel member comparing identifiers must be able to tell them apart (decision 124).
PUBLIC_SUFFIX = "-PUBLIC"


def pack_identifier(pack: Pack) -> str:
    """What every page footer, the Word edition's footer, the pack's page, the Reports page and
    the release e-mail call the pack: "MET-COMMITTEE-2026-09-30" for the full edition,
    "MET-COMMITTEE-2026-09-30-PUBLIC" for the public one (with its version: "... v2"), as the
    files are named (``met-committee-2026-09-30-full.pdf``, ``...-public.pdf``)."""
    identifier = f"{pack.organisation.slug.upper()}-{pack.kind.upper()}-{pack.as_of.isoformat()}"
    return identifier + (PUBLIC_SUFFIX if pack.edition == PackEdition.PUBLIC else "")


def packs_replaced(packs) -> list[Pack]:
    """The packs, each with ``replaced_by``: the released version that replaces it, if any (one
    query for the whole list). That is its latest released correction; failing that, the latest
    released later version of the same organisation, kind, edition and date (one requested
    beside a released pack before such requests were refused, decision 134, says what it
    corrects nowhere, but still replaces it)."""
    packs = list(packs)
    later: dict[tuple, list[Pack]] = {}
    if packs:
        released = Pack.objects.filter(
            released_at__isnull=False,
            organisation_id__in={pack.organisation_id for pack in packs},
            as_of__in={pack.as_of for pack in packs},
        )
        for version in released:
            later.setdefault(_same_pack(version), []).append(version)
    for pack in packs:
        newer = [v for v in later.get(_same_pack(pack), ()) if v.version > pack.version]
        corrections = [v for v in newer if v.corrects_id == pack.pk]
        chosen = corrections or newer
        pack.replaced_by = max(chosen, key=lambda v: v.version) if chosen else None
    return packs


def _same_pack(pack: Pack) -> tuple:
    return (pack.organisation_id, pack.kind, pack.edition, pack.as_of)


@dataclass(frozen=True)
class PackProof:
    """What the PDF prints to prove which pack it is: identifier and version on every footer,
    the DRAFT mark until released, the executive summary on the first page."""

    identifier: str
    version: int
    draft: bool
    summary: str
    summary_generated: bool
    correction_note: str = ""
    corrects_version: int | None = None

    @property
    def label(self) -> str:
        return f"{self.identifier} v{self.version}"


def pack_proof(*, pack: Pack, data) -> PackProof:
    """The proof for a build of ``pack`` from its ``data``: a release waiting for its final
    build prints no DRAFT mark; an empty summary prints the generated draft."""
    from .summary import summary_draft

    summary = pack.summary.strip()
    return PackProof(
        identifier=pack_identifier(pack),
        version=pack.version,
        draft=pack.released_at is None and pack.released_by_id is None,
        summary=summary or summary_draft(data),
        summary_generated=not summary,
        correction_note=pack.correction_note,
        corrects_version=pack.corrects.version if pack.corrects_id else None,
    )
