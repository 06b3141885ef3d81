"""Stored values as a page's form would have them posted (conflict forms, the API's PATCH)."""

from __future__ import annotations

import datetime as dt

from django.db import models


def as_posted(value) -> str:
    """A stored value as a browser would post it: a row by its id, a date in ISO form."""
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
