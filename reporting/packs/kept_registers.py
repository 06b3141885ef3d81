"""A register a pack names is kept (decision 112): ``register_delete`` refuses it, as it refuses
one the organisation's packs cover (``Organisation.pack_registers``). A pack's registers are
the record of what it covered, printed on it ("Registers: ...") and read again when it is
retried or corrected; deleting one took it out of that record unsaid (and a pack that named
only it would then cover the top-level registers). Packs are never deleted, so such a register
is archived instead, as one with a history is.

``registers`` does not import ``reporting``: this keeper is added to ``register_delete`` from
``ReportingConfig.ready``."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from registers.models import Register
from registers.services.register_delete import RegisterKeeper, register_keeper_add
from reporting.models import Pack

from .proof import pack_identifier

# In the words of ``register_delete.REGISTER_DELETE_PACKS``, one reason among the refusal's.
REGISTER_DELETE_PACK_COVERED = (
    "pack {pack} covered it{more} (a pack keeps the registers it covered)"
)
REGISTER_DELETE_PACKS_MORE = " and {count} more"

PACK_REGISTERS = Pack.registers.through


def _names(here: OuterRef) -> Exists:
    return Exists(PACK_REGISTERS.objects.filter(register_id=here))


def _reason(register: Register) -> str:
    """The latest pack naming ``register`` by its identifier and version, and how many more."""
    packs = (
        Pack.objects.filter(registers=register)
        .select_related("organisation")
        .order_by("-created_at", "-pk")
    )
    latest, count = packs.first(), packs.count()
    more = REGISTER_DELETE_PACKS_MORE.format(count=count - 1) if count > 1 else ""
    return REGISTER_DELETE_PACK_COVERED.format(
        pack=f"{pack_identifier(latest)} v{latest.version}", more=more
    )


def pack_keeper_add() -> None:
    register_keeper_add("reporting.packs", RegisterKeeper(names=_names, reason=_reason))
