"""A risk's history as a person reads it: who, when, what changed and why.

Built from django-simple-history records of the risk (with its objectives and working leads), of
its controls and actions (removed ones included) and from its reviews. Every value is shown in the
users' words: ratings through the scoring engine ("Current rating: 12 (Medium) → 8 (Medium)"),
choices by their labels, people, categories and registers by name. Escalation steps (requested,
accepted, declined, withdrawn) and link changes are entries of their own, read from the reasons
their services write. Names are fetched in bulk, so the cost is a fixed number of queries however
long the history is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import CharField, Value
from django.utils import formats, timezone
from simple_history.models import HistoricalRecords

from scoring.engine import RatingError, rate
from scoring.models import SchemeVersion

from .models import (
    Action,
    ActionStatus,
    Category,
    Control,
    Effectiveness,
    Escalation,
    Horizon,
    Marking,
    Objective,
    Progress,
    Proximity,
    Register,
    Review,
    ReviewState,
    Risk,
    RiskKind,
    RiskStatus,
    Scale3,
)
from .withholding import withheld_refs

ARROW = "→"
TEXT_LIMIT = 160
# Records of one save arrive a moment apart (the row, then each many-to-many field).
SAME_EVENT = dt.timedelta(seconds=5)
# Reasons the services write when the editor gave none: they add nothing for a reader.
GENERIC_REASONS = frozenset({"", "edited", "created", "removed"})
# Change reasons written by the escalation and link services (registers/services/escalation.py
# and links.py). An escalation step names its Escalation row, which holds the full reason.
ESCALATION_STEP = re.compile(
    r"^(?P<down>de-)?(?P<step>escalation requested|escalated|escalation declined"
    r"|escalation withdrawn) \(#(?P<pk>\d+)\)"
)
# The ref is read up to the first ": " (the links service's separator) so that refs older data
# holds, with spaces or colons, are still known as link steps; a note may span lines. Where a
# ref itself holds ": ", the withholding below still finds it (``_withhold_link_notes``).
LINK_STEP = re.compile(
    r"^(?P<step>linked to|unlinked from) (?P<ref>.+?)(?::\s+(?P<note>.*))?$", re.DOTALL
)


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str

    def __str__(self) -> str:
        if not self.old or self.old == self.new:  # a value set at creation
            return f"{self.label}: {self.new}"
        return f"{self.label}: {self.old} {ARROW} {self.new}"


@dataclass
class HistoryEntry:
    when: dt.datetime
    who: str
    subject: str  # "Risk", "Control", "Action", "Review"
    summary: str  # "Risk edited", "Control added", ...
    changes: list[Change] = field(default_factory=list)
    reason: str = ""
    detail: str = ""  # what a control or action says, so the reader knows which one
    other_ref: str = ""  # a link step: the other risk's ref when the link was made or removed

    @property
    def lines(self) -> list[str]:
        return [str(change) for change in self.changes]


# --- value formatting -------------------------------------------------------------------------


def _text(value) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        return "(blank)"
    if len(text) > TEXT_LIMIT:
        text = text[: TEXT_LIMIT - 1].rstrip() + "…"
    return f"“{text}”"


def _date(value) -> str:
    return formats.date_format(value, "j F Y") if value else "(none)"


def _choice(choices) -> Callable[[object], str]:
    labels = dict(choices)

    def show(value) -> str:
        if value in ("", None):
            return "(not set)"
        return str(labels.get(value, value))

    return show


def _months(value) -> str:
    if not value:
        return "(not set)"
    return f"{value} month{'s' if value != 1 else ''}"


def _yes_no(value) -> str:
    return "Yes" if value else "No"


def _plain(value) -> str:
    return str(value) if value not in ("", None) else "(blank)"


class _Names:
    """Names for the ids that history records hold, fetched in one query per model."""

    def __init__(self):
        self._wanted: dict[str, set[int]] = defaultdict(set)
        self._found: dict[str, dict[int, object]] = {}

    def want(self, kind: str, value) -> None:
        if value is not None:
            self._wanted[kind].add(value)

    def fetch(self) -> None:
        models = {
            "user": get_user_model(),
            "category": Category,
            "register": Register,
            "objective": Objective,
            "scheme_version": SchemeVersion,
        }
        for kind, ids in self._wanted.items():
            found = self._found.setdefault(kind, {})
            missing = ids - found.keys()  # none of those handed in already (``known``)
            if not missing:
                continue
            queryset = models[kind].objects.all()
            if kind == "scheme_version":
                queryset = queryset.select_related("scheme")
            found.update(queryset.in_bulk(missing))

    def wanted(self, kind: str) -> set[int]:
        return self._wanted.get(kind, set())

    def known(self, kind: str, found: dict) -> None:
        """Objects of ``kind`` the caller already holds, by id: ``fetch`` reads only the others."""
        self._found.setdefault(kind, {}).update(found)

    def get(self, kind: str, value):
        return self._found.get(kind, {}).get(value)

    def name(self, kind: str, value) -> str:
        if value is None:
            return "(nobody)" if kind == "user" else "(none)"
        obj = self.get(kind, value)
        if obj is None:
            return f"(deleted {kind.replace('_', ' ')} {value})"
        return obj.display_name if kind == "user" else str(obj)


# --- what each model's history shows ----------------------------------------------------------

# (attribute on the historical record, label, formatter or name kind)
RISK_FIELDS: list[tuple[str, str, object]] = [
    ("ref", "Reference", _plain),
    ("title", "Title", _text),
    ("register_id", "Register", "register"),
    ("description", "Description", _text),
    ("consequence", "Consequence", _text),
    ("category_id", "Category", "category"),
    ("owner_id", "Owner", "user"),
    ("manager_id", "Manager", "user"),
    ("kind", "Threat or opportunity", _choice(RiskKind.choices)),
    ("horizon", "Horizon", _choice(Horizon.choices)),
    ("emerging", "Emerging", _yes_no),
    ("response", "Response", _plain),
    ("proximity", "Proximity", _choice(Proximity.choices)),
    ("progress", "Progress to target", _choice(Progress.choices)),
    ("marking", "Handling marking", _choice(Marking.choices)),
    ("status", "Status", _choice(RiskStatus.choices)),
    ("closed_reason", "Reason for closing", _text),
    ("last_reviewed", "Last reviewed", _date),
    ("next_review_due", "Next review due", _date),
    ("review_months", "Review period", _months),
    ("source_note", "Source", _text),
]
POSITION_LABELS = {
    "inherent": "Initial (inherent) rating",
    "current": "Current rating",
    "target": "Target rating",
}
RISK_M2M = {"objectives": ("objective_id", "Objectives"), "leads": ("user_id", "Working leads")}

CONTROL_FIELDS: list[tuple[str, str, object]] = [
    ("description", "Description", _text),
    ("owner_id", "Owner", "user"),
    ("effectiveness", "Effectiveness", _choice(Effectiveness.choices)),
    ("assurance", "Source of assurance", _text),
]
ACTION_FIELDS: list[tuple[str, str, object]] = [
    ("description", "Description", _text),
    ("owner_id", "Owner", "user"),
    ("due_date", "Due date", _date),
    ("status", "Status", _choice(ActionStatus.choices)),
    ("priority", "Priority", _choice(Scale3.choices)),
    ("difficulty", "Difficulty", _choice(Scale3.choices)),
    ("progress_note", "Progress", _text),
]


def _show(names: _Names, how, value) -> str:
    if isinstance(how, str):
        return names.name(how, value)
    return how(value)


def _want_names(names: _Names, records, fields) -> None:
    for record in records:
        for attribute, _label, how in fields:
            if isinstance(how, str):
                names.want(how, getattr(record, attribute))


def _field_changes(names: _Names, old, new, fields) -> list[Change]:
    changes = []
    for attribute, label, how in fields:
        before, after = getattr(old, attribute), getattr(new, attribute)
        if before != after and not (before in ("", None) and after in ("", None)):
            changes.append(Change(label, _show(names, how, before), _show(names, how, after)))
    return changes


def _rating_text(names: _Names, record, position: str) -> str:
    likelihood = getattr(record, f"{position}_likelihood")
    impact = getattr(record, f"{position}_impact")
    if likelihood is None or impact is None:
        return "Not rated"
    version = names.get("scheme_version", record.scheme_version_id)
    if version is None:
        return f"likelihood {likelihood}, impact {impact}"
    try:
        rating = rate(version.parsed, likelihood, impact)
    except RatingError:
        return f"likelihood {likelihood}, impact {impact}"
    return rating.label


def _position_changes(names: _Names, old, new) -> list[Change]:
    changes = []
    for position, label in POSITION_LABELS.items():
        before, after = _rating_text(names, old, position), _rating_text(names, new, position)
        if before != after:
            changes.append(Change(label, before, after))
    if old.scheme_version_id != new.scheme_version_id and old.scheme_version_id is not None:
        changes.append(
            Change(
                "Scoring scheme",
                names.name("scheme_version", old.scheme_version_id),
                names.name("scheme_version", new.scheme_version_id),
            )
        )
    return changes


def _who(record) -> str:
    user = record.history_user
    return user.display_name if user is not None else "System"


def _reason(record) -> str:
    reason = (record.history_change_reason or "").strip()
    if reason in GENERIC_REASONS or reason.startswith("closed:"):
        return ""  # a close's reason is already shown as "Reason for closing"
    if reason.startswith("reopened: "):
        return reason.removeprefix("reopened: ")
    return reason


# --- the risk's own records -------------------------------------------------------------------


def _m2m_snapshots(record_ids: list[int]) -> dict[str, dict[int, frozenset[int]]]:
    """For each many-to-many field, the ids it held at each historical record of the risk (one
    query for all the fields)."""
    reads = [
        HistoricalRecords.m2m_models[Risk._meta.get_field(name)]
        .objects.filter(history_id__in=record_ids)
        .annotate(m2m_field=Value(name, output_field=CharField()))
        .values_list("m2m_field", "history_id", column)
        .order_by()
        for name, (column, _label) in RISK_M2M.items()
    ]
    held: dict[str, dict[int, set[int]]] = {name: defaultdict(set) for name in RISK_M2M}
    if record_ids:
        for name, history_id, value in reads[0].union(*reads[1:], all=True):
            held[name][history_id].add(value)
    return {
        name: {record_id: frozenset(held[name].get(record_id, ())) for record_id in record_ids}
        for name in RISK_M2M
    }


def _is_step(reason: str | None) -> bool:
    reason = (reason or "").strip()
    return bool(ESCALATION_STEP.match(reason) or LINK_STEP.match(reason))


def _escalation_step(match: re.Match, escalations: dict[int, Escalation]) -> tuple[str, str]:
    """(summary, why) of an escalation step, in full from its Escalation row."""
    down, step = bool(match["down"]), match["step"]
    noun = "De-escalation" if down else "Escalation"
    escalation = escalations.get(int(match["pk"]))
    if escalation is None:  # not this risk's: show the step in words only
        return (f"{'De-' if down else ''}{step}").capitalize(), ""
    source, target = escalation.from_register.name, escalation.to_register.name
    if step == "escalation requested":
        return f"{noun} requested to {target}", escalation.reason
    if step == "escalated":
        why = escalation.reason
        if escalation.decision_note:
            why += f" (note on acceptance: {escalation.decision_note})"
        return f"{'De-escalated' if down else 'Escalated'} from {source} to {target}", why
    outcome = "declined" if step == "escalation declined" else "withdrawn"
    return f"{noun} to {target} {outcome}", escalation.decision_note


def _step(reason: str | None, escalations: dict[int, Escalation]) -> tuple[str, str, str] | None:
    """(subject, summary, why) of an escalation or link step; None for any other change."""
    reason = (reason or "").strip()
    match = ESCALATION_STEP.match(reason)
    if match:
        return ("Escalation", *_escalation_step(match, escalations))
    match = LINK_STEP.match(reason)
    if match:
        if match["step"] == "unlinked from":
            return "Link", f"Link to {match['ref']} removed", ""
        return "Link", f"Linked to {match['ref']}", (match["note"] or "").strip()
    return None


def _link_ref(reason: str | None) -> str:
    match = LINK_STEP.match((reason or "").strip())
    return match["ref"] if match else ""


def _event_key(record) -> tuple:
    """Records of one save share a version and a person; an escalation or link step is its own
    event even when it follows another change by the same person moments later."""
    reason = record.history_change_reason or ""
    return (record.version, record.history_user_id, reason if _is_step(reason) else "")


def _group_events(records: list, key: Callable) -> list[list]:
    """Consecutive records of one save (same key, moments apart) become one event."""
    events: list[list] = []
    for record in records:
        if (
            events
            and key(events[-1][-1]) == key(record)
            and record.history_date - events[-1][-1].history_date <= SAME_EVENT
        ):
            events[-1].append(record)
        else:
            events.append([record])
    return events


def _risk_records(risk: Risk, names: _Names, held=None) -> tuple[list, dict]:
    """``held``: the page's ``RiskRecords`` (its records and their snapshots, no query)."""
    if held is not None:
        records = held.risk
        snapshots = held.snapshots_of([record.history_id for record in records])
    else:
        records = list(
            Risk.history.filter(id=risk.id).select_related("history_user").order_by("history_date")
        )
        snapshots = _m2m_snapshots([record.history_id for record in records])
    _want_names(names, records, RISK_FIELDS)
    for record in records:
        names.want("scheme_version", record.scheme_version_id)
    for name, held in snapshots.items():
        for ids in held.values():
            for value in ids:
                names.want(_M2M_KIND[name], value)
    return records, snapshots


