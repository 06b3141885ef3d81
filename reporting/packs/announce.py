"""Telling the panel that a pack was released (issue 16): one e-mail per panel member who may read
it, with a link to the pack (never the file) and the SHA-256 of each released file."""

from __future__ import annotations

import logging

from django.template.loader import render_to_string
from django.urls import reverse

from registers.models import Membership, Role
from reporting.models import Pack, PackEdition
from riskreg import mail

from .proof import pack_identifier

logger = logging.getLogger("riskreg.security")


def pack_release_finish(*, pack: Pack, notify: bool = True) -> None:
    """Called by ``pack_build`` once a release's final copy is stored (``released_at`` set in
    the same write): log it and e-mail the panel, unless ``notify`` is false (a pack requested
    released, the demo's, was never a draft anyone waited on)."""
    logger.info(
        "pack released: user=%s organisation=%s pack=%s %s v%s sha256=%s",
        pack.released_by_id or "-",
        pack.organisation.slug,
        pack.pk,
        pack_identifier(pack),
        pack.version,
        pack.sha256,
    )
    if notify:
        pack_release_notify(pack=pack)


def pack_release_recipients(pack: Pack) -> list[Membership]:
    """The organisation's panel members who may read the pack: every one for a public edition,
    those cleared for OFFICIAL-SENSITIVE for a full edition."""
    members = Membership.objects.filter(
        organisation=pack.organisation, role=Role.PANEL, user__is_active=True
    ).select_related("user")
    if pack.edition != PackEdition.PUBLIC:
        members = members.filter(sensitive_access=True)
    return list(members.order_by("user__email"))


def pack_release_notify(*, pack: Pack) -> int:
    """One e-mail per panel member (nobody sees another's address): a link to the pack, never
    the file, and the SHA-256 of each released file. Returns how many were queued."""
    organisation = pack.organisation
    context = {
        "pack": pack,
        "organisation": organisation,
        "label": f"{pack_identifier(pack)} v{pack.version}",
        "download_url": mail.absolute(reverse("pack_download", args=[organisation.slug, pack.pk])),
        "reports_url": mail.absolute(reverse("packs", args=[organisation.slug])),
        "readme_check": True,
    }
    subject = (
        f"{organisation.display_name}: {pack.get_kind_display()} as at "
        f"{pack.as_of:%-d %B %Y} released ({pack_identifier(pack)} v{pack.version})"
    )
    recipients = pack_release_recipients(pack)
    for membership in recipients:
        person = {**context, "user": membership.user}
        mail.send_later(
            subject=subject,
            text=render_to_string("reporting/email/pack_released.txt", person),
            html=render_to_string("reporting/email/pack_released.html", person),
            to=[membership.user.email],
        )
    return len(recipients)
