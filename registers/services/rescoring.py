"""Adopting a new version of a scoring scheme, and what happens to the ratings made under the
old one.

A new version never changes a stored rating silently: the admin chooses, having seen the preview
(``registers.selectors.rescoring``), either to re-rate the open risks of the scheme's registers
now (``rerate=True``: one history row per risk, naming the version and the admin's reason), or to
keep their ratings under the old version until each risk's next review, which re-rates under the
register's current version as it always has. A risk whose stored levels the new version does not
have (a 6x6 scheme replaced by a 5x5) cannot be re-rated by the engine: it keeps its old version
under either choice and is re-scored by hand at its review.

Re-rating is written in bulk (one UPDATE per batch, the history rows and their objectives and
working leads in one INSERT each per batch), so 10,000 risks take seconds, not minutes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from scoring.definition import SchemeDefinition
from scoring.models import Scheme, SchemeVersion
from scoring.services import scheme_save

from .. import caching
from ..calendar import organisation_today
from ..models import Risk
from ..selectors.rescoring import scheme_open_risks
from . import notice_events
from .risks import POSITIONS, apply_ratings, bring_review_forward, next_review_due

REASON_REQUIRED = "Say why the scheme is changing: the reason is kept in the history"
SCHEME_CHANGED_MEANWHILE = (
    "Someone saved version {number} of {scheme} after you began: look at the scheme as it is "
    "now, and make your change again"
)
RERATED_REASON = "re-rated under {scheme} version {number} by {who}: {reason}"
BATCH = 1000
RATING_FIELDS = [
    *(f"{p}_{part}" for p in POSITIONS for part in ("likelihood", "impact", "score")),
    "current_band",
    "scheme_version",
    "next_review_due",
    "version",
    "updated_at",
]


@dataclass(frozen=True)
class SchemeAdopted:
    version: SchemeVersion
    created: bool  # False: the definition was the current version's; nothing was written
    rerated: int = 0  # risks re-rated under the new version
    kept: int = 0  # risks left under their old version until their review (the admin's choice)
    by_hand: int = 0  # risks whose levels the new version does not have
    # Of the re-rated, those whose score or band changed, counted as the preview counts them
    # ("would change score or band"); the rest kept the same rating.
    rating_changed: int = 0

    @property
    def rating_kept(self) -> int:
        return self.rerated - self.rating_changed


def _who(user) -> str:
    if user is None:
        return "riskreg"
    return getattr(user, "display_name", "") or user.get_username()


@transaction.atomic
def scheme_version_adopt(
    *,
    scheme: Scheme,
    definition: SchemeDefinition,
    by,
    rerate: bool,
    reason: str,
    based_on: int | None = None,
) -> SchemeAdopted:
    """Save ``definition`` as the scheme's next version and, with ``rerate``, re-rate the open
    risks of its registers under it. ``based_on`` is the id of the version the admin started
    from: if someone saved another since, nothing is written (ValidationError)."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    locked = (
        Scheme.objects.select_for_update(of=("self",))
        .select_related("current_version")
        .get(pk=scheme.pk)
    )
    if based_on is not None and locked.current_version_id != based_on:
        raise ValidationError(
            SCHEME_CHANGED_MEANWHILE.format(
                number=locked.current_version.number, scheme=locked.name
            )
        )
    saved = scheme_save(
        organisation=locked.organisation,
        definition=definition,
        name=locked.name,
        user=by,
        reason=reason,
    )
    if not saved.created_version:
        return SchemeAdopted(version=saved.version, created=False)
    risks = scheme_open_risks(scheme=locked)
    if not rerate:
        return SchemeAdopted(version=saved.version, created=True, kept=risks.count())
    rerated, by_hand, rating_changed = _rerate(
        list(
            risks.select_for_update(of=("self",))
            .select_related("register", "organisation")
            .order_by("pk")
        ),
        version=saved.version,
        by=by,
        reason=RERATED_REASON.format(
            scheme=locked.name, number=saved.version.number, who=_who(by), reason=reason
        ),
    )
    return SchemeAdopted(
        version=saved.version,
        created=True,
        rerated=rerated,
        by_hand=by_hand,
        rating_changed=rating_changed,
    )


def _rating(risk: Risk) -> tuple:
    """What the preview compares (``rescoring_preview``): each position's score, the band."""
    return (*(getattr(risk, f"{p}_score") for p in POSITIONS), risk.current_band)