_M2M_KIND = {"objectives": "objective", "leads": "user"}


def _m2m_text(names: _Names, name: str, held: frozenset[int]) -> str:
    if not held:
        return "(none)"
    return ", ".join(sorted(names.name(_M2M_KIND[name], value) for value in held))


def _m2m_changes(names: _Names, snapshots, old, new) -> list[Change]:
    changes = []
    for name, (_column, label) in RISK_M2M.items():
        before, after = snapshots[name][old.history_id], snapshots[name][new.history_id]
        if before != after:
            changes.append(
                Change(label, _m2m_text(names, name, before), _m2m_text(names, name, after))
            )
    return changes


def _risk_entries(
    records: list,
    snapshots,
    names: _Names,
    reviews: list[Review],
    escalations: dict[int, Escalation] | None = None,
) -> list[HistoryEntry]:
    escalations = escalations or {}
    unmatched_reviews = list(reviews)
    entries: list[HistoryEntry] = []
    previous = None
    for event in _group_events(records, key=_event_key):
        first, last = event[0], event[-1]
        reason = next((_reason(r) for r in event if _reason(r)), "")
        if previous is None or first.history_type == "+":
            changes = [
                Change(label, "", _show(names, how, getattr(last, attribute)))
                for attribute, label, how in RISK_FIELDS
                if attribute != "title" and getattr(last, attribute) not in ("", None, False)
            ]
            changes += [
                Change(label, "", _rating_text(names, last, position))
                for position, label in POSITION_LABELS.items()
                if getattr(last, f"{position}_likelihood") is not None
            ]
            changes += [
                Change(label, "", _m2m_text(names, name, snapshots[name][last.history_id]))
                for name, (_column, label) in RISK_M2M.items()
                if snapshots[name][last.history_id]
            ]
            summary = "Risk created"
        else:
            changes = _field_changes(names, previous, last, RISK_FIELDS)
            changes += _position_changes(names, previous, last)
            changes += _m2m_changes(names, snapshots, previous, last)
            summary = _risk_summary(previous, last, first.history_change_reason or "")
        entry = HistoryEntry(
            when=first.history_date,
            who=_who(first),
            subject="Review" if summary.startswith("Reviewed") else "Risk",
            summary=summary,
            changes=changes,
            reason=reason,
        )
        step = (
            None if first.history_type == "+" else _step(first.history_change_reason, escalations)
        )
        if step is not None:
            entry.subject, entry.summary, entry.reason = step
            if entry.subject == "Link":
                entry.other_ref = _link_ref(first.history_change_reason)
        if entry.subject == "Review":
            review = _matching_review(unmatched_reviews, first.history_date)
            if review is not None:
                unmatched_reviews.remove(review)
                entry.reason = review.note
                entry.summary = _review_summary(review)
                if review.reviewed_by is not None:
                    entry.who = review.reviewed_by.display_name
            else:
                # No review was recorded with this save, so it was not one, whatever its reason
                # says: a reason typed on an edit ("reviewed with the director: ...") read as a
                # review, its words cut at their first colon. Its reason is shown whole.
                entry.subject = "Risk"
                entry.summary = _risk_summary(previous, last, "")
        previous = last
        if changes or entry.reason or entry.subject != "Risk":
            entries.append(entry)
    entries += [_review_entry(review) for review in unmatched_reviews]
    return entries


def _risk_summary(old, new, reason: str) -> str:
    if reason.startswith("signed off by "):  # services.sign_off: an update applied
        return "Update signed off"
    if reason.startswith(("re-scored", "reviewed")):
        return "Reviewed and re-scored" if reason.startswith("re-scored") else "Reviewed, no change"
    if old.status != new.status:
        if new.status == RiskStatus.CLOSED:
            return "Risk closed"
        if old.status == RiskStatus.CLOSED:
            return "Risk reopened"
        return f"Risk {new.get_status_display().lower()}"
    return "Risk edited"


def _matching_review(reviews: list[Review], when: dt.datetime) -> Review | None:
    """The review recorded by the save at ``when`` (``services.reviews.review_record`` makes
    both in one transaction). Only a recorded one: an update submitted for sign-off changes the
    risk only when signed off, a save of its own ("signed off by"), so one submitted moments
    before someone's review was taken for theirs (its note, its author)."""
    for review in reviews:
        if review.state == ReviewState.RECORDED and abs(review.created_at - when) <= SAME_EVENT:
            return review
    return None


def _review_summary(review: Review) -> str:
    kind = "Reviewed and re-scored" if review.rescored else "Reviewed, no change"
    if review.state != ReviewState.RECORDED:  # went to sign-off (issue 17): where it stands
        kind = f"Update submitted for sign-off ({review.get_state_display().lower()})"
    return f"{kind} (review dated {_date(review.reviewed_on)})"


def _review_entry(review: Review) -> HistoryEntry:
    return HistoryEntry(
        when=review.created_at,
        who=review.reviewed_by.display_name if review.reviewed_by else "System",
        subject="Review",
        summary=_review_summary(review),
        reason=review.note,
    )


# --- controls and actions ---------------------------------------------------------------------


def _treatment_records(model, risk: Risk, names: _Names, fields, held=None) -> list:
    if held is not None:
        records = sorted(held, key=lambda r: (r.id, r.history_date, r.history_id))
    else:
        records = list(
            model.history.filter(risk_id=risk.id)
            .select_related("history_user")
            .order_by("id", "history_date", "history_id")
        )
    _want_names(names, records, fields)
    return records


def _treatment_entries(records, names: _Names, fields, noun: str) -> list[HistoryEntry]:
    entries = []
    previous_by_id: dict[int, object] = {}
    for record in records:
        previous = previous_by_id.get(record.id)
        if record.history_type == "+" or previous is None:
            changes = [
                Change(label, "", _show(names, how, getattr(record, attribute)))
                for attribute, label, how in fields
                if attribute != "description" and getattr(record, attribute) not in ("", None)
            ]
            summary = f"{noun} added"
        elif record.history_type == "-":
            changes, summary = [], f"{noun} removed"
        else:
            changes = _field_changes(names, previous, record, fields)
            summary = f"{noun} changed"
        previous_by_id[record.id] = record
        reason = _reason(record)
        if record.history_type == "~" and not changes and not reason:
            continue
        if reason.startswith("became control"):
            reason = "Completed, so it became a control"
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=_who(record),
                subject=noun,
                summary=summary,
                changes=changes,
                reason=reason,
                detail=_text(record.description),
            )
        )
    return entries


