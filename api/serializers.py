"""What the API shows of a risk, and what a PATCH may change."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from appetite.rules import AppetiteState
from registers.models import Risk, RiskStatus
from registers.selectors.trends import Trend
from registers.withholding import WITHHELD
from scoring.engine import RatingError, rate


def rating_display(risk, position: str) -> str | None:
    """The rating in the scheme's notation ("12 (Medium)", "M v H"), by the scoring engine under
    the scheme version the risk was rated with; None when not rated."""
    likelihood = getattr(risk, f"{position}_likelihood")
    if likelihood is None or risk.scheme_version_id is None:
        return None
    try:
        return rate(
            risk.scheme_version.parsed, likelihood, getattr(risk, f"{position}_impact")
        ).display
    except RatingError:
        return None


class AppetiteSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["within", "warning", "breach", "not_set"])
    tolerance = serializers.IntegerField(allow_null=True)
    warning = serializers.IntegerField(allow_null=True)


class RiskSerializer(serializers.ModelSerializer):
    register = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    category = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()
    appetite = serializers.SerializerMethodField()
    withheld = serializers.SerializerMethodField()
    inherent_display = serializers.SerializerMethodField()
    current_display = serializers.SerializerMethodField()
    target_display = serializers.SerializerMethodField()
    trend = serializers.SerializerMethodField()

    class Meta:
        model = Risk
        fields = [
            "id",
            "ref",
            "title",
            "organisation",
            "register",
            "status",
            "category",
            "owner",
            "inherent_likelihood",
            "inherent_impact",
            "inherent_score",
            "inherent_display",
            "current_likelihood",
            "current_impact",
            "current_score",
            "current_band",
            "current_display",
            "trend",
            "target_likelihood",
            "target_impact",
            "target_score",
            "target_display",
            "appetite",
            "response",
            "marking",
            "next_review_due",
            "last_reviewed",
            "version",
            "updated_at",
            "withheld",
            "description",
            "consequence",
        ]
        read_only_fields = fields

    # The schema (drf-spectacular) reads the fields declared above; a response is built by
    # ``to_representation`` below as a plain dict, field by field as DRF would render them
    # (decision 81): DRF's per-field machinery cost about half the list's CPU.

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_category(self, risk) -> str | None:
        return risk.category.name if risk.category_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_owner(self, risk) -> str | None:
        if not risk.owner_id:
            return None
        return risk.owner.full_name or risk.owner.email

    @extend_schema_field(AppetiteSerializer)
    def get_appetite(self, risk) -> dict:
        return _appetite(self.context, risk)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_inherent_display(self, risk) -> str | None:
        return rating_display(risk, "inherent")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_current_display(self, risk) -> str | None:
        return rating_display(risk, "current")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_target_display(self, risk) -> str | None:
        return rating_display(risk, "target")

    @extend_schema_field(serializers.ChoiceField(choices=[t.value for t in Trend], allow_null=True))
    def get_trend(self, risk) -> str | None:
        """Since the last quarter end, from history, as the register page's arrow."""
        return self.context.get("trends", {}).get(risk.id)

    def get_withheld(self, risk) -> bool:
        return not self.context["access"][risk.organisation_id].can_see_sensitive(risk)

    def to_representation(self, risk):
        context = self.context
        access = context["access"][risk.organisation_id]
        withheld = not access.can_see_sensitive(risk)
        displays = _displays(context, risk)
        updated_at = risk.updated_at
        data = {
            "id": _int(risk.id),
            "ref": _str(risk.ref),
            "title": _str(risk.title),
            # The organisation the context's access is for: the list does not join it.
            "organisation": access.organisation.slug,
            "register": _slug(risk, "register"),
            "status": risk.status,
            "category": risk.category.name if risk.category_id else None,
            "owner": (risk.owner.full_name or risk.owner.email) if risk.owner_id else None,
            "inherent_likelihood": _int(risk.inherent_likelihood),
            "inherent_impact": _int(risk.inherent_impact),
            "inherent_score": _int(risk.inherent_score),
            "inherent_display": displays[0],
            "current_likelihood": _int(risk.current_likelihood),
            "current_impact": _int(risk.current_impact),
            "current_score": _int(risk.current_score),
            "current_band": _str(risk.current_band),
            "current_display": displays[1],
            "trend": context.get("trends", {}).get(risk.id),
            "target_likelihood": _int(risk.target_likelihood),
            "target_impact": _int(risk.target_impact),
            "target_score": _int(risk.target_score),
            "target_display": displays[2],
            "appetite": _appetite(context, risk),
            "response": _str(risk.response),
            "marking": risk.marking,
            "next_review_due": _date(risk.next_review_due),
            "last_reviewed": _date(risk.last_reviewed),
            "version": _int(risk.version),
            "updated_at": _DATETIME.to_representation(updated_at) if updated_at else None,
            "withheld": withheld,
            "description": WITHHELD if withheld else _str(risk.description),
            "consequence": WITHHELD if withheld else _str(risk.consequence),
        }
        fields = context.get("fields")
        if fields:
            data = {k: v for k, v in data.items() if k in fields or k == "id"}
        return data


