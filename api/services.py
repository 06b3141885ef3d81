"""Writes for API tokens: created with their secret shown once, revoked, never edited."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registers.models import Membership, Organisation

from .models import ApiToken

security_log = logging.getLogger("riskreg.security")

TOKEN_PREFIX = "rr_"  # noqa: S105 (a visible prefix, not a secret)
MAX_DAYS = 365
MAX_DAYS_MESSAGE = "A token lasts at most a year (365 days)."
MIN_DAYS_MESSAGE = "A token must last at least a day."
NO_ORGANISATION_MESSAGE = "Choose at least one organisation the token may reach."
NOT_MEMBER_MESSAGE = "You are not a member of {organisation}."
NAME_TAKEN_MESSAGE = "You already have a token named {name!r}: choose another name."
NAME_MISSING_MESSAGE = "Give the token a name."


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *,
    user,
    name: str,
    organisations: Iterable[Organisation],
    read_only: bool = True,
    expires_days: int = 90,
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with its secret, which is shown once and never
    stored (only its sha256). The person must be a member of every organisation chosen."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": NAME_MISSING_MESSAGE})
    if expires_days > MAX_DAYS:
        raise ValidationError({"expires_days": MAX_DAYS_MESSAGE})
    if expires_days < 1:
        raise ValidationError({"expires_days": MIN_DAYS_MESSAGE})
    organisations = list(organisations)
    if not organisations:
        raise ValidationError({"organisations": NO_ORGANISATION_MESSAGE})
    member_of = set(
        Membership.objects.filter(user=user, organisation__in=organisations).values_list(
            "organisation_id", flat=True
        )
    )
    for organisation in organisations:
        if organisation.pk not in member_of:
            raise ValidationError(
                {"organisations": NOT_MEMBER_MESSAGE.format(organisation=organisation.name)}
            )
    if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
        raise ValidationError({"name": NAME_TAKEN_MESSAGE.format(name=name)})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        read_only=read_only,
        prefix=secret[:10],
        token_hash=hash_token(secret),
        expires_at=timezone.now() + dt.timedelta(days=expires_days),
    )
    token.organisations.set(organisations)
    security_log.info(
        "api token created: user=%s token=%s name=%r organisations=%s read_only=%s",
        user.pk,
        token.pk,
        name,
        ",".join(sorted(o.slug for o in organisations)),
        read_only,
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by) -> ApiToken:
    """Revoke a token (idempotent); the record stays, so its use can be traced."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        security_log.info(
            "api token revoked: token=%s name=%r user=%s by=%s",
            token.pk,
            token.name,
            token.user_id,
            getattr(by, "pk", "-"),
        )
    return token


@transaction.atomic
def api_token_organisation_remove(*, token: ApiToken, organisation: Organisation, by) -> ApiToken:
    """An organisation admin's revoke (decision 61): the token no longer reaches ``organisation``
    and keeps the others its owner chose (which this admin may not administer); a token left
    reaching nothing is revoked. Idempotent."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.organisations.filter(pk=organisation.pk).exists():
        token.organisations.remove(organisation)
        security_log.info(
            "api token organisation removed: token=%s name=%r user=%s organisation=%s by=%s",
            token.pk,
            token.name,
            token.user_id,
            organisation.slug,
            getattr(by, "pk", "-"),
        )
    if token.revoked_at is None and not token.organisations.exists():
        api_token_revoke(token=token, by=by)
    return token
