"""What the API shows of an organisation, its registers, its scoring scheme and its appetite.

The views hand these plain dicts built by ``api/organisation_reads.py``; the serializers are
the documented shape (the OpenAPI schema is made from them)."""

from __future__ import annotations

from rest_framework import serializers

from registers.models.organisations import REMINDER_NOTICE_MAX, REMINDER_NOTICE_MIN


class SchemeSummarySerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
    notation = serializers.CharField(allow_null=True)


def _month() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=12)


class CalendarSerializer(serializers.Serializer):
    """The organisation's reporting calendar and reminder notice period."""

    # The bounds are the model's (registers.models.organisations), so the schema says them.

    quarter_end_months = serializers.ListField(
        child=_month(), min_length=1, help_text="1 (January) to 12; at least one."
    )
    committee_months = serializers.ListField(
        child=_month(),
        help_text="1 (January) to 12. Empty: no committee packs are scheduled, and the last "
        "report is the last quarter end.",
    )
    last_quarter_end = serializers.DateField(help_text="The latest quarter end before today.")
    quarter_label = serializers.CharField(help_text='As the pages name it: "Q2 2026/27".')
    default_review_months = serializers.IntegerField()
    reminder_notice_days = serializers.IntegerField(
        min_value=REMINDER_NOTICE_MIN,
        max_value=REMINDER_NOTICE_MAX,
        help_text="Owners are reminded of a review or action due within this many days.",
    )


class OrganisationSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    role = serializers.CharField(help_text="The caller's role: admin, coordinator, owner, ...")
    cleared = serializers.BooleanField(
        help_text="Whether the caller reads every OFFICIAL-SENSITIVE risk's detail."
    )
    timezone = serializers.CharField()
    today = serializers.DateField(help_text="Today where the organisation is.")
    panel_name = serializers.CharField()
    scheme = SchemeSummarySerializer(allow_null=True, help_text="The default scoring scheme.")
    calendar = CalendarSerializer()


class RegisterSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    level = serializers.CharField()
    parent = serializers.SlugField(allow_null=True)
    review_months = serializers.IntegerField(
        allow_null=True, help_text="Overrides the review period of the rating's band."
    )
    scheme = serializers.CharField(allow_null=True, help_text="A scheme overriding the default.")
    archived = serializers.BooleanField()
    open_risks = serializers.IntegerField(help_text="Open and escalated risks.")
    closed_risks = serializers.IntegerField()


class LevelSerializer(serializers.Serializer):
    value = serializers.IntegerField()
    label = serializers.CharField()
    code = serializers.CharField()
    description = serializers.CharField()


class BandSerializer(serializers.Serializer):
    name = serializers.CharField()
    colour = serializers.CharField()
    min = serializers.IntegerField(required=False)
    max = serializers.IntegerField(required=False)
    review_months = serializers.IntegerField(allow_null=True)


class SchemeSerializer(serializers.Serializer):
    """The scheme file format of ``load_scheme`` (DESIGN.md), plus the version's number."""

    name = serializers.CharField()
    likelihood = LevelSerializer(many=True)
    impact = LevelSerializer(many=True)
    method = serializers.ChoiceField(choices=["product", "matrix"])
    matrix = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()), allow_null=True
    )
    bands = BandSerializer(many=True)
    notation = serializers.ChoiceField(choices=["score", "letters", "band"])
    version = serializers.IntegerField()


class AppetiteLevelSerializer(serializers.Serializer):
    name = serializers.CharField()
    position = serializers.IntegerField(help_text="1 = least appetite.")
    description = serializers.CharField()
    min_score = serializers.IntegerField(allow_null=True)
    max_score = serializers.IntegerField(allow_null=True)


class AppetiteLineSerializer(serializers.Serializer):
    category = serializers.CharField(
        allow_null=True, help_text="None: the organisation-wide default."
    )
    own_statement = serializers.BooleanField(
        help_text="False: the category has no statement of its own and the default applies."
    )
    level = serializers.CharField(allow_null=True)
    tolerance = serializers.IntegerField(allow_null=True)
    warning = serializers.IntegerField(allow_null=True)
    rationale = serializers.CharField()


class OrganisationAppetiteSerializer(serializers.Serializer):
    levels = AppetiteLevelSerializer(many=True)
    statements = AppetiteLineSerializer(many=True)
