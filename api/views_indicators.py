"""/api/v1/risks/<pk>/indicators/: a risk's current key risk indicators with their standing (the
page's rules: ``registers.selectors.indicators``), and each one's readings, listed and recorded
through ``reading_record`` (one a day: a second the same day replaces the first, and the answer
says so, as the page does: 200 rather than 201, ``replaced`` naming the value and who)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response

from registers.calendar import organisation_today
from registers.forms_indicators import ReadingForm
from registers.models import Indicator, IndicatorReading
from registers.permissions import indicator_for_user
from registers.selectors.indicators import (
    indicator_standing,
    indicator_start_day,
    with_latest_reading,
)
from registers.services.indicators import reading_record
from registers.withholding import withhold_indicators

from .access import api_risk
from .children import (
    ChildCursorPagination,
    form_errors,
    may_write,
    posted_fields,
    reason,
    service_errors,
    withheld_list,
)
from .serializers_children import (
    IndicatorSerializer,
    ReadingRecordedSerializer,
    ReadingSerializer,
    ReadingWriteSerializer,
)

READING_FIELDS = ("taken_on", "value", "note")
MAY_NOT_RECORD = "You may not record readings of this indicator."


class ReadingPagination(ChildCursorPagination):
    ordering = ("-taken_on", "-id")


class IndicatorViewSet(viewsets.ViewSet):
    """A risk's current (not retired) indicators, in the page's order."""

    pagination_class = ChildCursorPagination

    @extend_schema(responses=IndicatorSerializer(many=True))
    def list(self, request, pk=None):
        """Indicators in use with their status (red, amber, green, no_reading) and staleness."""
        access, risk = api_risk(request, pk)
        paginator = self.pagination_class()
        indicators = with_latest_reading(
            Indicator.objects.filter(risk=risk, retired_at__isnull=True).select_related("owner")
        )
        page = paginator.paginate_queryset(indicators, request, view=self)
        organisation = access.organisation
        today = organisation_today(organisation)
        for indicator in page:
            indicator.risk = risk
            indicator.standing = indicator_standing(
                indicator,
                today=today,
                since=indicator_start_day(indicator, organisation=organisation),
            )
        page = withhold_indicators(page, access=access)
        return paginator.get_paginated_response(IndicatorSerializer(page, many=True).data)


class ReadingViewSet(viewsets.ViewSet):
    """An indicator's readings, newest first. Withheld (no readings, ``withheld``) from someone
    not cleared for the risk's OFFICIAL-SENSITIVE detail, as on the risk page."""

    pagination_class = ReadingPagination

    def _indicator(self, request, pk, indicator_pk):
        access, risk = api_risk(request, pk)
        return access, risk, indicator_for_user(user=request.user, risk=risk, pk=indicator_pk)

    @extend_schema(responses=ReadingSerializer(many=True))
    def list(self, request, pk=None, indicator_pk=None):
        """The indicator's readings, newest first; none ("withheld": true) for a risk whose
        OFFICIAL-SENSITIVE detail you are not cleared for."""
        access, risk, indicator = self._indicator(request, pk, indicator_pk)
        if not access.can_see_sensitive(risk):
            return withheld_list()
        paginator = self.pagination_class()
        readings = IndicatorReading.objects.filter(indicator=indicator).select_related("entered_by")
        page = paginator.paginate_queryset(readings, request, view=self)
        return paginator.get_paginated_response(
            ReadingSerializer(page, many=True, context={"indicator": indicator}).data
        )

    @extend_schema(
        request=ReadingWriteSerializer,
        responses={
            201: OpenApiResponse(
                ReadingRecordedSerializer,
                description='Recorded: the day had no reading ("replaced": null).',
            ),
            200: OpenApiResponse(
                ReadingRecordedSerializer,
                description="The day's reading replaced by this one (the same id; its history "
                'keeps the old one): "replaced" gives the value it had and who recorded it.',
            ),
        },
    )
    def create(self, request, pk=None, indicator_pk=None):
        """Record a reading (default: today). One a day: a second the same day replaces the
        first, yours or a colleague's, and the answer is then 200, not 201, with "replaced"
        giving the value replaced and who had recorded it."""
        access, risk, indicator = self._indicator(request, pk, indicator_pk)
        may_write(
            request,
            access,
            risk,
            allowed=access.can_record_reading(indicator),
            refusal=MAY_NOT_RECORD,
        )
        today = organisation_today(access.organisation)  # "today" is the organisation's
        data = {"taken_on": today.isoformat(), "note": ""}
        data |= posted_fields(request, allowed=READING_FIELDS, noun="reading")
        form = ReadingForm(data)
        if not form.is_valid():
            raise form_errors(form)
        try:
            reading = reading_record(
                user=request.user,
                indicator=indicator,
                reason=reason(request),
                today=today,
                **form.cleaned_data,
            )
        except DjangoValidationError as error:
            raise service_errors(form, error) from error
        return Response(
            ReadingRecordedSerializer(reading, context={"indicator": indicator}).data,
            status=status.HTTP_201_CREATED if reading.replaced is None else status.HTTP_200_OK,
        )