# --- public -----------------------------------------------------------------------------------


def risk_history(
    risk: Risk, *, reader=None, reviews=None, escalations=None, records=None
) -> list[HistoryEntry]:
    """Every change to the risk, its controls, actions and reviews, newest first, as ``reader``
    (an ``OrganisationAccess``) may read it: nothing of a risk whose detail they may not read,
    and no note of a link to such a risk (the note may say what that risk is about). Without a
    reader (commands, operators) the history is whole.

    A fixed number of queries: the risk's records and their many-to-many snapshots, the control
    and action records, the reviews, the escalations, then one query per kind of name shown.
    ``reviews`` and ``escalations`` (all the risk's, as a page already holds them) save two;
    ``records`` (``selectors.risk_records.RiskRecords``, the page's one read) four more."""
    if reader is not None and not reader.can_see_sensitive(risk):
        return []
    names = _Names()
    if reviews is None:
        reviews = Review.objects.filter(risk=risk).select_related("reviewed_by")
    reviews = sorted(reviews, key=lambda review: review.created_at)
    held = records
    risk_records, snapshots = _risk_records(risk, names, held)
    control_records = _treatment_records(
        Control, risk, names, CONTROL_FIELDS, held.controls if held else None
    )
    action_records = _treatment_records(
        Action, risk, names, ACTION_FIELDS, held.actions if held else None
    )
    if held is not None:
        names.known("scheme_version", held.versions(names.wanted("scheme_version")))
        for kind, objects in held.related().items():
            names.known(kind, objects)
        names.known("register", {risk.register_id: risk.register})  # the page holds it
    names.fetch()
    if escalations is None:
        escalations = Escalation.objects.filter(risk_id=risk.id).select_related(
            "from_register", "to_register"
        )
    entries = _risk_entries(risk_records, snapshots, names, reviews, {e.pk: e for e in escalations})
    entries += _treatment_entries(control_records, names, CONTROL_FIELDS, "Control")
    entries += _treatment_entries(action_records, names, ACTION_FIELDS, "Action")
    entries.sort(key=lambda entry: entry.when, reverse=True)
    if reader is not None:
        _withhold_link_notes(entries, reader)
    return entries


