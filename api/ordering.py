"""The risk list's ``?ordering=``, and a cursor that stays correct whatever the ordering.

DRF's ``CursorPagination`` keeps only the first ordering field's value in the cursor and skips
ties by an offset; its docs ask for "an unchanging, unique or nearly unique field" and it cannot
page over a nullable one (an unrated risk's score). Here the cursor holds every sort key of the
last row seen and the risk's id last, and the next page is the rows strictly after that tuple
(keyset pagination): exact with any number of ties, one query a page however deep, and a NULL
score or review date sorts as a fixed value (unrated lowest, no review date last).
https://www.django-rest-framework.org/api-guide/pagination/#cursorpagination
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce, Length, Lower
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

ORDERING_UNKNOWN = "Order by one of: {choices} (a leading '-' reverses)."
CURSOR_INVALID = "This cursor is not one this list gave: follow the 'next' or 'previous' link."
CURSOR_OTHER_ORDERING = "This cursor belongs to another ordering: start again without it."

# A NULL sorts as this: unrated lowest, no review date after every date.
UNRATED = 0
NO_DATE = dt.date(9999, 12, 31)


@dataclass(frozen=True)
class SortKey:
    name: str  # a field, or the alias an expression is annotated as
    kind: str  # int, str, date or datetime: how the cursor carries its value
    expression: object = None


ID = SortKey("id", "int")
ORDERINGS: dict[str, tuple[SortKey, ...]] = {
    "id": (),
    # The natural order of refs (2 before 10), as the register page sorts them.
    "ref": (SortKey("api_ref_length", "int", Length("ref")), SortKey("ref", "str")),
    "title": (SortKey("api_title", "str", Lower("title")),),
    "current_score": (
        SortKey("api_current_score", "int", Coalesce("current_score", Value(UNRATED))),
        SortKey("api_current_likelihood", "int", Coalesce("current_likelihood", Value(UNRATED))),
    ),
    "target_score": (
        SortKey("api_target_score", "int", Coalesce("target_score", Value(UNRATED))),
        SortKey("api_target_likelihood", "int", Coalesce("target_likelihood", Value(UNRATED))),
    ),
    "inherent_score": (
        SortKey("api_inherent_score", "int", Coalesce("inherent_score", Value(UNRATED))),
        SortKey("api_inherent_likelihood", "int", Coalesce("inherent_likelihood", Value(UNRATED))),
    ),
    "next_review_due": (
        SortKey("api_next_review_due", "date", Coalesce("next_review_due", Value(NO_DATE))),
    ),
    "last_reviewed": (
        SortKey("api_last_reviewed", "date", Coalesce("last_reviewed", Value(dt.date.min))),
    ),
    "updated_at": (SortKey("updated_at", "datetime"),),
}
ORDERING_CHOICES = sorted(ORDERINGS) + sorted(f"-{name}" for name in ORDERINGS)


def ordering_keys(ordering: str) -> tuple[tuple[SortKey, ...], bool]:
    """The sort keys (the id last) and whether descending, for ``ordering`` ("-current_score");
    a 400 naming the choices for anything else."""
    name = ordering.removeprefix("-")
    if name not in ORDERINGS:
        raise ValidationError({"ordering": [ORDERING_UNKNOWN.format(choices=", ".join(ORDERINGS))]})
    return (*ORDERINGS[name], ID), ordering.startswith("-")


def _encode(value, kind: str):
    return value.isoformat() if kind in ("date", "datetime") else value


def _decode(value, kind: str):
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "str" and isinstance(value, str):
        return value
    if kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if kind == "datetime" and isinstance(value, str):
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is not None:
            return moment
    raise ValueError(value)


def _after(keys: tuple[SortKey, ...], position: list, *, descending: bool) -> Q:
    """Rows strictly after ``position`` in the order of ``keys`` (all one direction)."""
    lookup = "lt" if descending else "gt"
    found = Q(pk__in=[])
    for n, key in enumerate(keys):
        step = Q(**{f"{key.name}__{lookup}": position[n]})
        for earlier, value in zip(keys[:n], position[:n], strict=False):
            step &= Q(**{earlier.name: value})
        found |= step
    return found


class OrderedCursorPagination(CursorPagination):
    """Cursor pages of a risk list in any of ``ORDERINGS``: ``next`` and ``previous`` links, as
    DRF's cursor gives, over a (sort keys..., id) keyset."""

    page_size = 100
    max_page_size = 500
    page_size_query_param = "page_size"
    ordering = "id"

    def paginate_queryset(self, queryset: QuerySet, request, view=None, *, ordering: str = "id"):
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        self.ordering_name = ordering
        keys, descending = ordering_keys(ordering)
        annotations = {key.name: key.expression for key in keys if key.expression is not None}
        if annotations:
            queryset = queryset.annotate(**annotations)
        position, backwards = self._cursor(request, keys)
        forwards_descending = descending != backwards  # walking back reverses the order
        prefix = "-" if forwards_descending else ""
        queryset = queryset.order_by(*(f"{prefix}{key.name}" for key in keys))
        if position is not None:
            queryset = queryset.filter(_after(keys, position, descending=forwards_descending))
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
            self.has_next, self.has_previous = position is not None, more
        else:
            self.has_next, self.has_previous = more, position is not None
        self._keys, self._rows = keys, rows
        return rows

    def _cursor(self, request, keys) -> tuple[list | None, bool]:
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None, False
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode("ascii")).decode("utf-8"))
            if data.get("o") != self.ordering_name:
                raise ValidationError({"cursor": [CURSOR_OTHER_ORDERING]})
            values = data["p"]
            if not isinstance(values, list) or len(values) != len(keys):
                raise ValueError(values)
            position = [_decode(v, key.kind) for v, key in zip(values, keys, strict=True)]
            return position, bool(data.get("r"))
        except ValidationError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, UnicodeError, binascii.Error):
            raise ValidationError({"cursor": [CURSOR_INVALID]}) from None

    def _link(self, row, *, backwards: bool) -> str:
        values = [_encode(getattr(row, key.name), key.kind) for key in self._keys]
        data = {"o": self.ordering_name, "p": values, "r": int(backwards)}
        cursor = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
        return replace_query_param(self.base_url, self.cursor_query_param, cursor.decode("ascii"))

    def get_next_link(self):
        if not self.has_next or not self._rows:
            return None
        return self._link(self._rows[-1], backwards=False)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        if not self._rows:
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self._link(self._rows[0], backwards=True)

    def get_paginated_response(self, data):
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )
