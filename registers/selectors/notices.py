"""A person's notices (issue 17): one list across every organisation they belong to, each
notice naming its organisation, and the unread count the header shows."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import Marking, Notice, NoticeKind, NoticePreference
from ..models.notices import DEFAULT_DELIVERY
from ..permissions import OrganisationAccess
from ..withholding import WITHHELD


def notices_for_user(*, user, unread_only: bool = False) -> QuerySet[Notice]:
    """Newest first; only from organisations the person still belongs to (a notice of one
    they have left is not theirs to read any more)."""
    notices = Notice.objects.filter(
        user_id=user.pk, organisation__memberships__user_id=user.pk
    ).select_related("organisation", "risk", "actor")
    if unread_only:
        notices = notices.filter(read_at__isnull=True)
    return notices.order_by("-created_at", "-id")


def unread_notice_count(*, user) -> int:
    """One query on the (user, read_at) index: the header's count."""
    return notices_for_user(user=user, unread_only=True).order_by().count()


def notices_shown(notices, *, memberships) -> list[Notice]:
    """The notices as this person may read them today: a notice's body was written for them
    when it was made, but a risk marked OFFICIAL-SENSITIVE since is judged by today's marking.
    ``memberships`` are the person's (with organisation); no query."""
    access = {m.organisation_id: OrganisationAccess(m.organisation, m) for m in memberships}
    shown = []
    for notice in notices:
        risk = notice.risk
        if (
            risk is not None
            and notice.body
            and risk.marking == Marking.OFFICIAL_SENSITIVE
            and not access[notice.organisation_id].can_see_sensitive(risk)
        ):
            notice.body = WITHHELD
        shown.append(notice)
    return shown


def notice_deliveries(*, user) -> dict[str, str]:
    """How the person wants e-mail of each kind of event (``DEFAULT_DELIVERY`` if unset)."""
    chosen = dict(NoticePreference.objects.filter(user_id=user.pk).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, DEFAULT_DELIVERY) for kind in NoticeKind.values}
