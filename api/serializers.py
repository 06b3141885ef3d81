"""What the API shows of a risk, and what a PATCH may change."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from appetite.rules import AppetiteState
from registers.models import Risk, RiskStatus
from registers.selectors.trends import Trend
from registers.withholding import WITHHELD
from scoring.engine import RatingError, rate

SENSITIVE_TEXT = ("description", "consequence")


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
        lookup = self.context["appetite"][risk.organisation_id]
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
        data = super().to_representation(risk)
        if data["withheld"]:
            for name in SENSITIVE_TEXT:
                data[name] = WITHHELD
        fields = self.context.get("fields")
        if fields:
            data = {k: v for k, v in data.items() if k in fields or k == "id"}
        return data


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
