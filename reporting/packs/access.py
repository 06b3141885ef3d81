"""Which report packs a member may see, download and request: the one place the Reports page,
its status fragment, the download and the cross-organisation "Your reports" page ask.

A full edition carries every risk's OFFICIAL-SENSITIVE detail, so it exists only for members
cleared for it (``OrganisationAccess.can_read_full_packs``: admins and coordinators always,
others when an admin has cleared them). Everyone else is shown, and may download, the public
edition only; a full edition is a 404 to them, as anything outside their reach is.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from registers import permissions
from registers.models import Marking
from registers.selectors import risks_as_of

from ..models import Pack, PackEdition

PUBLIC_EDITION_OUTDATED = (
    "This public edition was built before one of its risks was marked OFFICIAL-SENSITIVE, so it "
    "may hold detail you are not cleared for. Ask a risk coordinator to build it again."
)
FULL_EDITION_REFUSED = (
    "The full edition includes OFFICIAL-SENSITIVE detail: only members cleared for it may "
    "request it. Choose the public edition."
)


def readable_editions(access) -> list[str]:
    if access.can_read_full_packs:
        return [PackEdition.FULL, PackEdition.PUBLIC]
    return [PackEdition.PUBLIC]


def can_read_drafts(access) -> bool:
    """Drafts (built, not yet released) are read, summarised, released and corrected by
    coordinators and admins; everyone else sees released packs only (issue 16)."""
    return access.role in permissions.COORDINATOR_ROLES


def packs_for_user(*, access) -> QuerySet[Pack]:
    """The organisation's packs in the editions the member may read: every pack (drafts and
    builds too) for coordinators and admins, the released ones for everyone else."""
    packs = Pack.objects.filter(
        organisation=access.organisation, edition__in=readable_editions(access)
    )
    if not can_read_drafts(access):
        packs = packs.filter(released_at__isnull=False)
    return packs


def pack_for_user(*, access, pk: int) -> Pack:
    pack = packs_for_user(access=access).filter(pk=pk).first()
    if pack is None:
        permissions.log_refusal(
            access.user, access.organisation.slug, f"no pack {pk} in an edition they may read"
        )
        raise Http404("No such pack")
    return pack


def packs_everywhere_for_user(*, memberships) -> QuerySet[Pack]:
    """Packs of every organisation of these memberships (one person's), each organisation's in
    the editions that person may read there."""
    full, public, drafts = [], [], []
    for membership in memberships:
        access = permissions.OrganisationAccess(membership.organisation, membership)
        (full if access.can_read_full_packs else public).append(membership.organisation_id)
        if can_read_drafts(access):
            drafts.append(membership.organisation_id)
    readable = Q(organisation_id__in=full) | Q(
        organisation_id__in=public, edition=PackEdition.PUBLIC
    )
    return Pack.objects.filter(
        readable & (Q(released_at__isnull=False) | Q(organisation_id__in=drafts))
    )


def public_pack_outdated(*, access, pack: Pack) -> bool:
    """Whether a public edition holds detail this member may no longer read: it was built (its
    OFFICIAL-SENSITIVE risks judged then) before a risk that is withheld from them today was
    marked. One query, and none for cleared members."""
    withheld = access.withheld_risk_ids
    if pack.edition != PackEdition.PUBLIC or not withheld:
        return False
    built = pack.finished_at or pack.created_at
    return (
        risks_as_of(organisation=access.organisation, moment=built)
        .filter(id__in=withheld)
        .exclude(marking=Marking.OFFICIAL_SENSITIVE)
        .exists()
    )
