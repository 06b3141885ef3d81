"""Telling the panel that a pack was released (issue 16): one e-mail per panel member who may read
it, with a link to the pack (never the file) and the SHA-256 of each released file.

Each member also gets a notice on their Notifications page (issue 17, through ``notify``), and
the e-mail follows their preference for released packs: straight away it is this release
e-mail (not a second, plainer one), in the daily digest it is a line there, never none. So
each member gets exactly one e-mail per release, or none if they chose none."""

from __future__ import annotations

import logging

from django.template.loader import render_to_string
from django.urls import reverse

from registers.models import Delivery, Membership, NoticeKind, Role
from registers.services.notices import notice_email_claim, notify
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
    """Tell each panel member who may read the pack (``notify``: once per release, however
    often this runs), and queue the release e-mail (nobody sees another's address: a link to
    the pack, never the file, and the SHA-256 of each released file) to those who want e-mail
    straight away. Returns how many e-mails were queued."""
    organisation = pack.organisation
    label = f"{pack_identifier(pack)} v{pack.version}"
    reports_url = reverse("packs", args=[organisation.slug])
    context = {
        "pack": pack,
        "organisation": organisation,
        "label": label,
        "download_url": mail.absolute(reverse("pack_download", args=[organisation.slug, pack.pk])),
        "reports_url": mail.absolute(reports_url),
        "readme_check": True,
    }
    subject = (
        f"{organisation.display_name}: {pack.get_kind_display()} as at "
        f"{pack.as_of:%-d %B %Y} released ({label})"
    )
    notices = notify(
        kind=NoticeKind.PACK_RELEASED,
        organisation=organisation,
        recipients=[membership.user for membership in pack_release_recipients(pack)],
        event_key=f"pack:{pack.pk}:released",
        title=f"{pack.get_kind_display()} as at {pack.as_of:%-d %B %Y} released ({label})",
        url=reports_url,
        body=f"SHA-256 of the released PDF: {pack.sha256}" if pack.sha256 else "",
        actor=pack.released_by,
        immediate_email=False,
    )
    queued = 0
    for notice in sorted(notices, key=lambda n: n.user.email):
        if notice.delivery != Delivery.IMMEDIATE or not notice_email_claim(notice):
            continue
        person = {**context, "user": notice.user}
        mail.send_later(
            subject=subject,
            text=render_to_string("reporting/email/pack_released.txt", person),
            html=render_to_string("reporting/email/pack_released.html", person),
            to=[notice.user.email],
        )
        queued += 1
    return queued
