"""A register's name: the one rule every path that adds a register or renames one goes through
(``register_create`` under the settings page's and the admin's ``register_add``, ``create_org``
and ``create_register``; ``register_change``; the admin's form through their checks).

A name is unique in its organisation, whatever its case and spacing: people pick a register by
its name (the tree, the register switcher, packs). No database constraint holds it (names made
before the rule may differ only in case), so the writes check it under the organisation's tree
lock (``organisations.register_tree_lock``, decision 108): two registers added or renamed at the
same moment to one name run one after the other, and the second is refused.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from ..models import Organisation, Register

NAME_MAX_LENGTH = Register._meta.get_field("name").max_length

REGISTER_NAME_REQUIRED = "enter the register's name"
REGISTER_NAME_TOO_LONG = f"the register's name can be at most {NAME_MAX_LENGTH} characters"
REGISTER_NAME_TAKEN = "there is already a register called {name}: choose another name"


def register_name_clean(
    *, organisation: Organisation, name: str, register: Register | None = None
) -> str:
    """``name`` with its spacing made single if it can be the name of ``register`` (None: a new
    one) in ``organisation``; ``ValidationError({"name": why})`` otherwise. One query."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": REGISTER_NAME_REQUIRED})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": REGISTER_NAME_TOO_LONG})
    others = Register.objects.filter(organisation=organisation, name__iexact=name)
    if register is not None:
        others = others.exclude(pk=register.pk)
    if others.exists():
        raise ValidationError({"name": REGISTER_NAME_TAKEN.format(name=name)})
    return name
