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

A risk created, imported, moved or escalated into the register, or a pack requested or
corrected naming it, a spreadsheet uploaded or its import started for it, or a limited
coordinator granted it, at the same moment holds its row ``FOR KEY SHARE`` first
(``registers_key_share``, decision 112), which the row's ``FOR UPDATE`` here waits for, or
makes wait: the delete then sees what was written and is refused (or, for a file, a job or a
grant, deletes it with the register), or the write finds the register gone and is refused.

A pack's own list of registers (``reporting``'s ``Pack.registers``) keeps a register too: it is
the record of what the pack covered. ``registers`` does not import ``reporting``, so that check
is a keeper ``reporting`` adds from its ``ready`` (``register_keeper_add``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class RegisterKeeper:
    """Rows of an app ``registers`` does not import that name registers and must keep them
    (decision 112; ``reporting``'s packs): ``names`` gives, for the register ``OuterRef``
    stands for, an ``Exists`` folded into the refusal's one row; ``reason`` gives the
    refusal's words for ``register``, asked only when it is named."""

    names: Callable[[OuterRef], Exists]
    reason: Callable[[Register], str]


# By name, so an app's ready() run twice (tests) adds its keeper once.
_KEEPERS: dict[str, RegisterKeeper] = {}


def register_keeper_add(name: str, keeper: RegisterKeeper) -> None:
    """Make ``register_delete`` refuse a register ``keeper`` says is named: called from the
    owning app's ``AppConfig.ready``, so registers asks without importing it (no import
    circle)."""
    _KEEPERS[name] = keeper


def register_delete_refusal(register: Register) -> str | None:
    """Why ``register`` cannot be deleted now, in the refusal's words, or None. Two queries:
    what names it (one row of EXISTS, the keepers' too), and the names of the registers under
    it if any; a keeper's words may ask one more."""
    here = OuterRef("pk")
    keepers = list(_KEEPERS.values())
    kept = {f"kept_{number}": keeper.names(here) for number, keeper in enumerate(keepers)}
    has_children, has_risks, escalations, origins, packs, *named = (
        Register.objects.filter(pk=register.pk)
        .annotate(
            has_children=Exists(Register.objects.filter(parent=here)),
            has_risks=Exists(Risk.objects.filter(register=here)),
            escalations=Exists(
                Escalation.objects.filter(Q(from_register=here) | Q(to_register=here))
            ),
            origins=Exists(Risk.objects.filter(origin_register=here)),
            packs=Exists(PACK_REGISTERS.objects.filter(register_id=here)),
            **kept,
        )
        .order_by()
        .values_list("has_children", "has_risks", "escalations", "origins", "packs", *kept)
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
    reasons += [
        keeper.reason(register) for keeper, is_named in zip(keepers, named, strict=True) if is_named
    ]
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
