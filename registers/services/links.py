"""Interdependencies: links between related risks of one organisation, on any register.

A link is one row (``from_risk`` -> ``to_risk``) but it means the same from both ends, so both
risks show it and a second link between the same two risks, either way round, is refused. Adding
or removing a link is written into both risks' history (a history record with a reason and no
change of the risk's fields or version, so nobody editing either risk meets a conflict):

- ``linked to <ref>: <note>`` (``linked to <ref>`` without a note)
- ``unlinked from <ref>``
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from ..models import Risk, RiskLink
from .register_archive import refuse_if_risk_archived

NOTE_MAX = RiskLink._meta.get_field("note").max_length


def links_for_risk(risk: Risk) -> QuerySet[RiskLink]:
    """Every link the risk takes part in, from either end, with both risks joined."""
    return (
        RiskLink.objects.filter(Q(from_risk_id=risk.pk) | Q(to_risk_id=risk.pk))
        .select_related(
            "from_risk",
            "from_risk__register",
            "from_risk__scheme_version",
            "to_risk",
            "to_risk__register",
            "to_risk__scheme_version",
        )
        .order_by("created_at", "id")
    )


def _note_history(risk: Risk, *, user, reason: str) -> None:
    """A history record of ``risk`` saying what happened to its links; its fields and version
    stay as they are."""
    locked = Risk.objects.select_for_update().get(pk=risk.pk)
    locked._change_reason = reason
    locked._history_user = user
    locked.save(update_fields=["updated_at"])


@transaction.atomic
def link_add(*, risk: Risk, other: Risk, note: str = "", user=None) -> RiskLink:
    """Link two risks of the same organisation, with a short note on how they relate."""
    if other is None:
        raise ValidationError({"other": "choose the related risk"})
    if other.organisation_id != risk.organisation_id:
        raise ValidationError({"other": f"{other.ref} belongs to another organisation"})
    if other.pk == risk.pk:
        raise ValidationError({"other": "a risk cannot be linked to itself"})
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"keep the note under {NOTE_MAX} characters"})
    refuse_if_risk_archived(risk)
    refuse_if_risk_archived(other)
    # Lock both risks in id order, so two people linking the same pair wait for each other.
    list(Risk.objects.select_for_update().filter(pk__in=[risk.pk, other.pk]).order_by("pk"))
    existing = RiskLink.objects.filter(
        Q(from_risk_id=risk.pk, to_risk_id=other.pk) | Q(from_risk_id=other.pk, to_risk_id=risk.pk)
    ).exists()
    if existing:
        raise ValidationError({"other": f"{risk.ref} and {other.ref} are already linked"})
    link = RiskLink(organisation_id=risk.organisation_id, from_risk=risk, to_risk=other, note=note)
    link.full_clean(validate_constraints=False)
    link.save()
    suffix = f": {note}" if note else ""
    _note_history(risk, user=user, reason=f"linked to {other.ref}{suffix}")
    _note_history(other, user=user, reason=f"linked to {risk.ref}{suffix}")
    return link


@transaction.atomic
def link_remove(*, link: RiskLink, user=None) -> None:
    """Remove a link; both risks' history says so."""
    link = RiskLink.objects.select_related("from_risk", "to_risk").get(pk=link.pk)
    first, second = link.from_risk, link.to_risk
    refuse_if_risk_archived(first)
    refuse_if_risk_archived(second)
    link.delete()
    _note_history(first, user=user, reason=f"unlinked from {second.ref}")
    _note_history(second, user=user, reason=f"unlinked from {first.ref}")
