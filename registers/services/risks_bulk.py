"""Many risks, controls and actions at once (the spreadsheet import): the rules of ``risk_create``,
``risk_update``, ``control_add`` and ``action_add`` in ``services.risks``, written in a number of
queries that does not grow with the number of rows, history included.

Each function checks every item before writing any and raises ValidationError (or RiskConflict)
with nothing written; the caller's transaction makes several calls all or nothing. Ratings go
through the scoring engine (``apply_ratings``) exactly as one risk's do. Foreign keys are not
looked up one by one (``full_clean`` would ask the database once per key): the objects given
come from the caller's own queries, organisations are compared in memory, people's memberships
are checked in one query, and the database's keys and check constraints refuse anything else.

History is written with simple-history's bulk helpers: one record per risk written (a new
risk's record holds its objectives and working leads, where ``risk_create`` writes one record
for the risk and one for each of its many-to-many fields), carrying ``reason`` and ``by``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Upper
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from scoring.models import SchemeVersion

from .. import caching
from ..calendar import organisation_today
from ..models import (
    Action,
    ActionStatus,
    Control,
    Membership,
    Organisation,
    Register,
    Risk,
    RiskStatus,
)
from ..refs import ref_clean
from . import notice_events
from .escalation import scales_fit
from .register_archive import (
    refuse_if_archived,
    refuse_if_risk_archived,
    registers_hold_for_risks,
)
from .risks import (
    EDITABLE_FIELDS,
    POSITIONS,
    Position,
    RiskConflict,
    _refuse_retired,
    apply_ratings,
    band_rank,
    bring_review_forward,
    next_review_due,
    scheme_version_for_register,
)
from .treatments import ACTION_FIELDS, CONTROL_FIELDS

BATCH = 1000
RATING_FIELDS = [
    *(f"{name}_{part}" for name in POSITIONS for part in ("likelihood", "impact", "score")),
    "current_band",
    "scheme_version",
]
# Checked in memory or by the database instead of one query per key (see the module's note).
RISK_KEYS = ["organisation", "register", "category", "owner", "manager", "scheme_version"]
RISK_KEYS += ["origin_register", "objectives", "leads"]
TREATMENT_KEYS = ["organisation", "risk", "owner"]
ALREADY_EXISTS = "{organisation} already has a risk {ref!r}"
TWICE = "{ref!r} is given twice"
DELETED_MEANWHILE = "a risk being changed was deleted meanwhile"
# A move outside escalation: an escalated risk waits for the decision on its request (which
# names the register it is on), and a closed one stays on the register it was closed on.
MOVE_ONLY_OPEN = "{ref} is {status}: only an open risk can be moved to another register"


@dataclass
class NewRisk:
    register: Register
    ref: str
    title: str
    positions: dict[str, Position] = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    objectives: Sequence = ()
    leads: Sequence = ()


@dataclass
class RiskChange:
    """A change to a saved risk, made on version ``expected_version``. A change with nothing in
    it (no fields, positions, objectives or leads) only checks that the risk is still at that
    version (the import adding controls to it) and writes nothing."""

    risk_id: int
    expected_version: int
    fields: dict = field(default_factory=dict)
    positions: dict[str, Position] | None = None
    objectives: Sequence | None = None
    leads: Sequence | None = None
    rescore_scheme: bool = False
    # Move to this register (of the same organisation, in use), re-rated under its scheme as an
    # accepted escalation is; refused when the scales do not fit (``escalation.scales_fit``).
    register: Register | None = None

    @property
    def writes(self) -> bool:
        return bool(
            self.fields
            or self.positions
            or self.rescore_scheme
            or self.register is not None
            or self.objectives is not None
            or self.leads is not None
        )


class _Checks:
    """The organisation rules of ``services.risks._check_same_organisation``, for many objects:
    rows compared in memory, people's memberships fetched once."""

    def __init__(self, organisation: Organisation, people: Iterable):
        self.organisation = organisation
        ids = {getattr(person, "pk", person) for person in people if person is not None}
        self.members = set(
            Membership.objects.filter(organisation=organisation, user_id__in=ids).values_list(
                "user_id", flat=True
            )
        )

    def check(self, name: str, obj) -> None:
        if obj is None:
            return
        if hasattr(obj, "organisation_id"):
            if obj.organisation_id != self.organisation.id:
                raise ValidationError({name: f"{obj} belongs to another organisation"})
        elif obj.pk not in self.members:
            raise ValidationError(
                {name: f"{obj} is not a member of {self.organisation.display_name}"}
            )

    def response(self, response: str | None) -> None:
        options = self.organisation.response_options
        if response and response not in options:
            raise ValidationError({"response": f"{response!r} is not one of {', '.join(options)}"})


