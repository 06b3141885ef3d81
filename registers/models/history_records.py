"""django-simple-history's HistoricalRecords with indexes of our own on the history table.

simple-history builds the historical model's Meta itself (ordering, and an index on
``history_date``), so a model's own Meta cannot add one to its history table. Reads of one
organisation's history over a period ("what changed this quarter") need (organisation,
history_date): the organisation index alone reads every record the organisation ever had.
"""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords


class IndexedHistoricalRecords(HistoricalRecords):
    def __init__(self, *args, indexes: tuple[models.Index, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.extra_indexes = indexes

    def get_meta_options(self, model):
        meta = super().get_meta_options(model)
        meta["indexes"] = (*meta.get("indexes", ()), *self.extra_indexes)
        return meta
