"""A risk's history read once for its page (issue 20): the risk's records, its controls' and
actions' records, and the organisation's appetite statement records. The history in words
(``registers.history``), what changed since the last report (``selectors.changes``), the breach
run (``selectors.quarter_runs``) and the chart's series (``selectors.risk_series``) each read
these themselves when called alone; the risk page reads them once and hands them to all four.

Records are model instances (django-simple-history), ordered by (history_date, history_id);
each reader keeps those up to its own moment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from appetite.models import AppetiteStatement
from scoring.models import SchemeVersion

from ..models import Action, Control, Risk


@dataclass
class RiskRecords:
    risk: list
    controls: list
    actions: list
    statements: list
    _versions: dict = field(default_factory=dict)

    def risk_upto(self, moment: dt.datetime) -> list:
        return [record for record in self.risk if record.history_date <= moment]

    def statements_upto(self, moment: dt.datetime) -> list:
        return [record for record in self.statements if record.history_date <= moment]

    def related(self) -> dict[str, dict[int, object]]:
        """The people, categories and scheme versions the records name, joined when they were
        read: the history in words asks the database only for the others."""
        found: dict[str, dict[int, object]] = {"user": {}, "category": {}, "scheme_version": {}}
        for record in self.risk:
            for kind, name in (("user", "owner"), ("user", "manager"), ("category", "category")):
                if getattr(record, f"{name}_id") is not None:
                    found[kind][getattr(record, f"{name}_id")] = getattr(record, name)
            if record.scheme_version_id is not None:
                found["scheme_version"][record.scheme_version_id] = record.scheme_version
        for record in (*self.controls, *self.actions):
            if record.owner_id is not None:
                found["user"][record.owner_id] = record.owner
        return found

    def versions(self, ids) -> dict[int, SchemeVersion]:
        """The scheme versions of these ids (one query for the page, however often asked)."""
        missing = {pk for pk in ids if pk is not None and pk not in self._versions}
        if missing:
            self._versions.update(SchemeVersion.objects.select_related("scheme").in_bulk(missing))
        return {pk: self._versions[pk] for pk in ids if pk in self._versions}


def _ordered(queryset, *joined) -> list:
    # Only nullable foreign keys joined (an outer join): a record is never lost to a missing row.
    return list(
        queryset.select_related("history_user", *joined).order_by("history_date", "history_id")
    )


def risk_records(risk: Risk) -> RiskRecords:
    """Four queries, whatever the length of the history (the scheme versions, people and
    categories the risk's records name are joined to them)."""
    records = RiskRecords(
        risk=_ordered(
            Risk.history.filter(id=risk.id),
            "owner",
            "manager",
            "category",
            "scheme_version__scheme",
        ),
        controls=_ordered(Control.history.filter(risk_id=risk.id), "owner"),
        actions=_ordered(Action.history.filter(risk_id=risk.id), "owner"),
        statements=list(
            AppetiteStatement.history.filter(organisation_id=risk.organisation_id).order_by(
                "history_date", "history_id"
            )
        ),
    )
    # The scheme versions, joined to the records: no read of their own (the risk's own too).
    records._versions.update(records.related()["scheme_version"])
    if risk.scheme_version_id is not None and risk.scheme_version is not None:
        records._versions.setdefault(risk.scheme_version_id, risk.scheme_version)
    return records
