"""An id list that holds a number no integer column can hold matches nothing, on every database.

Django drops such a number from ``exact``, ``gt``, ``lt`` and their kin (``IntegerFieldOverflow``)
but not from ``in``: PostgreSQL compares it and finds nothing, while SQLite (the demo's database)
cannot bind it and raises ``OverflowError``, a 500. A form's ticked boxes
(``ModelMultipleChoiceField``) read through ``in`` on the primary key, so here, once, a number
outside an integer column's range is left out of the list: a form then says the choice is not
one of those offered (400), as it does on PostgreSQL. A foreign key's ``in`` (``RelatedIn``,
``register_id__in=[...]``) is not covered: no form reads through one; on SQLite it can still
raise for such a number."""

from __future__ import annotations

from copy import copy

from django.db.models import IntegerField
from django.db.models.lookups import In


class IntegerFieldIn(In):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            try:
                low, high = connection.ops.integer_field_range(
                    self.lhs.output_field.get_internal_type()
                )
            except KeyError:  # a column type Django gives no range for: left to the database
                return super().process_rhs(compiler, connection)
            kept = [value for value in self.rhs if not _outside(value, low, high)]
            if len(kept) != len(self.rhs):
                narrowed = copy(self)  # the lookup itself unchanged: a query may compile again
                narrowed.rhs = kept  # none left: EmptyResultSet, an empty answer
                return In.process_rhs(narrowed, compiler, connection)
        return super().process_rhs(compiler, connection)


def _outside(value, low, high) -> bool:
    if not isinstance(value, int):
        return False
    return (low is not None and value < low) or (high is not None and value > high)


def register() -> None:
    """On IntegerField, so on every integer column and primary key (``AutoField`` and
    ``BigAutoField`` are integer fields); a foreign key's ``in`` is Django's ``RelatedIn``."""
    IntegerField.register_lookup(IntegerFieldIn)
