"""Which registers the organisation's committee packs cover by default: its admin's choice
(``Organisation.pack_registers``), used by the scheduled packs and as the ticks the pack request
form starts from. None chosen (every organisation until its admin chooses): the top-level
registers, as before.

The choice is today's: a pack rebuilt for an earlier day covers what its request named. An
archived register is never chosen here; one archived after it was chosen is left out of packs
as at a day after it was archived (``reporting.packs.data``) and stays chosen, so bringing it
back puts it in the packs again.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Organisation, Register
from ..selectors.register_list import top_registers

PACK_REGISTERS_REQUIRED = "tick at least one register for the packs to cover"
PACK_REGISTERS_UNKNOWN = "choose registers of this organisation"
PACK_REGISTERS_ARCHIVED = "{register} is archived: packs cover only registers in use"
PACK_REGISTERS_GONE = "{register} no longer exists: it was deleted after the page was opened"
PACK_REGISTERS_REASON = "packs cover {names}"


def pack_registers_chosen(organisation: Organisation) -> list[Register]:
    """The registers the packs cover by default, in use today: those chosen, else the
    top-level ones."""
    in_use = Register.objects.filter(organisation=organisation, archived_at__isnull=True)
    chosen = list(in_use.filter(pk__in=organisation.pack_registers.values("pk")).order_by("name"))
    return chosen or top_registers(in_use.order_by("name"))


@transaction.atomic
def organisation_pack_registers_set(
    *, organisation: Organisation, registers: Iterable[Register], by
) -> list[str]:
    """Choose the registers the packs cover; their names. One history row of the organisation
    says who and which registers; nothing is written when the choice is as it was."""
    registers = list(registers)
    if not registers:
        raise ValidationError({"registers": PACK_REGISTERS_REQUIRED})
    for register in registers:
        if register.organisation_id != organisation.pk:
            raise ValidationError({"registers": PACK_REGISTERS_UNKNOWN})
    stored = Organisation.objects.select_for_update().get(pk=organisation.pk)
    # The registers as they are now, under the organisation's lock, which every write to its
    # register tree waits for (decision 108): one deleted in the admin since the page was
    # opened failed at commit on the foreign key (a 500), one archived since was chosen.
    now = Register.objects.in_bulk([register.pk for register in registers])
    for register in registers:
        if register.pk not in now:
            raise ValidationError({"registers": PACK_REGISTERS_GONE.format(register=register.name)})
        if now[register.pk].archived_at is not None:
            raise ValidationError(
                {"registers": PACK_REGISTERS_ARCHIVED.format(register=register.name)}
            )
    registers = [now[register.pk] for register in registers]
    names = sorted(register.name for register in registers)
    if set(stored.pack_registers.values_list("pk", flat=True)) == {r.pk for r in registers}:
        return names
    # One history row for the change (with the chosen registers), not one per add and remove.
    stored.skip_history_when_saving = True
    stored.pack_registers.set(registers)
    del stored.skip_history_when_saving
    stored._change_reason = PACK_REGISTERS_REASON.format(names=", ".join(names))
    stored._history_user = by
    stored.save()  # the row as read under the lock: the history row records the choice
    return names