def _rerate(risks: list[Risk], *, version: SchemeVersion, by, reason: str) -> tuple[int, int, int]:
    """Re-rate ``risks`` (locked) under ``version`` through ``apply_ratings``, as an edit or a
    review would; returns (re-rated, left for re-scoring by hand, re-rated with a score or band
    changed)."""
    scheme = version.parsed
    before = notice_events.snapshot(risks)
    older = SchemeVersion.objects.in_bulk({risk.scheme_version_id for risk in risks} - {None})
    now = timezone.now()
    todays: dict[int, dt.date] = {}  # a scheme may rate risks of organisations in other zones
    changed: list[Risk] = []
    by_hand = rating_changed = 0
    for risk in risks:
        rank_before = _band_rank(older.get(risk.scheme_version_id), risk.current_band)
        rating_before = _rating(risk)
        try:
            apply_ratings(risk, scheme_version=version, positions={})
        except ValidationError:
            by_hand += 1  # not saved: the risk keeps its old version and ratings
            continue
        # The review date follows the new band's period, brought forward only: from the last
        # review where there was one, from today when the band went up (bring_review_forward).
        if risk.last_reviewed is not None:
            due = next_review_due(risk=risk, scheme=scheme, reviewed_on=risk.last_reviewed)
            if risk.next_review_due is None or due < risk.next_review_due:
                risk.next_review_due = due
        if risk.organisation_id not in todays:
            todays[risk.organisation_id] = organisation_today(risk.organisation)
        bring_review_forward(
            risk=risk, scheme=scheme, rank_before=rank_before, today=todays[risk.organisation_id]
        )
        rating_changed += _rating(risk) != rating_before
        risk.version += 1
        risk.updated_at = now
        changed.append(risk)
    if changed:
        _update_ratings(changed)
        records = Risk.history.bulk_history_create(
            changed,
            batch_size=BATCH,
            update=True,
            default_user=by,
            default_change_reason=reason,
            default_date=now,
        )
        _copy_m2m_history(records)
        # A new scheme that puts a risk's score above its tolerance starts a breach.
        notice_events.risks_changed_tell(
            organisation=changed[0].organisation, before=before, risks=changed, actor=by
        )
    return len(changed), by_hand, rating_changed


def _update_ratings(risks: list[Risk]) -> None:
    """Write the ratings, review dates and versions of ``risks`` in one statement. Django's
    bulk_update builds a CASE per field and row, which took most of a minute for 10,000 risks;
    on PostgreSQL one UPDATE joined to the new values as arrays takes well under a second."""
    caching.organisations_changed(risk.organisation_id for risk in risks)  # no signal sent
    if connection.vendor != "postgresql":
        Risk.objects.bulk_update(risks, RATING_FIELDS, batch_size=BATCH)
        return
    levels = [f"{p}_{part}" for p in POSITIONS for part in ("likelihood", "impact", "score")]
    columns = [("id", "bigint"), *((name, "smallint") for name in levels)]
    columns += [
        ("current_band", "varchar"),
        ("scheme_version_id", "bigint"),
        ("next_review_due", "date"),
        ("version", "integer"),
        ("updated_at", "timestamptz"),
    ]
    table = connection.ops.quote_name(Risk._meta.db_table)
    names = [connection.ops.quote_name(name) for name, _ in columns]
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in columns)
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    # Table and column names come from the model, every value is a parameter.
    sql = (
        f"UPDATE {table} AS r SET {assignments} FROM unnest({arrays}) AS v({', '.join(names)}) "  # noqa: S608
        "WHERE r.id = v.id"
    )
    params = [[getattr(risk, name) for risk in risks] for name, _ in columns]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _band_rank(version: SchemeVersion | None, band: str) -> int | None:
    if version is None or not band:
        return None
    names = [b.name for b in version.parsed.bands]
    return names.index(band) + 1 if band in names else None


def _copy_m2m_history(records) -> None:
    """simple-history's bulk history leaves out many-to-many fields; each new record gets the
    risk's objectives and working leads as they are, as a save would have written."""
    history_of = {record.id: record.history_id for record in records}
    for name, column in (("objectives", "objective_id"), ("leads", "user_id")):
        through = getattr(Risk, name).through
        model = HistoricalRecords.m2m_models[Risk._meta.get_field(name)]
        rows = through.objects.filter(risk_id__in=list(history_of)).values_list(
            "id", "risk_id", column
        )
        model.objects.bulk_create(
            [
                model(
                    **{"id": pk, "risk_id": risk_id, column: target}, history_id=history_of[risk_id]
                )
                for pk, risk_id, target in rows
            ],
            batch_size=BATCH,
        )
