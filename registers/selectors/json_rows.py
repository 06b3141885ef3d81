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

from django.db.models import Model, OuterRef, Subquery
from django.db.models.functions import JSONObject


def row_json(model: type[Model], key: str, fields: tuple[str, ...], **related: str) -> Subquery:
    """The ``model`` row whose primary key is the outer query's ``key`` as a JSON object of
    ``fields`` (attribute names), plus ``related`` (name: a lookup through a foreign key)."""
    columns = {name: name for name in fields} | related
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
    # ``from_db`` takes the values read in the model's order of fields.
    read = [f.attname for f in model._meta.concrete_fields if f.attname in fields]
    return model.from_db(db, read, [data[name] for name in read])
