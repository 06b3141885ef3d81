"""A person's notices (issue 17): one list across every organisation they belong to, each
notice naming its organisation, and the unread count the header shows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from .. import caching
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


def unread_notice_count(*, user, memberships: Iterable | None = None) -> int:
    """The header's count: one query on the (user, read_at) index, or none when it is cached.

    Every page shows it, so it is kept in the cache per person between writes to their notices
    (decision 68): under the person's generation, which ``forget_unread_counts`` replaces
    whenever ``registers.services.notices`` makes or reads their notices, and under the
    organisations they belong to (``memberships``, which the header reads anyway), because a
    notice counts only while its organisation is one of theirs: joining or leaving one asks for
    another count without any write having to say so. Only where every process shares the cache
    (``caching.enabled``); otherwise, and without ``memberships``, counted each time."""
    if memberships is None or not _count_cache_enabled():
        return _count_unread(user)
    organisations = ",".join(str(pk) for pk in sorted({m.organisation_id for m in memberships}))
    key = _UNREAD_KEY.format(
        user_id=user.pk,
        generation=_unread_generation(user.pk),
        organisations=hashlib.blake2b(organisations.encode(), digest_size=8).hexdigest(),
    )
    count = cache.get(key)
    if count is None:
        count = _count_unread(user)
        cache.set(key, count, UNREAD_SECONDS)
    return count


def _count_cache_enabled() -> bool:
    # RISKREG_NOTICE_COUNT_CACHE: off in the test settings only (see there).
    return caching.enabled() and getattr(settings, "RISKREG_NOTICE_COUNT_CACHE", True)


def _count_unread(user) -> int:
    return notices_for_user(user=user, unread_only=True).order_by().count()


# A count outlives its generation at most this long: the bound on a change made outside the
# notices service (a notice deleted with its risk in the admin, an edit in the shell).
UNREAD_SECONDS = 5 * 60
_UNREAD_GENERATION_KEY = "notices-generation:{user_id}"
_UNREAD_KEY = "notices-unread:{user_id}:{generation}:{organisations}"


def _unread_generation(user_id: int) -> str:
    return caching.reader_token(_UNREAD_GENERATION_KEY.format(user_id=user_id))


def forget_unread_counts(user_ids: Iterable[int]) -> None:
    """These people's notices were made or read: their cached counts are dropped for this
    transaction now (it counts its own change), for everyone when it commits (another request
    may count, before the commit, under the token the commit replaces), and not on a rollback
    (``caching.tokens_changed``)."""
    if not _count_cache_enabled():
        return
    caching.tokens_changed(
        _UNREAD_GENERATION_KEY.format(user_id=pk) for pk in user_ids if pk is not None
    )


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
