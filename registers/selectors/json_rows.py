"""A related row read inside its parent's query as one JSON value, instead of a join.

Each join PostgreSQL may reorder multiplies the plans it weighs: the risk page's risk, read
with its register, the register above, its category, owner, manager, scheme version and
scheme (and the organisation twice for the default ordering), took 4-5 ms to plan and 0.3 ms
to run (issue 20). A row wanted by key is as cheap to read as a scalar subquery in the select
list, which is planned on its own and leaves nothing to reorder. The instance built from it has
only the fields read; any other is deferred (read from the database if asked for, never a
default taken for the stored value).
"""

from __future__ import annotations

from django.db.models import F, Func, JSONField, Model, OuterRef, Subquery
from django.db.models.functions import JSONObject


class _Nested(Func):
    """A JSON column nested as JSON, not as its text: SQLite keeps JSON as text, and its
    ``json_object`` would give the column's text as a string (PostgreSQL nests jsonb as is)."""

    template = "%(expressions)s"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="JSON(%(expressions)s)")


def _column(model: type[Model], lookup: str):
    """The value of ``lookup`` (through foreign keys) as ``row_json`` nests it."""
    field, target = None, model
    for part in lookup.split("__"):
        field = target._meta.get_field(part)
        target = field.related_model or target
    return _Nested(F(lookup)) if isinstance(field, JSONField) else lookup


def row_json(model: type[Model], key: str, fields: tuple[str, ...], **related: str) -> Subquery:
    """The ``model`` row whose primary key is the outer query's ``key`` as a JSON object of
    ``fields`` (attribute names), plus ``related`` (name: a lookup through a foreign key)."""
    columns = {
        name: _column(model, lookup) for name, lookup in ({n: n for n in fields} | related).items()
    }
    return Subquery(
        model._default_manager.filter(pk=OuterRef(key))
        .order_by()
        .values(row=JSONObject(**columns))[:1]
    )


def instance(model: type[Model], data: dict | None, *, db: str, fields: tuple[str, ...]):
    """The ``model`` instance of ``data`` as read by ``row_json`` (None for none), as the
    database gave it: the fields not read are deferred."""
    if data is None:
        return None
    # ``from_db`` takes the values read in the model's order of fields, as Python values: JSON
    # has no dates, times or decimals (they come as text), and SQLite's booleans come as 0/1.
    read = [f for f in model._meta.concrete_fields if f.attname in fields]
    return model.from_db(db, [f.attname for f in read], [_python(f, data[f.attname]) for f in read])


def _python(field, value):
    if value is None or isinstance(field, JSONField) or field.is_relation:
        return value
    return field.to_python(value)
