"""What is the same for every reader of an organisation, kept between its writes (decision 67).

Each organisation has a *generation* in Django's cache: a random token that every write to what
its pages show replaces. A cached piece is kept under a key naming the piece, the organisation,
its generation and whatever else changes it (the day, the reader's role and clearance), so a
write makes every piece of the organisation unreachable at once, and nothing needs to know which
pieces a write affects. Old pieces are never read again and age out (``PIECE_SECONDS``).

The root of the invalidation is here, not in the views: ``organisation_changed`` runs on every
save and delete of the models the pages read (``connect_signals``, from the app's ``ready``),
and the writes that send no signal (``bulk_create``, ``bulk_update``, ``QuerySet.update``: the
spreadsheet import, bulk edits, rescoring, indicator imports) call it themselves.

A token lost from the cache (evicted, a restart) comes back as a fresh random one, never an old
one, so a lost token can only cost a recount. A write inside a transaction replaces the token
when the transaction commits, and until then the transaction reads under a token of its own:
the shared one, a random one replaced by each of its writes and the savepoints it is in
(``reader_token``, ``tokens_changed``; the exposure's versions and the people's unread-count
generations use the same two). So it reads its own change, and what it keeps is reachable only by itself, and
only as long as what it wrote stands: a rollback (whole, or to a savepoint) leaves nothing under
a token anyone reads, and a request that read before the commit kept what it read under the
token the commit replaces. Django has no hook on rollback; the private token lives on the
pending on-commit renewal, which Django drops with the transaction or savepoint that made it.
A write outside a transaction replaces the shared token at once.

Data changed where no signal is sent and nothing calls ``organisation_changed`` (a migration, an
edit in the shell, a database restored to a past time) is dropped by ``forget_everything``, which
renews every token (these, the exposure's versions, the people's unread counts) at once: run
after every ``migrate`` (``post_migrate``) and by ``manage.py clear_page_cache``.

Pieces are kept only where every process shares the cache (``RISKREG_PAGE_CACHE``, on with
``DJANGO_CACHE_URL``): a write in one gunicorn worker or a Celery worker has to reach the
others, which a per-process memory cache cannot do. Without it, every request counts afresh.
"""

from __future__ import annotations

import copy
import logging
import secrets
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

T = TypeVar("T")

logger = logging.getLogger(__name__)

# A piece outlives its generation only until this: a bound on the memory old pieces hold, and
# on how long a write path that forgot to call ``organisation_changed`` could show old figures.
PIECE_SECONDS = 15 * 60
_GENERATION_KEY = "org-generation:{organisation_id}"
# Every token is kept as "<epoch>/<random>": one of an earlier epoch counts as none held, so
# renewing the epoch renews every token at once (``forget_everything``).
_EPOCH_KEY = "cache-epoch"
_PIECE_KEY = "org-piece:{organisation_id}:{generation}:{name}:{vary}"


def enabled() -> bool:
    return bool(getattr(settings, "RISKREG_PAGE_CACHE", False))


def _held_epoch(held) -> str:
    """The epoch (``forget_everything``) from what was read with it, or a fresh one."""
    epoch = held.get(_EPOCH_KEY)
    if epoch is None:
        cache.add(_EPOCH_KEY, secrets.token_hex(8), timeout=None)
        epoch = cache.get(_EPOCH_KEY) or secrets.token_hex(8)  # a cache that keeps nothing
    return epoch


def token(key: str) -> str:
    """The token kept under ``key``: a fresh random one when none is held (evicted, a restart)
    or the one held is of an earlier epoch, never an old one, so a lost token costs a recount
    and nothing else. One read of the cache (the epoch with the token)."""
    held = cache.get_many([_EPOCH_KEY, key])
    epoch = _held_epoch(held)
    kept = held.get(key)
    if kept is not None and kept.startswith(f"{epoch}/"):
        return kept
    fresh = f"{epoch}/{secrets.token_hex(8)}"
    if kept is None:
        cache.add(key, fresh, timeout=None)
        return cache.get(key) or fresh  # a cache that keeps nothing: never reuse
    cache.set(key, fresh, timeout=None)
    return fresh


def renew_tokens(keys) -> None:
    """A new random token under each key: whatever was kept under the old ones is unreachable."""
    epoch = _held_epoch({_EPOCH_KEY: cache.get(_EPOCH_KEY)})
    cache.set_many({key: f"{epoch}/{secrets.token_hex(8)}" for key in keys}, timeout=None)