class _Schemes:
    """Each register's scheme version, and each version parsed, once for the whole batch."""

    def __init__(self):
        self._for_register: dict[int, SchemeVersion] = {}
        self._versions: dict[int, SchemeVersion] = {}

    def for_register(self, register: Register) -> SchemeVersion:
        if register.id not in self._for_register:
            version = scheme_version_for_register(register)
            self._for_register[register.id] = self._versions.setdefault(version.id, version)
        return self._for_register[register.id]

    def shared(self, version: SchemeVersion | None) -> SchemeVersion | None:
        """One object per version, so its parsed scheme is parsed once."""
        if version is None:
            return None
        return self._versions.setdefault(version.id, version)


def _clean(obj, exclude: Sequence[str], label: str) -> None:
    """``full_clean`` without the per-key queries; a message names the item and the field."""
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(
            [
                f"{label}: {name}: {message}"
                for name, messages in exc.message_dict.items()
                for message in messages
            ]
        ) from None


@transaction.atomic
def risk_create_many(
    *, organisation: Organisation, new: Sequence[NewRisk], reason: str, by=None
) -> list[Risk]:
    """Create every risk in ``new`` (in order), each rated under its register's scheme, with
    one history record each; or, if any breaks a rule, none."""
    if not new:
        return []
    people = [person for item in new for person in item.leads]
    people += [item.fields.get(name) for item in new for name in ("owner", "manager")]
    checks, schemes = _Checks(organisation, people), _Schemes()
    risks, refs = [], {}
    for item in new:
        try:
            ref = ref_clean(item.ref)
        except ValidationError as exc:
            raise ValidationError({"ref": exc.messages}) from None
        if ref.upper() in refs:
            raise ValidationError({"ref": TWICE.format(ref=ref)})
        refs[ref.upper()] = ref
        if item.register.organisation_id != organisation.id:
            raise ValidationError({"register": f"{item.register} belongs to another organisation"})
        refuse_if_archived(item.register)
        for name in ("category", "owner", "manager"):
            checks.check(name, item.fields.get(name))
        for objective in item.objectives:
            checks.check("objectives", objective)
        for lead in item.leads:
            checks.check("leads", lead)
        checks.response(item.fields.get("response"))
        risk = Risk(
            organisation=organisation,
            register=item.register,
            ref=ref,
            title=item.title.strip(),
            **{"marking": organisation.default_marking, **item.fields},
        )
        apply_ratings(
            risk, scheme_version=schemes.for_register(item.register), positions=item.positions
        )
        _clean(risk, RISK_KEYS, ref)
        risk._change_reason = reason or "created"
        risks.append(risk)
    # Their registers as they are now, held until the risks are saved (decision 112).
    registers_hold_for_risks({item.register.pk: item.register for item in new}.values())
    taken = (
        Risk.objects.filter(organisation=organisation)
        .annotate(ref_upper=Upper("ref"))
        .filter(ref_upper__in=list(refs))
        .values_list("ref", flat=True)
        .first()
    )
    if taken is not None:
        ref = refs.get(taken.upper(), taken)
        raise ValidationError(
            {"ref": ALREADY_EXISTS.format(organisation=organisation.display_name, ref=ref)}
        )
    Risk.objects.bulk_create(risks, batch_size=BATCH)
    caching.organisation_changed(organisation.id)  # bulk_create sends no signal
    records = Risk.history.bulk_history_create(
        risks, batch_size=BATCH, default_user=by, default_change_reason=reason or "created"
    )
    _set_many_to_many(
        risks,
        objectives={risk.pk: item.objectives for risk, item in zip(risks, new, strict=True)},
        leads={risk.pk: item.leads for risk, item in zip(risks, new, strict=True)},
        records=records,
        replace=False,
    )
    notice_events.risks_changed_tell(
        organisation=organisation,
        before={},
        risks=risks,
        actor=notice_events.acting_user(by),
        breaches=False,
    )
    return risks