# DRF's rendering of a datetime (ISO 8601 in the current timezone, "Z" for UTC), reused as is.
_DATETIME = serializers.DateTimeField()


def _int(value):
    return None if value is None else int(value)


def _str(value):
    return None if value is None else str(value)


def _date(value):
    """DRF's DateField in ISO 8601: None for no date."""
    if not value:
        return None
    return value if isinstance(value, str) else value.isoformat()


def _slug(risk, name: str) -> str | None:
    try:
        related = getattr(risk, name)
    except ObjectDoesNotExist:  # a historical record's register since deleted, as DRF reads it
        return None
    return None if related is None else related.slug


def _displays(context, risk) -> tuple[str | None, str | None, str | None]:
    """The inherent, current and target ratings' notation, each rated once a request per
    (scheme version, likelihood, impact): a list holds few distinct positions."""
    version = risk.scheme_version_id
    positions = (
        (risk.inherent_likelihood, risk.inherent_impact),
        (risk.current_likelihood, risk.current_impact),
        (risk.target_likelihood, risk.target_impact),
    )
    if version is None:
        return (None, None, None)
    memo = context.setdefault("_displays", {})
    shown = []
    for likelihood, impact in positions:
        if likelihood is None:
            shown.append(None)
            continue
        key = (version, likelihood, impact)
        if key not in memo:
            try:
                memo[key] = rate(risk.scheme_version.parsed, likelihood, impact).display
            except RatingError:
                memo[key] = None
        shown.append(memo[key])
    return tuple(shown)


def _appetite(context, risk) -> dict:
    lookup = context["appetite"][risk.organisation_id]
    threshold = lookup.threshold(risk.category_id)
    # As the register page judges it: a closed risk is out of appetite's reach.
    state = (
        AppetiteState.NOT_SET
        if risk.status == RiskStatus.CLOSED
        else lookup.state(category_id=risk.category_id, score=risk.current_score)
    )
    return {
        "state": str(state),
        "tolerance": threshold.tolerance if threshold else None,
        "warning": threshold.warning if threshold else None,
    }


class RiskPatchSerializer(serializers.Serializer):
    """The fields a PATCH may change; ratings are re-rated by the scheme engine."""

    title = serializers.CharField(max_length=250, required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    consequence = serializers.CharField(allow_blank=True, required=False)
    response = serializers.CharField(allow_blank=True, required=False)
    next_review_due = serializers.DateField(allow_null=True, required=False)
    current_likelihood = serializers.IntegerField(min_value=1, required=False)
    current_impact = serializers.IntegerField(min_value=1, required=False)
    target_likelihood = serializers.IntegerField(min_value=1, required=False)
    target_impact = serializers.IntegerField(min_value=1, required=False)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)

    def validate(self, data):
        for position in ("current", "target"):
            has_l = f"{position}_likelihood" in data
            has_i = f"{position}_impact" in data
            if has_l != has_i:
                missing = f"{position}_impact" if has_l else f"{position}_likelihood"
                raise serializers.ValidationError(
                    {missing: f"Give {position} likelihood and impact together."}
                )
        return data