def forget_everything() -> None:
    """Every token of every organisation and person renewed at once, whoever they are (an
    organisation or a person deleted by a restore whose id is given again later included):
    one cache write, no query. For data changed where no write says so (decision 73)."""
    cache.set(_EPOCH_KEY, secrets.token_hex(8), timeout=None)


class _AfterCommit:
    """The on-commit renewal of some tokens (the keys of ``private``), recognisable among the
    connection's pending callbacks so that a transaction registers one per token, not one per
    row, and one cache write for the tokens of one call (a notice to 200 people). It carries the
    transaction's own token for each (``private``) until then: Django drops the callback with the
    transaction or the savepoint it was registered in, and so the private tokens with it."""

    def __init__(self, keys):
        self.private = {key: secrets.token_hex(8) for key in keys}
        self.__qualname__ = "renew_tokens"  # what Django names when a robust callback fails

    def __call__(self) -> None:
        renew_tokens(self.private)


def _pending() -> dict[str, _AfterCommit]:
    return {
        key: callback
        for _, callback, *_ in connection.run_on_commit
        if isinstance(callback, _AfterCommit)
        for key in callback.private
    }


def reader_token(key: str) -> str:
    """The token under ``key`` for this reader: the shared one, or, in a transaction that
    changed what it stands for (``tokens_changed``), that followed by the transaction's own
    token and the savepoints it is in now (so what is read inside a savepoint later rolled back
    is never read again)."""
    shared = token(key)
    if connection.in_atomic_block:
        pending = _pending().get(key)
        if pending is not None:
            return ".".join([shared, pending.private[key], *connection.savepoint_ids])
    return shared


def tokens_changed(keys) -> None:
    """What was kept under these tokens is out of date: dropped now for this transaction, and
    for everyone when it commits (outside a transaction, at once). Cheap enough to call once
    per row saved: no cache write until the commit."""
    keys = set(keys)
    if not keys:
        return
    if not connection.in_atomic_block:
        renew_tokens(keys)
        return
    pending = _pending()
    for key in keys & pending.keys():
        pending[key].private[key] = secrets.token_hex(8)
    if keys - pending.keys():
        # Robust: a cache out of reach then must not turn a saved write into an error page, nor
        # stop the callbacks registered after it (the e-mails and tasks of the same write).
        transaction.on_commit(_AfterCommit(keys - pending.keys()), robust=True)


def generation_key(organisation_id: int) -> str:
    return _GENERATION_KEY.format(organisation_id=organisation_id)


def generation(organisation_id: int) -> str:
    """The organisation's token for this reader (``reader_token``)."""
    return reader_token(generation_key(organisation_id))


def organisation_changed(organisation_id: int | None) -> None:
    """Something the organisation's pages show was written: every cached piece of it is dropped
    (now for this transaction, and for everyone when it commits)."""
    if organisation_id is not None:
        tokens_changed([generation_key(organisation_id)])


def organisations_changed(organisation_ids) -> None:
    tokens_changed(generation_key(pk) for pk in set(organisation_ids) if pk is not None)


def cached(organisation_id: int, name: str, vary: str, build: Callable[[], T]) -> T:
    """The piece ``name`` of the organisation for ``vary`` (what else it depends on: the day,
    the reader's role and clearance), from the cache, or built by ``build()`` and kept."""
    if not enabled():
        return build()
    key = _PIECE_KEY.format(
        organisation_id=organisation_id,
        generation=generation(organisation_id),
        name=name,
        vary=vary,
    )
    piece = cache.get(key)
    if piece is None:
        piece = build()
        cache.set(key, piece, timeout=PIECE_SECONDS)
    return piece


def forget_after_migrate(**kwargs) -> None:
    """``post_migrate``: a migration may have changed what the pages show, and sends no signal
    a cache would hear. A cache out of reach must not stop a deployment's migrate: logged, and
    ``manage.py clear_page_cache`` does the same once it is back."""
    try:
        forget_everything()
    except Exception as exc:  # noqa: BLE001 - any cache backend's error; the migration succeeded
        logger.warning(
            "cached pages not dropped after migrate: the cache could not be reached (%s: %s); "
            "run manage.py clear_page_cache once it can",
            type(exc).__name__,
            exc,
        )


# --- the root: every save and delete of what the pages read ------------------------------------


def _organisation_of(instance) -> int | None:
    organisation_id = getattr(instance, "organisation_id", None)
    if organisation_id is not None:
        return organisation_id
    scheme = getattr(instance, "scheme", None)  # a scheme's version
    return getattr(scheme, "organisation_id", None)


