"""What changed on risks between a comparison moment and an as-at moment, from history.

For each risk: whether it is new since the comparison (it did not exist then), closed or reopened
since, and each changed field in words: title, description, consequence, category, owner,
manager, the text of its controls and actions (added, removed, reworded; an action's status), and
its ratings with the previous and the current rating. The register page's "changed since the last
report" filter, the risk page's "What changed" panel and the packs all read this, so a change is
never highlighted by hand.

A change is judged between the two states (the latest record at or before each moment), not
record by record: a title edited and edited back is no change. Five queries for any number of
risks (the risks then and now, the records of their controls and of their actions, the scheme
versions) and one each for the people and categories named.

OFFICIAL-SENSITIVE: for risks in ``withheld_risk_ids`` (the reader's ``withheld_risk_ids``, or
every sensitive risk in a public pack) the text of what changed is replaced by
``withholding.WITHHELD_SHORT``: that a description changed is shown, never what it says.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q

from scoring.engine import Rating, RatingError, rate
from scoring.models import SchemeVersion

from ..models import Action, ActionStatus, Category, Control, Risk, RiskStatus
from ..withholding import WITHHELD_SHORT

RISK_FIELDS = (
    "id",
    "ref",
    "title",
    "description",
    "consequence",
    "category_id",
    "owner_id",
    "manager_id",
    "status",
    "closed_reason",
    "scheme_version_id",
    "inherent_likelihood",
    "inherent_impact",
    "current_likelihood",
    "current_impact",
    "target_likelihood",
    "target_impact",
)
# (field, label, kind): text is compared as written; a person or category by its id.
COMPARED = (
    ("title", "Title", "text"),
    ("description", "Description", "text"),
    ("consequence", "Consequence", "text"),
    ("category_id", "Category", "category"),
    ("owner_id", "Owner", "user"),
    ("manager_id", "Manager", "user"),
)
POSITIONS = (
    ("current", "Current rating"),
    ("target", "Target rating"),
    ("inherent", "Initial (inherent) rating"),
)
# What says what a risk is about: withheld from readers not cleared for its detail.
SENSITIVE_FIELDS = frozenset({"description", "consequence", "control", "action", "closed_reason"})
NOT_SET = "(not set)"


@dataclass(frozen=True)
class FieldChange:
    """One changed field: ``field`` is the key (``title``, ``owner_id``, ``control``,
    ``current_rating``...), ``label`` what a reader calls it ("Control added"), ``old`` and
    ``new`` the text before and after ("" for none). A rating change carries both ratings."""

    field: str
    label: str
    old: str = ""
    new: str = ""
    withheld: bool = False
    old_rating: Rating | None = None
    new_rating: Rating | None = None

    @property
    def is_rating(self) -> bool:
        return self.field.endswith("_rating")


@dataclass
class RiskChanges:
    risk_id: int
    ref: str
    title: str
    new: bool = False  # not on the registers at the comparison moment
    closed: bool = False  # closed since (open then)
    reopened: bool = False  # closed then, open now
    withheld: bool = False  # the reader may not read this risk's detail
    closed_reason: str = ""
    fields: list[FieldChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.new or self.closed or self.reopened or self.fields)

    @property
    def field_names(self) -> frozenset[str]:
        return frozenset(change.field for change in self.fields)

    def get(self, name: str) -> FieldChange | None:
        return next((change for change in self.fields if change.field == name), None)

    @property
    def rating(self) -> FieldChange | None:
        """The change of the current rating (previous and current), if any."""
        return self.get("current_rating")

    @property
    def text_changes(self) -> list[FieldChange]:
        return [change for change in self.fields if not change.is_rating]


@dataclass
class ChangeSet:
    """What changed between ``since`` (exclusive) and ``until`` (inclusive), by risk id; only
    risks with a change are held."""

    since: dt.datetime
    until: dt.datetime
    by_risk: dict[int, RiskChanges] = field(default_factory=dict)

    def get(self, risk_id: int) -> RiskChanges | None:
        return self.by_risk.get(risk_id)

    def __contains__(self, risk_id: int) -> bool:
        return risk_id in self.by_risk

    def __len__(self) -> int:
        return len(self.by_risk)

    @property
    def ids(self) -> frozenset[int]:
        return frozenset(self.by_risk)

    @property
    def new(self) -> list[RiskChanges]:
        return _in_ref_order(c for c in self.by_risk.values() if c.new)

    @property
    def closed(self) -> list[RiskChanges]:
        return _in_ref_order(c for c in self.by_risk.values() if c.closed)

    @property
    def changed(self) -> list[RiskChanges]:
        """Risks there then and now with a changed field (new and closed ones aside)."""
        return _in_ref_order(
            c for c in self.by_risk.values() if c.fields and not (c.new or c.closed)
        )


def _in_ref_order(items: Iterable[RiskChanges]) -> list[RiskChanges]:
    return sorted(items, key=lambda c: (len(c.ref), c.ref))


# --- reading history ---------------------------------------------------------------------------


def _held_states(held: list, moment: dt.datetime) -> dict[int, dict]:
    """``_risk_states`` of one risk from its records (ordered by date, then history id)."""
    upto = [record for record in held if record.history_date <= moment]
    if not upto:
        return {}
    last = upto[-1].history_date  # latest_of_each: every record at the latest instant
    kept = [r for r in upto if r.history_date == last and r.history_type != "-"]
    if not kept:
        return {}
    record = kept[-1]
    return {record.id: {name: getattr(record, name) for name in RISK_FIELDS}}


def _held_treatments(held: list, since, until, fields):
    rows = [
        {
            name: getattr(record, name)
            for name in ("id", "risk_id", "position", "history_type", "history_date", *fields)
        }
        for record in held
        if record.history_date <= until
    ]
    return _treatment_states(rows, since)


def _risk_states(ids: list[int], moment: dt.datetime) -> dict[int, dict]:
    rows = (
        Risk.history.filter(id__in=ids, history_date__lte=moment)
        .latest_of_each()
        .exclude(history_type="-")
        .order_by("history_date", "history_id")  # two records at one instant: the later wins
        .values(*RISK_FIELDS)
    )
    return {row["id"]: row for row in rows}


def _treatments(
    model, ids: list[int], since: dt.datetime, until: dt.datetime, fields
) -> tuple[dict[int, dict[int, dict]], dict[int, dict[int, dict]]]:
    """Controls or actions of the risks at ``since`` and at ``until``, from one read of their
    records: ({risk id: {control id: values}} then, the same now)."""
    rows = (
        model.history.filter(risk_id__in=ids, history_date__lte=until)
        .order_by("history_date", "history_id")
        .values("id", "risk_id", "position", "history_type", "history_date", *fields)
    )
    return _treatment_states(rows, since)


def _treatment_states(rows, since):
    then: dict[int, dict[int, dict]] = defaultdict(dict)
    now: dict[int, dict[int, dict]] = defaultdict(dict)
    for row in rows:
        for held, reached in ((then, row["history_date"] <= since), (now, True)):
            if not reached:
                continue
            if row["history_type"] == "-":
                held[row["risk_id"]].pop(row["id"], None)
            else:
                held[row["risk_id"]][row["id"]] = row
    return then, now


def _rating(versions, state: dict, position: str) -> Rating | None:
    likelihood = state.get(f"{position}_likelihood")
    impact = state.get(f"{position}_impact")
    version = versions.get(state.get("scheme_version_id"))
    if likelihood is None or impact is None or version is None:
        return None
    try:
        return rate(version.parsed, likelihood, impact)
    except RatingError:
        return None


def _rating_text(rating: Rating | None) -> str:
    return rating.label if rating is not None else "Not rated"


def _add(changes: RiskChanges, name: str, label: str, old: str, new: str, **ratings) -> None:
    hidden = changes.withheld and name.removesuffix("_status") in SENSITIVE_FIELDS
    changes.fields.append(
        FieldChange(
            field=name,
            label=label,
            old=WITHHELD_SHORT if hidden and old else old,
            new=WITHHELD_SHORT if hidden and new else new,
            withheld=hidden,
            **ratings,
        )
    )


def _text(value) -> str:
    return str(value or "").strip()


def risk_changes(
    *,
    risk_ids: Iterable[int],
    since: dt.datetime,
    until: dt.datetime,
    withheld_risk_ids: Collection[int] = frozenset(),
    records=None,
) -> ChangeSet:
    """What changed on these risks after ``since`` up to ``until`` (aware moments). A risk that
    did not exist at ``until`` is left out; one created after ``since`` is ``new``.

    ``records`` (``selectors.risk_records.RiskRecords`` of the one risk asked about, as its
    page holds them): no query for the records or the scheme versions."""
    result = ChangeSet(since=since, until=until)
    ids = sorted(set(risk_ids))
    if not ids:
        return result
    if records is not None and len(ids) != 1:
        raise ValueError("records are one risk's: ask about that risk alone")
    if records is not None:
        then = _held_states(records.risk, since)
        now = _held_states(records.risk, until)
    else:
        then = _risk_states(ids, since)
        now = _risk_states(ids, until)
    if not now:
        return result
    present = list(now)
    if records is not None:
        controls_then, controls_now = _held_treatments(
            records.controls, since, until, ("description",)
        )
        actions_then, actions_now = _held_treatments(
            records.actions, since, until, ("description", "status")
        )
    else:
        controls_then, controls_now = _treatments(Control, present, since, until, ("description",))
        actions_then, actions_now = _treatments(
            Action, present, since, until, ("description", "status")
        )
    version_ids = {
        state["scheme_version_id"]
        for state in (*then.values(), *now.values())
        if state["scheme_version_id"] is not None
    }
    if records is not None:
        versions = records.versions(version_ids)
    else:
        versions = SchemeVersion.objects.in_bulk(version_ids) if version_ids else {}

    user_ids, category_ids = set(), set()
    for risk_id, state in now.items():
        before = then.get(risk_id)
        if before is None:
            continue
        for name, _label, kind in COMPARED:
            if kind != "text" and before[name] != state[name]:
                wanted = user_ids if kind == "user" else category_ids
                wanted.update(v for v in (before[name], state[name]) if v is not None)
    users = get_user_model().objects.in_bulk(user_ids) if user_ids else {}
    categories = Category.objects.in_bulk(category_ids) if category_ids else {}

    def name_of(kind: str, value) -> str:
        if value is None:
            return NOT_SET
        if kind == "user":
            user = users.get(value)
            return user.display_name if user is not None else "(a former member)"
        category = categories.get(value)
        return str(category) if category is not None else "(a removed category)"

    for risk_id, state in now.items():
        before = then.get(risk_id)
        withheld = risk_id in withheld_risk_ids
        changes = RiskChanges(
            risk_id=risk_id, ref=state["ref"], title=state["title"], withheld=withheld
        )

        closed_now = state["status"] == RiskStatus.CLOSED
        if before is None:
            changes.new = True
            changes.closed = closed_now
        else:
            closed_then = before["status"] == RiskStatus.CLOSED
            changes.closed = closed_now and not closed_then
            changes.reopened = closed_then and not closed_now
            for name, label, kind in COMPARED:
                old, new = before[name], state[name]
                if kind == "text":
                    if _text(old) != _text(new):
                        _add(changes, name.removesuffix("_id"), label, _text(old), _text(new))
                elif old != new:
                    _add(
                        changes,
                        name.removesuffix("_id"),
                        label,
                        name_of(kind, old),
                        name_of(kind, new),
                    )
            for position, label in POSITIONS:
                old_rating = _rating(versions, before, position)
                new_rating = _rating(versions, state, position)
                moved = (
                    before[f"{position}_likelihood"],
                    before[f"{position}_impact"],
                ) != (state[f"{position}_likelihood"], state[f"{position}_impact"])
                if moved or _rating_text(old_rating) != _rating_text(new_rating):
                    _add(
                        changes,
                        f"{position}_rating",
                        label,
                        _rating_text(old_rating),
                        _rating_text(new_rating),
                        old_rating=old_rating,
                        new_rating=new_rating,
                    )
            _treatment_changes(
                changes,
                "control",
                "Control",
                controls_then.get(risk_id, {}),
                controls_now.get(risk_id, {}),
            )
            _treatment_changes(
                changes,
                "action",
                "Action",
                actions_then.get(risk_id, {}),
                actions_now.get(risk_id, {}),
                statuses=True,
            )
        if changes.closed:
            reason = _text(state["closed_reason"])
            changes.closed_reason = WITHHELD_SHORT if withheld and reason else reason
        if changes.changed:
            result.by_risk[risk_id] = changes
    return result


_STATUS_LABELS = dict(ActionStatus.choices)


def _treatment_changes(
    changes: RiskChanges, name, noun, then: dict, now: dict, *, statuses=False
) -> None:
    """Controls or actions added, removed or reworded (and an action's status), in the order
    the risk lists them."""
    for pk, row in sorted(now.items(), key=lambda item: (item[1]["position"], item[0])):
        old = then.get(pk)
        new_text = _text(row["description"])
        if old is None:
            _add(changes, name, f"{noun} added", "", new_text)
            continue
        old_text = _text(old["description"])
        if old_text != new_text:
            _add(changes, name, f"{noun} reworded", old_text, new_text)
        if statuses and old["status"] != row["status"]:
            _add(
                changes,
                f"{name}_status",
                f"{noun} status",
                f"{new_text}: {_STATUS_LABELS.get(old['status'], old['status'])}",
                f"{new_text}: {_STATUS_LABELS.get(row['status'], row['status'])}",
            )
    for pk, row in sorted(then.items(), key=lambda item: (item[1]["position"], item[0])):
        if pk not in now:
            _add(changes, name, f"{noun} removed", _text(row["description"]), "")


def changed_risk_ids(*, risks, since: dt.datetime, until: dt.datetime) -> frozenset[int]:
    """Ids of the risks of ``risks`` (a queryset of risks or of their historical records) with
    a change after ``since`` up to ``until``, as ``risk_changes`` judges it.

    Only risks with a record of their own, of a control or of an action in that window can have
    changed; those are found in the database, and only they are compared. A constant number of
    queries, whatever the number of risks."""
    window = Q(history_date__gt=since, history_date__lte=until)
    ids = risks.order_by().values("id")
    touched = set(
        Risk.history.filter(window, id__in=ids).order_by().values_list("id", flat=True).distinct()
    )
    for model in (Control, Action):
        touched.update(
            model.history.filter(window, risk_id__in=ids)
            .order_by()
            .values_list("risk_id", flat=True)
            .distinct()
        )
    return risk_changes(risk_ids=touched, since=since, until=until).ids
