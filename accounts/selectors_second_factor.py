"""Reads about second factors: who has one, and how many of an organisation's members do not.

A second factor is an authenticator app (TOTP) or a security key or passkey (WebAuthn), as the
middleware counts it (``accounts.middleware.has_second_factor``); recovery codes alone are a
way back in, not a factor."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.db.models import Count, Exists, OuterRef, Q

from registers.models import Membership, Organisation
from registers.permissions import COORDINATOR_ROLES

FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


@dataclass(frozen=True)
class SecondFactorCounts:
    """An organisation's members, and those of them without a second factor yet."""

    members: int
    members_without: int
    admins_and_coordinators: int
    admins_and_coordinators_without: int


def second_factor_counts(organisation: Organisation) -> SecondFactorCounts:
    """One query, whatever the organisation's size."""
    has_factor = Exists(
        Authenticator.objects.filter(user_id=OuterRef("user_id"), type__in=FACTOR_TYPES)
    )
    staff = Q(role__in=COORDINATOR_ROLES)
    counts = (
        Membership.objects.filter(organisation=organisation)
        .annotate(has_factor=has_factor)
        .aggregate(
            members=Count("id"),
            members_without=Count("id", filter=Q(has_factor=False)),
            admins_and_coordinators=Count("id", filter=staff),
            admins_and_coordinators_without=Count("id", filter=staff & Q(has_factor=False)),
        )
    )
    return SecondFactorCounts(**counts)


@dataclass(frozen=True)
class SecondFactorStatus:
    """A person's second factors, as their member page shows them."""

    totp: bool
    security_keys: int
    recovery_codes: bool

    @property
    def on(self) -> bool:
        return self.totp or self.security_keys > 0

    @property
    def anything_to_reset(self) -> bool:
        return self.on or self.recovery_codes


def second_factor_status(user) -> SecondFactorStatus:
    """One query."""
    types = list(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    return SecondFactorStatus(
        totp=Authenticator.Type.TOTP in types,
        security_keys=types.count(Authenticator.Type.WEBAUTHN),
        recovery_codes=Authenticator.Type.RECOVERY_CODES in types,
    )