@transaction.atomic
def risk_update_many(*, changes: Sequence[RiskChange], reason: str, by=None) -> list[Risk]:
    """Apply every change (as ``risk_update`` without merging), each checked against the version
    its editor saw: a risk saved since raises RiskConflict and nothing is written. Returns the
    risks as saved, in the order given (a risk with nothing to write as it is)."""
    if not changes:
        return []
    ids = [change.risk_id for change in changes]
    locked = {
        risk.pk: risk
        for risk in Risk.objects.select_for_update(of=("self",))
        .select_related("register", "organisation", "scheme_version")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    for change in changes:
        risk = locked.get(change.risk_id)
        if risk is None:
            raise ValidationError(DELETED_MEANWHILE)
        if risk.version != change.expected_version:
            raise RiskConflict(risk)
    writing = [change for change in changes if change.writes]
    if not writing:
        return [locked[change.risk_id] for change in changes]
    before = notice_events.snapshot(locked[change.risk_id] for change in writing)
    organisation = locked[writing[0].risk_id].organisation
    people = [person for change in writing for person in change.leads or ()]
    people += [change.fields.get(name) for change in writing for name in ("owner", "manager")]
    checks, schemes = _Checks(organisation, people), _Schemes()
    # The registers risks move to, as they are now, held until the risks are saved (decision
    # 112): in one query here, not one per risk in ``_move``.
    registers_hold_for_risks(
        {c.register.pk: c.register for c in writing if c.register is not None}.values()
    )
    now, today = timezone.now(), organisation_today(organisation)
    written_fields: set[str] = {"version", "updated_at"}
    saved = []
    for change in writing:
        risk = locked[change.risk_id]
        if risk.organisation_id != organisation.id:
            raise ValidationError("every risk changed at once must belong to one organisation")
        refuse_if_archived(risk.register)
        unknown = set(change.fields) - EDITABLE_FIELDS
        if unknown:
            raise ValidationError(
                f"these fields cannot be changed here: {', '.join(sorted(unknown))}"
            )
        for name in ("category", "owner", "manager"):
            if name in change.fields:
                checks.check(name, change.fields[name])
        if "category" in change.fields:
            _refuse_retired("category", change.fields["category"], kept={risk.category_id})
        for objective in change.objectives or ():
            checks.check("objectives", objective)
        for lead in change.leads or ():
            checks.check("leads", lead)
        checks.response(change.fields.get("response"))
        for name, value in change.fields.items():
            setattr(risk, name, value.strip() if isinstance(value, str) else value)
            written_fields.add(name)
        if change.positions is not None or change.rescore_scheme:
            risk.scheme_version = schemes.shared(risk.scheme_version)
            rank_before = band_rank(risk)
            version = schemes.for_register(risk.register)
            apply_ratings(risk, scheme_version=version, positions=change.positions or {})
            bring_review_forward(
                risk=risk, scheme=version.parsed, rank_before=rank_before, today=today
            )
            written_fields.update(RATING_FIELDS)
            written_fields.add("next_review_due")
        if change.register is not None and change.register.pk != risk.register_id:
            _move(risk, change.register, checks=checks, schemes=schemes)
            written_fields.update([*RATING_FIELDS, "register", "next_review_due"])
        risk.version += 1
        risk.updated_at = now
        _clean(risk, RISK_KEYS, risk.ref)
        risk._change_reason = reason or "edited"
        saved.append(risk)
    Risk.objects.bulk_update(saved, sorted(written_fields), batch_size=BATCH)
    caching.organisation_changed(organisation.id)  # bulk_update sends no signal
    records = Risk.history.bulk_history_create(
        saved, batch_size=BATCH, update=True, default_user=by, default_change_reason=reason
    )
    _set_many_to_many(
        saved,
        objectives={c.risk_id: c.objectives for c in writing if c.objectives is not None},
        leads={c.risk_id: c.leads for c in writing if c.leads is not None},
        records=records,
        replace=True,
    )
    notice_events.risks_changed_tell(
        organisation=organisation,
        before=before,
        risks=saved,
        actor=notice_events.acting_user(by),
    )
    return [locked[change.risk_id] for change in changes]


def _move(risk: Risk, destination: Register, *, checks: _Checks, schemes: _Schemes) -> None:
    """Put ``risk`` on ``destination`` as an accepted escalation does: re-rated under the
    receiving register's scheme, its next review following that register's period."""
    checks.check("register", destination)
    refuse_if_archived(destination)
    if risk.status != RiskStatus.OPEN:
        raise ValidationError(
            MOVE_ONLY_OPEN.format(ref=risk.ref, status=risk.get_status_display().lower())
        )
    risk.scheme_version = schemes.shared(risk.scheme_version)
    version = scales_fit(risk, destination, target=schemes.for_register(destination))
    risk.register = destination
    try:
        apply_ratings(risk, scheme_version=version, positions={})
    except ValidationError as exc:
        raise ValidationError(
            f"{risk.ref} cannot be rated on {destination.name}'s scheme: " + "; ".join(exc.messages)
        ) from None
    if risk.last_reviewed is not None:
        risk.next_review_due = next_review_due(
            risk=risk, scheme=version.parsed, reviewed_on=risk.last_reviewed
        )


def _set_many_to_many(risks, *, objectives: dict, leads: dict, records, replace: bool) -> None:
    """Set the objectives and working leads given (by risk id; a risk not in a dict keeps its
    own), then copy every risk's objectives and leads into its new history record, as
    simple-history does for one record."""
    history = Risk.history.model
    for name, wanted, target in (
        ("objectives", objectives, "objective_id"),
        ("leads", leads, "user_id"),
    ):
        through = getattr(Risk, name).through
        if replace and wanted:
            through.objects.filter(risk_id__in=list(wanted)).delete()
        through.objects.bulk_create(
            [
                through(risk_id=risk_id, **{target: each.pk})
                for risk_id, given in wanted.items()
                for each in dict.fromkeys(given)
            ],
            batch_size=BATCH,
        )
        record_of = {risk.pk: record for risk, record in zip(risks, records, strict=True)}
        rows = through.objects.filter(risk_id__in=list(record_of)).values_list(
            "id", "risk_id", target
        )
        snapshot = getattr(history, name).model
        snapshot.objects.bulk_create(
            [
                snapshot(id=row_id, risk_id=risk_id, history=record_of[risk_id], **{target: value})
                for row_id, risk_id, value in rows
            ],
            batch_size=BATCH,
        )


def _treatments_add(model, items: Sequence, *, reason: str, by) -> list:
    if not items:
        return []
    organisation = items[0].risk.organisation
    checks = _Checks(organisation, [item.owner_id for item in items])
    for item in items:
        if item.risk.organisation_id != organisation.id:
            raise ValidationError("every item added at once must belong to one organisation")
        refuse_if_risk_archived(item.risk)
        if item.owner_id is not None and item.owner_id not in checks.members:
            raise ValidationError(
                {"owner": f"{item.owner} is not a member of {organisation.display_name}"}
            )
        item.organisation_id = item.risk.organisation_id
        item.description = item.description.strip()
        _clean(item, TREATMENT_KEYS, item.risk.ref)
    caching.organisation_changed(organisation.id)  # bulk_create sends no signal
    return bulk_create_with_history(
        list(items), model, batch_size=BATCH, default_user=by, default_change_reason=reason
    )


@transaction.atomic
def control_add_many(*, controls: Sequence[Control], reason: str, by=None) -> list[Control]:
    """Save unsaved controls (each with its ``risk``, a saved risk of one organisation, its
    description and position, and any other field), as ``control_add`` would, one history
    record each."""
    return _treatments_add(Control, controls, reason=reason, by=by)


@transaction.atomic
def action_add_many(*, actions: Sequence[Action], reason: str, by=None) -> list[Action]:
    """Save unsaved actions as ``action_add`` would (see ``control_add_many``)."""
    saved = _treatments_add(Action, actions, reason=reason, by=by)
    if saved:
        notice_events.actions_changed_tell(
            organisation=saved[0].risk.organisation,
            before={},
            actions=saved,
            actor=notice_events.acting_user(by),
        )
    return saved


@dataclass
class TreatmentChange:
    """A change to a saved control or action, made on version ``expected_version``."""

    pk: int
    expected_version: int
    fields: dict = field(default_factory=dict)


def _treatments_update(model, changes: Sequence[TreatmentChange], allowed, *, reason: str, by):
    """As ``services.treatments.control_update`` / ``action_update`` for many rows at once, each
    checked against the version its editor saw: one saved since raises RiskConflict (naming its
    risk) and nothing is written."""
    if not changes:
        return []
    locked = {
        item.pk: item
        for item in model.objects.select_for_update(of=("self",))
        .select_related("risk__register", "risk__organisation")
        .filter(pk__in=[change.pk for change in changes])
        .order_by("pk")
    }
    organisation = None
    for change in changes:
        item = locked.get(change.pk)
        if item is None:
            raise ValidationError(DELETED_MEANWHILE)
        if item.version != change.expected_version:
            raise RiskConflict(item.risk)
        organisation = organisation or item.risk.organisation
        if item.organisation_id != organisation.id:
            raise ValidationError("every item changed at once must belong to one organisation")
        unknown = set(change.fields) - allowed
        if unknown:
            raise ValidationError(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
    people = [change.fields.get("owner") for change in changes]
    checks = _Checks(organisation, people)
    now = timezone.now()
    written: set[str] = {"version"}
    saved = []
    for change in changes:
        item = locked[change.pk]
        refuse_if_risk_archived(item.risk)
        if "owner" in change.fields:
            checks.check("owner", change.fields["owner"])
        was_completed = getattr(item, "status", None) == ActionStatus.COMPLETED
        for name, value in change.fields.items():
            if isinstance(value, str):
                value = value.replace("\r\n", "\n").strip()
            setattr(item, name, value)
            written.add(name)
        if model is Action:  # as action_update: completing stamps the time, reopening clears it
            if item.status == ActionStatus.COMPLETED and not was_completed:
                item.completed_at = now
            elif item.status != ActionStatus.COMPLETED:
                item.completed_at = None
            written.add("completed_at")
        item.version += 1
        _clean(item, TREATMENT_KEYS, item.risk.ref)
        item._change_reason = reason or "edited"
        saved.append(item)
    model.objects.bulk_update(saved, sorted(written), batch_size=BATCH)
    caching.organisations_changed(item.organisation_id for item in saved)  # no signal sent
    model.history.bulk_history_create(
        saved, batch_size=BATCH, update=True, default_user=by, default_change_reason=reason
    )
    return saved


@transaction.atomic
def control_update_many(
    *, changes: Sequence[TreatmentChange], reason: str, by=None
) -> list[Control]:
    return _treatments_update(Control, changes, CONTROL_FIELDS, reason=reason, by=by)


@transaction.atomic
def action_update_many(*, changes: Sequence[TreatmentChange], reason: str, by=None) -> list[Action]:
    owners = [change.pk for change in changes if "owner" in change.fields]
    before = dict(Action.objects.filter(pk__in=owners).values_list("pk", "owner_id"))
    saved = _treatments_update(Action, changes, ACTION_FIELDS, reason=reason, by=by)
    if before:
        notice_events.actions_changed_tell(
            organisation=saved[0].risk.organisation,
            before=before,
            actions=[action for action in saved if action.pk in before],
            actor=notice_events.acting_user(by),
        )
    return saved
