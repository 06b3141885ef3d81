"""What the API shows of a risk's reviews, key risk indicators and their readings, and of its
history; and what a review or a reading may send (described here for the OpenAPI document,
checked by the risk page's own forms)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registers.models import IndicatorReading, Review, ReviewState
from registers.selectors.indicators import IndicatorStatus, reading_status
from registers.withholding import WITHHELD_SHORT

from .serializers_treatments import OwnerEmailField, OwnerNameField

REVIEW_AWAITING_SIGN_OFF = (
    "Review of {ref} submitted for sign-off: the risk keeps the rating last signed off until "
    "a coordinator or named approver signs it off."
)
REVIEW_RECORDED = "Review of {ref} recorded."
# An indicator's or a reading's status, as the page names them (ENUM_NAME_OVERRIDES names it).
INDICATOR_STATUS_CHOICES = [(status.value, status.label) for status in IndicatorStatus]


class ReviewSerializer(serializers.ModelSerializer):
    reviewed_by = OwnerEmailField(read_only=True)
    reviewed_by_name = OwnerNameField(source="reviewed_by", read_only=True)
    awaiting_sign_off = serializers.SerializerMethodField()
    withheld = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "reviewed_on",
            "reviewed_by",
            "reviewed_by_name",
            "rescored",
            "note",
            "state",
            "awaiting_sign_off",
            "created_at",
            "withheld",
        ]
        read_only_fields = fields

    def get_awaiting_sign_off(self, review) -> bool:
        return review.state == ReviewState.SUBMITTED

    def get_withheld(self, review) -> bool:
        return bool(self.context.get("withheld"))

    def to_representation(self, review):
        data = super().to_representation(review)
        if data["withheld"] and data["note"]:
            data["note"] = WITHHELD_SHORT
        return data


class ReviewRecordedSerializer(ReviewSerializer):
    """The answer to a review: where it stands, in words, and the risk's version now (its new
    ETag when the review was applied; unchanged while it awaits sign-off)."""

    message = serializers.SerializerMethodField()
    risk_version = serializers.SerializerMethodField()

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "message", "risk_version"]
        read_only_fields = fields

    def get_message(self, review) -> str:
        words = (
            REVIEW_AWAITING_SIGN_OFF if review.state == ReviewState.SUBMITTED else REVIEW_RECORDED
        )
        return words.format(ref=review.risk.ref)

    def get_risk_version(self, review) -> int:
        return review.risk.version


class ReviewWriteSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=["unchanged", "rescore"],
        required=False,
        help_text="Default: rescore when a current likelihood or impact is given, else unchanged.",
    )
    note = serializers.CharField(
        allow_blank=True, required=False, help_text="Needed when the rating still stands."
    )
    reviewed_on = serializers.DateField(
        required=False, help_text="Default: today where the organisation is (its timezone)."
    )
    current_likelihood = serializers.IntegerField(required=False)
    current_impact = serializers.IntegerField(required=False)


class IndicatorSerializer(serializers.Serializer):
    """An indicator with its standing from its latest reading (the page's rules)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    unit = serializers.CharField()
    direction = serializers.CharField()
    amber_from = serializers.DecimalField(max_digits=14, decimal_places=3)
    red_from = serializers.DecimalField(max_digits=14, decimal_places=3)
    frequency = serializers.CharField()
    owner = OwnerEmailField()
    owner_name = OwnerNameField(source="owner")
    status = serializers.ChoiceField(choices=INDICATOR_STATUS_CHOICES, source="standing.status")
    stale = serializers.BooleanField(source="standing.stale")
    latest_value = serializers.DecimalField(
        max_digits=14, decimal_places=3, source="standing.value", allow_null=True
    )
    latest_taken_on = serializers.DateField(source="standing.taken_on", allow_null=True)
    next_reading_due = serializers.DateField(source="standing.next_due")
    illustrative = serializers.BooleanField()
    version = serializers.IntegerField()
    withheld = serializers.BooleanField()

    # What of a withheld indicator (``withhold_indicators``) the risk page and the packs do not
    # show either: its readings and the thresholds they are judged by.
    WITHHELD_NULL = ("amber_from", "red_from", "latest_value", "latest_taken_on")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if getattr(instance, "withheld", False):
            data.update(dict.fromkeys(self.WITHHELD_NULL))
        return data


class ReadingSerializer(serializers.ModelSerializer):
    entered_by = OwnerEmailField(read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = IndicatorReading
        fields = ["id", "taken_on", "value", "note", "status", "entered_by", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=INDICATOR_STATUS_CHOICES))
    def get_status(self, reading) -> str:
        indicator = self.context["indicator"]
        return str(
            reading_status(
                direction=indicator.direction,
                amber_from=indicator.amber_from,
                red_from=indicator.red_from,
                value=reading.value,
            )
        )


class ReplacedReadingSerializer(serializers.Serializer):
    """The reading of the same day that a posted one replaced (the reading's history keeps it):
    its value and who had recorded it (null if their account is gone)."""

    value = serializers.DecimalField(max_digits=14, decimal_places=3)
    entered_by = OwnerEmailField()
    entered_by_name = OwnerNameField(source="entered_by")


class ReadingRecordedSerializer(ReadingSerializer):
    """The answer to a posted reading: the reading, and "replaced", the reading of that day it
    replaced (one a day), or null when the day had none, as the page says "It replaces the
    reading of 5 you had recorded for 7 Dec 2026"."""

    replaced = ReplacedReadingSerializer(allow_null=True, read_only=True)

    class Meta(ReadingSerializer.Meta):
        fields = [*ReadingSerializer.Meta.fields, "replaced"]
        read_only_fields = fields


class ReadingWriteSerializer(serializers.Serializer):
    taken_on = serializers.DateField(
        required=False, help_text="Default: today where the organisation is (its timezone)."
    )
    value = serializers.DecimalField(max_digits=14, decimal_places=3)
    note = serializers.CharField(allow_blank=True, required=False)


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(source="label")
    old = serializers.CharField()
    new = serializers.CharField()


class HistoryEntrySerializer(serializers.Serializer):
    """One entry of the risk page's history (registers.history): a change to the risk, one of
    its controls or actions, or a review, in the users' words."""

    when = serializers.DateTimeField()
    who = serializers.CharField()
    subject = serializers.CharField(help_text="Risk, Control, Action, Review, Link, ...")
    summary = serializers.CharField()
    reason = serializers.CharField()
    detail = serializers.CharField(help_text="What the control or action says.")
    changes = ChangeSerializer(many=True)
