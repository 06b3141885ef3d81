"""What the API shows of a risk's controls and actions, and what a write may send.

The write serializers describe the body for the OpenAPI document; the input itself is checked by
the risk page's own forms (``api/views_treatments.py``), so the API says what the page says."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registers.models import Action, ActionStatus, Control, Effectiveness, Scale3
from registers.withholding import WITHHELD_SHORT

OWNER_HELP = "A member's e-mail address (one who may own risks); null for nobody."


@extend_schema_field(serializers.EmailField(allow_null=True))
class OwnerEmailField(serializers.Field):
    def to_representation(self, user):
        return user.email if user is not None else None


@extend_schema_field(serializers.CharField(allow_null=True))
class OwnerNameField(serializers.Field):
    def to_representation(self, user):
        return user.display_name if user is not None else None


class TreatmentSerializer(serializers.ModelSerializer):
    # A control's or an action's owner (e-mail and name) and whether its text is withheld. No
    # docstring: the schema would give it to both serializers as their description.
    owner = OwnerEmailField(read_only=True)
    owner_name = OwnerNameField(source="owner", read_only=True)
    withheld = serializers.SerializerMethodField()


class ControlSerializer(TreatmentSerializer):
    class Meta:
        model = Control
        fields = [
            "id",
            "description",
            "owner",
            "owner_name",
            "effectiveness",
            "assurance",
            "position",
            "version",
            "created_at",
            "withheld",
        ]
        read_only_fields = fields

    def get_withheld(self, control) -> bool:
        return bool(self.context.get("withheld"))

    def to_representation(self, control):
        data = super().to_representation(control)
        if data["withheld"]:  # as withhold_actions does for actions
            data["description"] = WITHHELD_SHORT
            data["assurance"] = ""
        return data


class ActionSerializer(TreatmentSerializer):
    class Meta:
        model = Action
        fields = [
            "id",
            "description",
            "owner",
            "owner_name",
            "due_date",
            "status",
            "priority",
            "difficulty",
            "progress_note",
            "completed_at",
            "position",
            "version",
            "created_at",
            "withheld",
        ]
        read_only_fields = fields

    def get_withheld(self, action) -> bool:
        # Set by registers.withholding.withhold_actions, which also replaced the text.
        return bool(getattr(action, "withheld", False))


class ControlWriteSerializer(serializers.Serializer):
    description = serializers.CharField()
    owner = serializers.EmailField(allow_null=True, required=False, help_text=OWNER_HELP)
    effectiveness = serializers.ChoiceField(
        choices=Effectiveness.choices, required=False, default=Effectiveness.NOT_ASSESSED
    )
    assurance = serializers.CharField(allow_blank=True, required=False)


class ActionWriteSerializer(serializers.Serializer):
    description = serializers.CharField()
    owner = serializers.EmailField(allow_null=True, required=False, help_text=OWNER_HELP)
    due_date = serializers.DateField(allow_null=True, required=False)
    status = serializers.ChoiceField(
        choices=ActionStatus.choices, required=False, default=ActionStatus.NOT_STARTED
    )
    priority = serializers.ChoiceField(choices=Scale3.choices, allow_blank=True, required=False)
    difficulty = serializers.ChoiceField(choices=Scale3.choices, allow_blank=True, required=False)
    progress_note = serializers.CharField(allow_blank=True, required=False)
