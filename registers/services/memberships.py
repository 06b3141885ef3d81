"""Writes to one membership as the members pages make them: a role as the form offers it (a
coordinator limited to some registers, in one step), the registers a limited coordinator edits,
and the OFFICIAL-SENSITIVE clearance. Each is one transaction; the forms only check what was
typed and call these, and a ValidationError from here lands on the form that called."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from .. import permissions
from ..models import Membership, Organisation, Register, Role
from .organisations import member_add, membership_change, registers_key_share

REGISTERS_ONLY_FOR_LIMITED = (
    "Only a risk coordinator for some registers has registers chosen for them: "
    "change their role to that first"
)
CLEARANCE_NOT_NEEDED = (
    "Admins and risk coordinators always see OFFICIAL-SENSITIVE detail: only "
    "viewers, audit panel members and risk owners are cleared one by one"
)


@transaction.atomic
def member_add_with_role(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    registers_limited: bool = False,
    full_name: str = "",
    job_title: str = "",
    added_by=None,
    notify: bool = True,
) -> Membership:
    """Add a member (``member_add``), limited at once to granted registers if asked."""
    membership = member_add(
        organisation=organisation,
        email=email,
        role=role,
        full_name=full_name,
        job_title=job_title,
        added_by=added_by,
        notify=notify,
    )
    if registers_limited:
        membership = membership_change(membership=membership, role=role, registers_limited=True)
    return membership


@transaction.atomic
def membership_role_set(
    *, membership: Membership, role: str, registers_limited: bool
) -> Membership:
    """Change the role; a member no longer limited loses their per-register grants, which mean
    something only for a limited coordinator, so that limiting them again starts from none."""
    membership = membership_change(
        membership=membership, role=role, registers_limited=registers_limited
    )
    if not registers_limited:
        user, organisation = membership.user, membership.organisation
        for register in permissions.registers_granted(user=user, organisation=organisation):
            permissions.register_revoke(user=user, register=register)
    return membership


def membership_registers_check(membership: Membership) -> None:
    if not (membership.role == Role.COORDINATOR and membership.registers_limited):
        raise ValidationError(REGISTERS_ONLY_FOR_LIMITED)


@transaction.atomic
def membership_registers_set(
    *, membership: Membership, registers: Iterable[Register]
) -> tuple[list[Register], list[Register]]:
    """Grant a limited coordinator exactly ``registers`` (of their organisation): returns
    (newly granted, revoked). Those newly granted are held until the grants are saved: one
    deleted since the page was opened is refused by name (decision 112), where the grant
    failed at commit on the foreign key (a 500)."""
    membership_registers_check(membership)
    user, organisation = membership.user, membership.organisation
    wanted = {register.id: register for register in registers}
    if any(register.organisation_id != organisation.id for register in wanted.values()):
        raise ValidationError({"registers": "Choose registers of this organisation"})
    held = {
        register.id: register
        for register in permissions.registers_granted(user=user, organisation=organisation)
    }
    granted = [register for pk, register in wanted.items() if pk not in held]
    revoked = [register for pk, register in held.items() if pk not in wanted]
    try:
        registers_key_share(granted)
    except ValidationError as exc:
        raise ValidationError({"registers": exc.messages}) from None
    for register in granted:
        permissions.register_grant(user=user, register=register)
    for register in revoked:
        permissions.register_revoke(user=user, register=register)
    return granted, revoked


def membership_clearance_check(membership: Membership) -> None:
    if membership.role not in permissions.CLEARABLE_ROLES:
        raise ValidationError(CLEARANCE_NOT_NEEDED)


@transaction.atomic
def membership_set_sensitive_access(*, membership: Membership, cleared: bool) -> bool:
    """Clear the member for OFFICIAL-SENSITIVE detail, or take it away, in the membership's
    history; True if it changed. ``membership`` is updated too."""
    membership_clearance_check(membership)
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.sensitive_access == cleared:
        return False
    locked.sensitive_access = cleared
    locked._change_reason = (
        "cleared for OFFICIAL-SENSITIVE" if cleared else "OFFICIAL-SENSITIVE clearance removed"
    )
    locked.save(update_fields=["sensitive_access"])
    membership.sensitive_access = cleared
    return True
