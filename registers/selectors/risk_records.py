"""A risk's history read once for its page (issue 20): the risk's records, its controls' and
actions' records, and the organisation's appetite statement records. The history in words
(``registers.history``), what changed since the last report (``selectors.changes``), the breach
run (``selectors.quarter_runs``) and the chart's series (``selectors.risk_series``) each read
these themselves when called alone; the risk page reads them once and hands them to all four.

Records are model instances (django-simple-history), ordered by (history_date, history_id);
each reader keeps those up to its own moment.

The same read takes the risk's objectives and working leads, now and at each of its records
(one query for both fields, their names joined): the page's "Objectives" and "Working leads"
rows, and the history's many-to-many changes in words."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import CharField, DateTimeField, F, IntegerField, Value
from simple_history.models import HistoricalRecords

from appetite.models import AppetiteStatement
from appetite.selectors import AppetiteLookup
from scoring.models import SchemeVersion

from ..models import Action, Control, Objective, Risk, User
from ..prepared import prepared_list

# The risk's many-to-many fields as the history names them (``registers.history.RISK_M2M``):
# field, the through row's column for the other end, what that end is.
M2M = (("objectives", "objective", Objective), ("leads", "user", User))
# The columns each end is read with (an objective's, then a person's; NULL where not its own).
_OBJECTIVE_COLUMNS = (
    ("id", IntegerField),
    ("code", CharField),
    ("name", CharField),
    ("position", IntegerField),
    ("retired_at", DateTimeField),
)
_USER_COLUMNS = (
    ("id", IntegerField),
    ("full_name", CharField),
    ("job_title", CharField),
    ("email", CharField),
)


@dataclass
class RiskRecords:
    risk: list
    controls: list
    actions: list
    statements: list
    _versions: dict = field(default_factory=dict)
    # {"objectives"|"leads": {history_id: frozenset of ids}}: what each record held.
    snapshots: dict = field(default_factory=dict)
    # The risk's objectives (by position, code) and working leads (by name) now.
    objectives: list = field(default_factory=list)
    leads: list = field(default_factory=list)
    # Every objective and person the snapshots or the risk name, by id.
    m2m_named: dict = field(default_factory=lambda: {"objective": {}, "user": {}})

    def snapshots_of(self, record_ids) -> dict[str, dict[int, frozenset[int]]]:
        """``registers.history._m2m_snapshots`` for these records, with no query."""
        return {
            name: {pk: self.snapshots.get(name, {}).get(pk, frozenset()) for pk in record_ids}
            for name, _end, _model in M2M
        }

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
        found["objective"] = dict(self.m2m_named["objective"])
        found["user"] = {**self.m2m_named["user"], **found["user"]}
        return found

    def appetite_now(self) -> AppetiteLookup:
        """The organisation's thresholds now (``appetite.selectors.appetite_lookup``'s answer)
        from the statements' records: each statement's last, unless it records its removal,
        as ``selectors.quarter_runs`` reads them at a quarter end. No query."""
        last = {record.id: record for record in self.statements}
        return AppetiteLookup(r for r in last.values() if r.history_type != "-")

    def live(self, model, risk: Risk) -> list:
        """The risk's controls (``model`` Control) or actions (Action) as they are now, with
        their owners, in their order (position, id): each one's last record, unless that
        records its removal. Every write of a control or action records its history, bulk ones
        included (``bulk_history_create``): the page reads them here, not again."""
        records = self.controls if model is Control else self.actions
        last = {record.id: record for record in records}  # ordered by date: the latest wins
        names = [f.attname for f in model._meta.concrete_fields]
        found = []
        for record in last.values():
            if record.history_type == "-":
                continue
            item = model.from_db("default", names, [getattr(record, n) for n in names])
            item.owner = record.owner  # joined with the record (PROTECT: never a lost row)
            item.risk = risk
            found.append(item)
        found.sort(key=lambda item: (item.position, item.id))
        return found

    def versions(self, ids) -> dict[int, SchemeVersion]:
        """The scheme versions of these ids (one query for the page, however often asked)."""
        missing = {pk for pk in ids if pk is not None and pk not in self._versions}
        if missing:
            self._versions.update(SchemeVersion.objects.select_related("scheme").in_bulk(missing))
        return {pk: self._versions[pk] for pk in ids if pk in self._versions}


def _ordered(queryset, *joined):
    # Only nullable foreign keys joined (an outer join): a record is never lost to a missing row.
    return queryset.select_related("history_user", *joined).order_by("history_date", "history_id")


def _risk_history(risk_id: int):
    return _ordered(
        Risk.history.filter(id=risk_id),
        "owner",
        "manager",
        "category",
        "scheme_version__scheme",
    )


def _statement_history(organisation_id: int):
    return AppetiteStatement.history.filter(organisation_id=organisation_id).order_by(
        "history_date", "history_id"
    )


def risk_records(risk: Risk) -> RiskRecords:
    """Four queries, whatever the length of the history (the scheme versions, people and
    categories the risk's records name are joined to them), each compiled once per connection
    (``prepared_list``)."""
    records = RiskRecords(
        risk=prepared_list("risk_records.risk", _risk_history, risk_id=risk.id),
        **_treatment_records(risk),
        statements=prepared_list(
            "risk_records.statements",
            _statement_history,
            organisation_id=risk.organisation_id,
        ),
    )
    _read_m2m(risk, records)
    # The scheme versions, joined to the records: no read of their own (the risk's own too).
    records._versions.update(records.related()["scheme_version"])
    if risk.scheme_version_id is not None and risk.scheme_version is not None:
        records._versions.setdefault(risk.scheme_version_id, risk.scheme_version)
    return records


# The people a control's or action's record names, read with it: (relation, its columns).
_PEOPLE = ("owner", "history_user")


def _treatment_columns():
    kinds = {"controls": Control.history.model, "actions": Action.history.model}
    fields: dict[str, object] = {}
    for model in kinds.values():
        for f in model._meta.concrete_fields:
            fields.setdefault(f.attname, f)
    people = [(rel, name) for rel in _PEOPLE for name, _output in _USER_COLUMNS[1:]]
    return kinds, fields, people


def _treatment_union(risk_id: int):
    kinds, fields, people = _treatment_columns()
    reads = []
    for kind, model in kinds.items():
        own = {f.attname for f in model._meta.concrete_fields}
        missing = {
            f"absent_{name}": Value(None, output_field=type(f)())
            for name, f in fields.items()
            if name not in own
        }
        columns = [name if name in own else f"absent_{name}" for name in fields]
        reads.append(
            model.objects.filter(risk_id=risk_id)
            .annotate(record_kind=Value(kind, output_field=CharField()), **missing)
            .values_list("record_kind", *columns, *(f"{rel}__{name}" for rel, name in people))
            .order_by()
        )
    return reads[0].union(*reads[1:], all=True)


def _treatment_records(risk: Risk) -> dict[str, list]:
    """The records of the risk's controls and of its actions, in one query (a union of the two
    history tables, each side's own columns NULL on the other), with their owners and authors,
    each list ordered by (history_date, history_id)."""
    kinds, fields, people = _treatment_columns()
    found: dict[str, list] = {kind: [] for kind in kinds}
    names = list(fields)
    rows = prepared_list("risk_records.treatments", _treatment_union, risk_id=risk.id)
    for kind, *values in rows:
        model = kinds[kind]
        row = dict(zip(names, values[: len(names)], strict=True))
        own = [f.attname for f in model._meta.concrete_fields]
        record = model.from_db("default", own, [row[name] for name in own])
        shown = dict(zip(people, values[len(names) :], strict=True))
        for rel in _PEOPLE:
            pk = row[f"{rel}_id"]
            if pk is None:
                continue
            person = User(id=pk, **{name: shown[rel, name] for name, _o in _USER_COLUMNS[1:]})
            person._state.adding, person._state.db = False, "default"
            setattr(record, rel, person)
        found[kind].append(record)
    for records in found.values():
        records.sort(key=lambda record: (record.history_date, record.history_id))
    return found


def _m2m_rows(through, end: str, *, history: bool):
    """One branch of the union: (end, history id or NULL, the end's id, an objective's columns,
    a person's columns), NULL in the columns of the other kind of end."""
    kind = end if history else f"now:{end}"
    columns = {
        "m2m_kind": Value(kind, output_field=CharField()),
        "m2m_record": F("history_id") if history else Value(None, output_field=IntegerField()),
        "m2m_pk": F(f"{end}_id"),
    }
    for name, output in _OBJECTIVE_COLUMNS[1:]:
        columns[f"o_{name}"] = (
            F(f"{end}__{name}") if end == "objective" else Value(None, output_field=output())
        )
    for name, output in _USER_COLUMNS[1:]:
        columns[f"u_{name}"] = (
            F(f"{end}__{name}") if end == "user" else Value(None, output_field=output())
        )
    return through.annotate(**columns).values_list(*columns).order_by()


def _names(columns) -> list[str]:
    return [name for name, _output in columns]


def _m2m_union(risk_id: int):
    reads = []
    for name, end, _model in M2M:
        field_ = Risk._meta.get_field(name)
        reads.append(
            _m2m_rows(
                field_.remote_field.through.objects.filter(risk_id=risk_id), end, history=False
            )
        )
        snapshot = HistoricalRecords.m2m_models[field_].objects.filter(history__id=risk_id)
        reads.append(_m2m_rows(snapshot, end, history=True))
    return reads[0].union(*reads[1:], all=True)


def _read_m2m(risk: Risk, records: RiskRecords) -> None:
    """The risk's objectives and working leads now and at each of its records: one query."""
    rows = prepared_list("risk_records.m2m", _m2m_union, risk_id=risk.id)
    held: dict[str, dict[int, set[int]]] = {name: defaultdict(set) for name, _e, _m in M2M}
    fields_of = {end: name for name, end, _model in M2M}
    now: dict[str, list] = {"objective": [], "user": []}
    for kind, history_id, pk, *rest in rows:
        end = kind.removeprefix("now:")
        if end == "objective":
            values = dict(zip(_names(_OBJECTIVE_COLUMNS), (pk, *rest[:4]), strict=True))
            found = Objective(organisation_id=risk.organisation_id, **values)
        else:
            values = dict(zip(_names(_USER_COLUMNS), (pk, *rest[4:]), strict=True))
            found = User(**values)
        found._state.adding, found._state.db = False, "default"
        records.m2m_named[end].setdefault(pk, found)
        if kind.startswith("now:"):
            now[end].append(found)
        else:
            held[fields_of[end]][history_id].add(pk)
    records.snapshots = {
        name: {k: frozenset(v) for k, v in ids.items()} for name, ids in held.items()
    }
    records.objectives = sorted(now["objective"], key=lambda o: (o.position, o.code))
    records.leads = sorted(now["user"], key=lambda u: (u.full_name, u.email))
