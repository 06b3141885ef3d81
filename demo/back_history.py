"""Illustrative back history for the demo's illustrative registers (issue 18's charts).

ESPO's statement and Aberdeen's framework publish no register, so the demo's risks there are
illustrative and, without this, enter history the day they are seeded (ESPO) or a few months
before (Aberdeen's strategic risks): the dashboard's exposure over eight quarters and each risk's
chart would show empty quarters, then one level line. Here each such risk gets the eight
quarter ends before its first record: a quarterly review by its owner at each, its current
position moving toward the one it was seeded with, written as history records (change reason
ending ``REASON``, worded as a review's) and ``Review`` rows (note starting ``REVIEW_NOTE``),
so the history page, the charts, the exposure and a pack's period updates all say
"illustrative".

What the demo takes from a paper is never touched: the registers of the Met, MOPAC and WMP are
dated by their papers (``demo.seeding``) and get no back history; a risk's own row (its current
position) is left as seeded; only records before its first one are added.

Where the risk starts: ``back_from`` in its seed data (a position, as ``current``), else halfway
from its inherent (gross) position to its current one, rounded toward the inherent: controls
took effect over the eight quarters. A risk whose demo last review is before its first record
(ESPO: last reviews are spread over the past eight months) reaches its current position at that
review; otherwise at its first record.

Written in bulk (a handful of queries for any number of risks), and only for risks that have
none yet, so seeding twice adds nothing and a demo database seeded before this gains it once.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import zlib
from collections.abc import Iterable

from django.db.models import Case, Min, Value, When
from django.db.models.fields import DateTimeField

from registers import selectors
from registers.calendar import quarter_ends
from registers.models import Action, Control, Organisation, Review, Risk
from registers.services.risks import apply_ratings, next_review_due
from scoring.engine import rate

REASON = "Illustrative back history (demo)"
# The first record's reason is REASON; each later one's is worded as the product words a review's
# (services.reviews), so the history page shows each quarter once, as the review it was (it
# showed "Risk edited" beside the review).
REVIEWED_REASON = f"reviewed, no change: {REASON}"
RESCORED_REASON = f"re-scored: {REASON}"
REVIEW_NOTE = "Illustrative quarterly review (demo)"
QUARTERS = 8


def back_history_add(
    *, organisation: Organisation, specs: dict[str, dict], register_slugs: Iterable[str], at
) -> int:
    """Back history for the organisation's risks on ``register_slugs`` that have none yet.
    ``specs`` are their seed data by ref (for ``back_from``); ``at(day)`` is the moment (aware,
    local) a record of that day is written. Returns the number of risks given back history."""
    done = Risk.history.filter(
        organisation_id=organisation.id, history_change_reason__endswith=REASON
    ).values("id")
    risks = list(
        Risk.objects.filter(organisation=organisation, register__slug__in=list(register_slugs))
        .exclude(id__in=done)
        .select_related("register", "scheme_version", "owner", "manager")
        .order_by("id")
    )
    if not risks:
        return 0
    first_records, seeded = {}, {}
    for record in Risk.history.filter(id__in=[risk.id for risk in risks]).order_by(
        "id", "history_date", "history_id"
    ):
        first = first_records.setdefault(record.id, record)
        if record.version == first.version and record.history_user_id == first.history_user_id:
            seeded.setdefault(record.id, []).append(record)  # the save that seeded it

    rows: list[Risk] = []
    reviews: list[tuple[Review, dt.datetime]] = []
    created: dict[int, dt.datetime] = {}
    anchors = []
    carried: dict[int, Risk] = {}  # each risk's last back-history row
    for risk in risks:
        anchor = first_records.get(risk.id)
        if anchor is None or risk.scheme_version is None or anchor.current_likelihood is None:
            continue  # not rated when it came onto the register: nothing to move toward
        planned = _plan(risk, anchor, spec=specs.get(risk.ref, {}), at=at)
        if not planned:
            continue
        anchors.append(seeded[risk.id][-1].history_id)  # its objectives and leads are set
        created[risk.id] = planned[0][0]
        previous = None
        for moment, position in planned:
            changed = previous is not None and position != previous
            reason = REASON if previous is None else RESCORED_REASON if changed else REVIEWED_REASON
            row = _row(risk, anchor, moment=moment, position=position, reason=reason)
            rows.append(row)
            reviews.append(
                (
                    Review(
                        organisation=organisation,
                        risk=risk,
                        reviewed_by=risk.owner or risk.manager,
                        reviewed_on=moment.date(),  # ``at`` gives local moments
                        rescored=changed,
                        note=_review_note(risk, row, changed=changed),
                    ),
                    moment,
                )
            )
            previous = position
            carried[risk.id] = row
    if not rows:
        return 0

    records = Risk.history.bulk_history_create(rows, update=True)
    firsts = {}
    for record in records:
        firsts.setdefault(record.id, record.history_id)
    Risk.history.filter(history_id__in=list(firsts.values())).update(history_type="+")
    Risk.history.filter(history_id__in=[first_records[pk].history_id for pk in created]).update(
        history_type="~"
    )
    _copy_many_to_many(anchors, records)
    _continue_seeded(seeded, carried)
    _created(created)
    saved = Review.objects.bulk_create([review for review, _ in reviews])
    Review.objects.filter(pk__in=[review.pk for review in saved]).update(
        created_at=Case(
            *[
                When(pk=review.pk, then=Value(moment))
                for review, (_, moment) in zip(saved, reviews, strict=True)
            ],
            output_field=DateTimeField(),
        )
    )
    return len(created)


def _plan(risk: Risk, anchor, *, spec: dict, at) -> list[tuple[dt.datetime, tuple[int, int]]]:
    """(moment, current position) of each back-history record, oldest first."""
    scheme = risk.scheme_version.parsed
    end = (anchor.current_likelihood, anchor.current_impact)
    start = _start(scheme, spec, anchor, end)
    zone = selectors.organisation_zone(risk.organisation)
    anchor_day = anchor.history_date.astimezone(zone).date()
    final = risk.last_reviewed if risk.last_reviewed and risk.last_reviewed < anchor_day else None
    limit = at(final) if final else anchor.history_date
    # The eight quarters before the first record; those after a final review show no change.
    ends = quarter_ends(organisation=risk.organisation, moment=anchor.history_date, count=QUARTERS)
    moments = [at(end.astimezone(zone).date()) for end in ends]
    moments = [moment for moment in moments if moment < limit]
    if not moments:
        return []
    # Without a final review the path reaches the seeded position at the last quarter, not at
    # the first record: that is not a review, and moved the rating with nobody's review.
    count = len(moments) if final else len(moments) - 1
    steps = _steps(start, end, count=count, seed=risk.ref)
    planned = [(moment, _position(start, steps, index)) for index, moment in enumerate(moments)]
    if final:
        planned.append((limit, end))
    return planned


def _start(scheme, spec: dict, anchor, end: tuple[int, int]) -> tuple[int, int]:
    if spec.get("back_from"):
        rating = rate(scheme, *spec["back_from"])
        return (rating.likelihood.value, rating.impact.value)
    if anchor.inherent_likelihood is None or anchor.inherent_impact is None:
        return end
    inherent = (anchor.inherent_likelihood, anchor.inherent_impact)
    return tuple(  # type: ignore[return-value]
        b + math.ceil((a - b) / 2) if a >= b else b - math.ceil((b - a) / 2)
        for a, b in zip(inherent, end, strict=True)
    )


def _steps(start, end, *, count: int, seed: str) -> list[tuple[int, int, int]]:
    """One level at a time, likelihood first: (when, axis, +1 or -1), ``when`` the index of the
    first record showing the step (``count``: the record the path ends at). Spread evenly over
    the quarters, from a point that differs by risk so the risks of a register do not all move
    in the same quarter."""
    moves = [
        (axis, 1 if b > a else -1)
        for axis, (a, b) in enumerate(zip(start, end, strict=True))
        for _ in range(abs(b - a))
    ]
    if not moves:
        return []
    offset = (zlib.crc32(seed.encode()) % 100) / 100
    return [
        (min(count, 1 + math.floor((number + offset) * count / len(moves))), axis, sign)
        for number, (axis, sign) in enumerate(moves)
    ]


def _position(start, steps, index: int) -> tuple[int, int]:
    position = list(start)
    for when, axis, sign in steps:
        if when <= index:
            position[axis] += sign
    return tuple(position)  # type: ignore[return-value]


def _row(
    risk: Risk, anchor, *, moment: dt.datetime, position: tuple[int, int], reason: str
) -> Risk:
    """The risk as it stood at ``moment``: its first record's values, the position given,
    reviewed that day."""
    row = copy.copy(anchor.instance)
    row.register = risk.register
    row.organisation = risk.organisation
    apply_ratings(row, scheme_version=risk.scheme_version, positions={"current": position})
    day = moment.date()
    row.last_reviewed = day
    row.next_review_due = next_review_due(
        risk=row, scheme=risk.scheme_version.parsed, reviewed_on=day
    )
    row.updated_at = moment
    row._history_date = moment
    row._history_user = risk.owner or risk.manager
    row._change_reason = reason
    return row


def _review_note(risk: Risk, row: Risk, *, changed: bool) -> str:
    rating = f"{row.current_likelihood} x {row.current_impact} = {row.current_score}"
    if row.current_band:
        rating += f" ({row.current_band})"
    what = f"re-scored to {rating}" if changed else f"reviewed at {rating}"
    return f"{REVIEW_NOTE}: {what}. The source publishes no earlier positions."


def _continue_seeded(seeded: dict[int, list], carried: dict[int, Risk]) -> None:
    """The records of the save that seeded each risk now follow its back history: they keep
    its last review's dates (they carried none: the history read "Last reviewed 31 December
    2025 -> (none)" on the day it was seeded), are by the same person, and give no reason of
    their own (they add nothing to the story: "seeded from source document" by "System")."""
    for risk_id, row in carried.items():
        ids = [record.history_id for record in seeded[risk_id]]
        Risk.history.filter(history_id__in=ids).update(
            history_user_id=row._history_user.pk if row._history_user else None,
            history_change_reason="",
        )
        Risk.history.filter(history_id__in=ids, last_reviewed__isnull=True).update(
            last_reviewed=row.last_reviewed, next_review_due=row.next_review_due
        )
        Risk.objects.filter(pk=risk_id, last_reviewed__isnull=True).update(
            last_reviewed=row.last_reviewed, next_review_due=row.next_review_due
        )


def _copy_many_to_many(anchors: list[int], records) -> None:
    """Each new record gets the objectives and leads of the risk's first record."""
    history = Risk.history.model
    by_risk: dict[int, list] = {}
    for record in records:
        by_risk.setdefault(record.id, []).append(record)
    for name in ("objectives", "leads"):
        snapshot = getattr(history, name).model
        field = "objective_id" if name == "objectives" else "user_id"
        rows = []
        for kept in snapshot.objects.filter(history_id__in=anchors).values("id", "risk_id", field):
            for record in by_risk.get(kept["risk_id"], []):
                rows.append(
                    snapshot(
                        id=kept["id"],
                        risk_id=kept["risk_id"],
                        history=record,
                        **{field: kept[field]},
                    )
                )
        snapshot.objects.bulk_create(rows)


def _created(created: dict[int, dt.datetime]) -> None:
    """The risks (and the controls and actions they came with) were on the register from their
    first back-history record."""
    when = Case(
        *[When(id=pk, then=Value(moment)) for pk, moment in created.items()],
        output_field=DateTimeField(),
    )
    ids = list(created)
    Risk.objects.filter(id__in=ids).update(created_at=when)
    Risk.history.filter(id__in=ids).update(created_at=when)
    for model in (Control, Action):
        by_risk = Case(
            *[When(risk_id=pk, then=Value(moment)) for pk, moment in created.items()],
            output_field=DateTimeField(),
        )
        first = {
            row["risk_id"]: row["first"]
            for row in model.history.filter(risk_id__in=ids, history_type="+")
            .values("risk_id")
            .annotate(first=Min("history_date"))
        }
        later = [pk for pk in ids if pk in first and first[pk] > created[pk]]
        if not later:
            continue
        model.objects.filter(risk_id__in=later).update(created_at=by_risk)
        model.history.filter(risk_id__in=later, history_type="+").update(
            history_date=by_risk, created_at=by_risk
        )
