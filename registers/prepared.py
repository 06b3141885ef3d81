"""A page's fixed-shape reads with their SQL compiled once per connection, not on every request.

The risk page makes the same 16 queries on every view, each the same SQL with other values
(a risk's id, an organisation's); Django builds each queryset and compiles it to SQL again
every time, about a third of the page's CPU (issue 20, decision 85). ``prepared_list(key,
build, **values)`` is ``list(build(**values))``, except that the first call on a connection
compiles ``build``'s queryset and keeps its compiler, SQL and parameters, and later calls put
their values in place in those parameters and run the same SQL through the same compiler (so
rows become instances, values or tuples, with ``select_related`` and converters, exactly as
Django's own iteration makes them).

Where each value sits among the parameters is found, not assumed: ``build`` is compiled twice
with two different stand-in values for each named value, and only if the SQL is the same and
the parameters differ exactly where a stand-in is, one stand-in each, is the query kept.
Anything else (a value the query changes on its way, such as ``icontains``'s ``%...%`` or a
date SQLite takes as text; a value written into the SQL itself; a parameter that differs
between two compilations, such as ``now()`` read while building) reads the plain way, every
time: slower, never wrong. A value the query does not use at all (the same SQL and
parameters whatever its stand-in) is simply not placed. Each value has stand-ins of its own,
so several ids (a list's, each a value) are told apart. ``None`` and booleans are part of the key (they change the SQL, as
``IS NULL`` does); ``build`` must not branch on any other value (it never sees the real ones
while compiling).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

_PLAIN = object()  # this key's query is read the plain way (see the module's docstring)
_CACHE_ATTRIBUTE = "_riskreg_prepared"
MAX_KEPT = 500  # queries kept a connection; past it, all are let go and compiled again


class _Prepared:
    __slots__ = ("compiler", "params", "queryset", "slots", "sql")

    def __init__(self, queryset, compiler, sql, params, slots):
        self.queryset, self.compiler, self.sql = queryset, compiler, sql
        self.params, self.slots = params, slots


def _stand_ins(name: str, value, n: int):
    """The ``n``-th stand-in for a value of ``value``'s type: unlike any real value, and within
    an integer column's range (Django matches nothing for an id out of range)."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"{name}: booleans and None are part of the key, not values")
    if isinstance(value, int):
        return -1_000_003 - 2 * n
    if isinstance(value, str):
        return f"\ue000prepared:{name}:{n}"
    if isinstance(value, dt.datetime):
        start = dt.datetime(1901, 1, 2, tzinfo=dt.UTC if value.tzinfo else None)
        return start + dt.timedelta(days=n)
    if isinstance(value, dt.date):
        return dt.date(1901, 1, 2) + dt.timedelta(days=n)
    raise TypeError(f"{name}: {type(value).__name__} is not a value prepared_list can place")


def _compile(build: Callable[..., QuerySet], values: dict):
    queryset = build(**values)
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    return queryset, compiler, sql, list(params)


def _prepare(build: Callable[..., QuerySet], values: dict, fixed: dict):
    named = {name: value for name, value in values.items() if name not in fixed}
    # Each value its own two stand-ins (two ids of a list, say, must not read as one).
    first = {name: _stand_ins(name, value, 2 * i) for i, (name, value) in enumerate(named.items())}
    second = {
        name: _stand_ins(name, value, 2 * i + 1) for i, (name, value) in enumerate(named.items())
    }
    queryset, compiler, sql, params = _compile(build, first | fixed)
    _q, _c, sql_again, params_again = _compile(build, second | fixed)
    if not sql or sql != sql_again or len(params) != len(params_again):
        return _PLAIN
    slots: dict[str, list[int]] = {name: [] for name in named}
    for index, (one, other) in enumerate(zip(params, params_again, strict=True)):
        if one == other:
            continue
        name = next((n for n in named if first[n] == one and second[n] == other), None)
        if name is None:
            return _PLAIN  # a parameter that moves by itself, or a value changed on its way
        slots[name].append(index)
    # A value in no parameter, with the same SQL for both its stand-ins, is one this query does
    # not use (the register list's day, used only by an annotation its ids query leaves out);
    # one written into the SQL made the two SQL texts differ above.
    return _Prepared(queryset, compiler, sql, params, slots)


def prepared_list(key: str, build: Callable[..., QuerySet], **values) -> list:
    """``list(build(**values))``, with ``build``'s SQL compiled once per connection for ``key``
    and each shape (the values that are None or booleans). ``key`` names the query: one key,
    one ``build``. Values are ints, strings, dates or datetimes."""
    fixed = {
        name: value for name, value in values.items() if value is None or isinstance(value, bool)
    }
    full_key = (key, tuple(sorted((name, value) for name, value in fixed.items())))
    # Kept on the connection: one per thread, and its compiler's connection is this one.
    connection = connections[DEFAULT_DB_ALIAS]
    kept = connection.__dict__.setdefault(_CACHE_ATTRIBUTE, {})
    entry = kept.get(full_key)
    if entry is None:
        if len(kept) >= MAX_KEPT:  # the register list's shapes are many: never without bound
            kept.clear()
        entry = kept[full_key] = _prepare(build, values, fixed)
    if entry is _PLAIN:
        return list(build(**values))
    params = list(entry.params)
    for name, indexes in entry.slots.items():
        for index in indexes:
            params[index] = values[name]
    compiler = copy.copy(entry.compiler)
    compiler.as_sql = lambda *args, **kwargs: (entry.sql, tuple(params))
    queryset = entry.queryset._chain()
    # Only this evaluation's query answers with the kept compiler; nothing else sees it.
    queryset.query.get_compiler = lambda *args, **kwargs: compiler
    return list(queryset)