def _on_write(sender, instance, **kwargs) -> None:
    organisation_changed(_organisation_of(instance))


# A risk's fields that no kept piece shows or counts (the dashboard's overview and what is drawn
# from it: figures, heat maps, bands, exposure, the lists of risks), and those every save writes
# (decision 80). A save said to change only these (``saving_changes``) keeps the organisation's
# pieces: an edit of a risk's progress or description is most of the edits people make, and the
# next dashboard view after one would otherwise count every risk again.
# tests/registers/test_dashboard_cache.py draws the dashboard before and after changing each of
# these and fails if anything drawn differs.
RISK_FIELDS_NOT_SHOWN = frozenset(
    {"progress", "description", "consequence", "response", "proximity", "source_note"}
)
_BOOKKEEPING = frozenset({"version", "updated_at"})
_CHANGES = "_riskreg_changes"


def field_values(instance) -> dict:
    """The instance's stored fields as they are now (copies), for ``saving_changes``."""
    return {
        field.attname: copy.deepcopy(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
    }


def saving_changes(instance, before: dict) -> None:
    """The next save of this risk changes what differs from ``before`` (``field_values``, taken
    from the row as read): a save that changes only ``RISK_FIELDS_NOT_SHOWN`` keeps the
    organisation's pieces. Said by the service that knows, read and forgotten by that save; a
    save not said about renews the token, as every save did."""
    instance.__dict__[_CHANGES] = frozenset(
        name for name, value in before.items() if getattr(instance, name) != value
    )


def _on_risk_save(sender, instance, created=False, raw=False, **kwargs) -> None:
    changes = instance.__dict__.pop(_CHANGES, None)
    if (
        not created
        and not raw
        and changes is not None
        and changes <= RISK_FIELDS_NOT_SHOWN | _BOOKKEEPING
    ):
        return
    organisation_changed(_organisation_of(instance))


def _on_organisation_write(sender, instance, **kwargs) -> None:
    organisation_changed(instance.pk)


# What of a person the pages show (as owner): a save of other fields (a sign-in's last_login)
# drops nothing.
_USER_SHOWN = frozenset({"full_name", "job_title", "email"})


def _on_user_write(sender, instance, raw=False, created=False, update_fields=None, **kwargs):
    """A person's name shows as owner in every organisation they belong to. Only a row that
    already existed can be someone's owner."""
    if raw or created or (update_fields is not None and not _USER_SHOWN & set(update_fields)):
        return
    from .models import Membership

    organisations_changed(
        Membership.objects.filter(user_id=instance.pk).values_list("organisation_id", flat=True)
    )


def _on_links_changed(sender, instance, action, **kwargs) -> None:
    if action.startswith("post_"):
        organisation_changed(_organisation_of(instance))


def connect_signals() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from appetite.models import AppetiteLevel, AppetiteStatement
    from scoring.models import Scheme, SchemeVersion

    from .models import (
        Action,
        Category,
        Control,
        Escalation,
        Indicator,
        IndicatorReading,
        Invitation,
        Membership,
        Objective,
        Organisation,
        Register,
        Review,
        Risk,
        RiskAcceptance,
        RiskLink,
    )

    models = (
        Control,
        Action,
        Review,
        RiskAcceptance,
        Escalation,
        RiskLink,
        Register,
        Category,
        Objective,
        Membership,
        Invitation,  # an admin's first-run checklist counts the open ones
        Indicator,
        IndicatorReading,
        AppetiteLevel,
        AppetiteStatement,
        Scheme,
        SchemeVersion,
    )
    for model in models:
        uid = f"riskreg-generation-{model._meta.label_lower}"
        post_save.connect(_on_write, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"{uid}-delete")
    post_save.connect(_on_risk_save, sender=Risk, dispatch_uid="riskreg-generation-risk-save")
    post_delete.connect(_on_write, sender=Risk, dispatch_uid="riskreg-generation-risk-delete")
    post_save.connect(_on_organisation_write, sender=Organisation, dispatch_uid="riskreg-gen-org")
    post_delete.connect(
        _on_organisation_write, sender=Organisation, dispatch_uid="riskreg-gen-org-delete"
    )
    post_save.connect(_on_user_write, sender=get_user_model(), dispatch_uid="riskreg-gen-user")
    for through in (Risk.leads.through, Risk.objectives.through):
        m2m_changed.connect(
            _on_links_changed, sender=through, dispatch_uid=f"riskreg-gen-{through._meta.label}"
        )
