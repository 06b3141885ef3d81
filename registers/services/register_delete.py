"""Deleting a register: only one with nothing in it, under it or escalated through it (its
risks, the registers below it, risks that came from it and escalations name it, all
``PROTECT``). The scoped Django admin is the only page that deletes (its delete page and its
"delete selected" action, for an organisation admin); a register in use with a history is
archived instead (``register_archive``).

Checked under the organisation's tree lock (decision 108), as every write to the tree is: a
register moved under this one, or added under it, at the same moment either commits first and
this is refused, or waits for the delete and is refused on its parent
(``organisations.register_parent_lock``). Django's own check ran unlocked before its delete, so a
move committed in between made the delete fail at commit on the foreign key (a 500).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from ..models import Escalation, Organisation, Register, Risk
from .organisations import register_row_lock, register_tree_lock

REGISTER_DELETE_REFUSED = (
    "{register} cannot be deleted: {reasons}. Only a register with nothing in or under it can "
    "be deleted; archive it instead on its archive page"
)
REGISTER_DELETE_CHILDREN = "{children} sit under it"
REGISTER_DELETE_RISKS = "it holds risks"
REGISTER_DELETE_ESCALATIONS = "risks were escalated to or from it"
# Deleting it would change, unsaid, what the scheduled packs cover (all of it, if it was the one
# chosen): the admin unticks it first, on the page that says what the packs then cover.
REGISTER_DELETE_PACKS = "the packs cover it (untick it on Settings, Registers the packs cover)"

# The organisation's choice of registers its packs cover (``Organisation.pack_registers``).
PACK_REGISTERS = Organisation.pack_registers.through

# The history reason of a register deleted.
DELETED_REASON = "deleted"


def register_delete_refusal(register: Register) -> str | None:
    """Why ``register`` cannot be deleted now, in the refusal's words, or None. Two queries:
    what names it (one row of EXISTS), and the names of the registers under it if any."""
    here = OuterRef("pk")
    has_children, has_risks, escalations, origins, packs = (
        Register.objects.filter(pk=register.pk)
        .annotate(
            has_children=Exists(Register.objects.filter(parent=here)),
            has_risks=Exists(Risk.objects.filter(register=here)),
            escalations=Exists(
                Escalation.objects.filter(Q(from_register=here) | Q(to_register=here))
            ),
            origins=Exists(Risk.objects.filter(origin_register=here)),
            packs=Exists(PACK_REGISTERS.objects.filter(register_id=here)),
        )
        .order_by()
        .values_list("has_children", "has_risks", "escalations", "origins", "packs")
        .get()
    )
    reasons = []
    if has_children:
        children = Register.objects.filter(parent=register).order_by("name")
        names = ", ".join(children.values_list("name", flat=True))
        reasons.append(REGISTER_DELETE_CHILDREN.format(children=names))
    if has_risks:
        reasons.append(REGISTER_DELETE_RISKS)
    if escalations or origins:
        reasons.append(REGISTER_DELETE_ESCALATIONS)
    if packs:
        reasons.append(REGISTER_DELETE_PACKS)
    if not reasons:
        return None
    return REGISTER_DELETE_REFUSED.format(register=register.name, reasons="; ".join(reasons))


@transaction.atomic
def register_delete(*, register: Register, by=None) -> None:
    """Delete ``register`` (its old addresses, grants and import files go with it), or refuse
    with ``register_delete_refusal``'s words; the history row says who (``by``)."""
    register_tree_lock(register.organisation_id)
    # Locked as the delete locks it, so the check and the delete see the same row.
    locked = register_row_lock(register)
    refusal = register_delete_refusal(locked)
    if refusal:
        raise ValidationError(refusal)
    if by is not None:
        locked._history_user = by
    locked._change_reason = DELETED_REASON
    locked.delete()