def _withhold_link_notes(entries: list[HistoryEntry], reader) -> None:
    noted = [entry for entry in entries if entry.other_ref and entry.reason]
    if not noted:
        return
    refs = withheld_refs(reader)
    for entry in noted:
        if entry.other_ref in refs:
            entry.reason = ""
            continue
        # A withheld ref holding ": " was cut short by LINK_STEP: fail closed on the whole text.
        text = f"{entry.other_ref}: {entry.reason}"
        longer = next((ref for ref in refs if text.startswith(f"{ref}: ")), None)
        if longer is not None:
            entry.reason, entry.other_ref = "", longer
            entry.summary = f"Linked to {longer}"


@dataclass(frozen=True)
class Conflict:
    """What others changed on a risk after an editor loaded it, and who."""

    changes: list[Change]
    by: list[str]


def changes_since_version(risk: Risk, version: int) -> Conflict:
    """The changes from ``version`` (the one an editor loaded) to now, names resolved."""
    records = list(
        Risk.history.filter(id=risk.id, version__gte=version)
        .select_related("history_user")
        .order_by("history_date")
    )
    loaded = [r for r in records if r.version == version]
    later = [r for r in records if r.version > version]
    if not loaded or not later:
        return Conflict(changes=[], by=[])
    # The loaded version's last record (after its many-to-many writes) is the baseline.
    then, now = loaded[-1], later[-1]
    names = _Names()
    _want_names(names, [then, now], RISK_FIELDS)
    names.want("scheme_version", then.scheme_version_id)
    names.want("scheme_version", now.scheme_version_id)
    snapshots = _m2m_snapshots([then.history_id, now.history_id])
    for name, held in snapshots.items():
        for ids in held.values():
            for value in ids:
                names.want(_M2M_KIND[name], value)
    names.fetch()
    changes = _field_changes(names, then, now, RISK_FIELDS)
    changes += _position_changes(names, then, now)
    changes += _m2m_changes(names, snapshots, then, now)
    by: list[str] = []
    for record in later:
        when = formats.date_format(timezone.localtime(record.history_date), "j F Y, H:i")
        text = f"{_who(record)} ({when})"
        if text not in by:
            by.append(text)
    return Conflict(changes=changes, by=by)
