"""The one place that decides what a user can reach. Views, exports and downloads fetch tenant
objects only through these functions; anything outside the user's memberships is a 404, so
nobody can learn that another organisation's register or risk exists by guessing a slug or ref.

django-guardian (per-register grants to role groups, ``accept_global_perms=False``) plugs in here
when coordinators are limited to some registers; reads are by membership.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from .models import Membership, Organisation, Register, Risk, Role

EDIT_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})


@dataclass(frozen=True)
class OrganisationAccess:
    organisation: Organisation
    membership: Membership

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def can_edit_registers(self) -> bool:
        return self.membership.role in EDIT_ROLES


def memberships_for_user(user) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def organisation_for_user(*, user, slug: str) -> OrganisationAccess:
    membership = memberships_for_user(user).filter(organisation__slug=slug).first()
    if membership is None:
        raise Http404("No such organisation")
    return OrganisationAccess(organisation=membership.organisation, membership=membership)


def registers_for_user(*, user, organisation: Organisation) -> QuerySet[Register]:
    _require_member(user, organisation)
    return Register.objects.filter(organisation=organisation)


def register_for_user(*, user, organisation: Organisation, slug: str) -> Register:
    register = registers_for_user(user=user, organisation=organisation).filter(slug=slug).first()
    if register is None:
        raise Http404("No such register")
    return register


def risks_for_user(*, user, organisation: Organisation) -> QuerySet[Risk]:
    _require_member(user, organisation)
    return Risk.objects.filter(organisation=organisation)


def risk_for_user(*, user, organisation: Organisation, ref: str) -> Risk:
    risk = (
        risks_for_user(user=user, organisation=organisation)
        .select_related("register", "category", "owner", "manager", "scheme_version")
        .filter(ref=ref)
        .first()
    )
    if risk is None:
        raise Http404("No such risk")
    return risk


def _require_member(user, organisation: Organisation) -> None:
    if not memberships_for_user(user).filter(organisation=organisation).exists():
        raise Http404("No such organisation")
