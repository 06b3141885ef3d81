"""/api/v1/feed/<org>/: the reporting feed for BI tools (reporting/feed.py), as CSV or JSON.

One document per request, not paginated (Power BI's web connector and Excel's From Web read one
document), streamed as its rows are built. The same reach as every API call: an organisation the
token does not cover, or the person is not a member of, is a 404 (api/access.py).
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.exceptions import ValidationError
from rest_framework.views import APIView

from registers.calendar import organisation_today
from reporting.feed import (
    HISTORY_HEADER,
    RISK_HEADER,
    csv_chunks,
    history_feed,
    json_chunks,
    parse_quarters,
    risk_feed,
)

from .access import api_organisation

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _response(rows, *, header, fmt: str, filename: str) -> StreamingHttpResponse:
    chunks = csv_chunks(rows, header) if fmt == "csv" else json_chunks(rows)
    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in chunks), content_type=CONTENT_TYPES[fmt]
    )
    disposition = "attachment" if fmt == "csv" else "inline"
    # Slugs are [-a-zA-Z0-9_]: the name is safe in a header.
    response["Content-Disposition"] = f'{disposition}; filename="{filename}.{fmt}"'
    response["Cache-Control"] = "no-store"  # organisation data: never kept by a proxy
    return response


def _feed_schema(name: str, fmt: str, columns: tuple[str, ...], extra=()):
    if fmt == "csv":
        response = {(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)}
    else:
        response = {
            (200, "application/json"): OpenApiResponse(
                {"type": "array", "items": {"type": "object"}}
            )
        }
    return extend_schema_view(
        get=extend_schema(
            operation_id=f"feed_{name}_{fmt}",
            description=(
                f"The reporting feed's {name} table for one organisation, as one document (not "
                f"paginated){', a JSON array of objects' if fmt == 'json' else ''}. "
                f"Columns: {', '.join(columns)}."
            ),
            parameters=list(extra),
            responses=response,
        )
    )


class RiskFeedView(APIView):
    """Every risk of the organisation now."""

    fmt = "json"

    def get(self, request, org):
        access = api_organisation(request, org)
        stamp = organisation_today(access.organisation).isoformat()
        return _response(
            risk_feed(access=access),
            header=RISK_HEADER,
            fmt=self.fmt,
            filename=f"{access.organisation.slug}-risks-{stamp}",
        )


class HistoryFeedView(APIView):
    """One row per risk per quarter end (``?quarters=``, default 8)."""

    fmt = "json"

    def get(self, request, org):
        access = api_organisation(request, org)
        try:
            quarters = parse_quarters(request.query_params.get("quarters"))
        except ValueError as error:
            raise ValidationError({"quarters": [str(error)]}) from error
        stamp = organisation_today(access.organisation).isoformat()
        return _response(
            history_feed(access=access, quarters=quarters, moment=timezone.now()),
            header=HISTORY_HEADER,
            fmt=self.fmt,
            filename=f"{access.organisation.slug}-history-{stamp}",
        )


QUARTERS_PARAMETER = OpenApiParameter("quarters", int, description="Quarter ends, 1 to 40 (8).")


@_feed_schema("risks", "csv", RISK_HEADER)
class RiskCsvFeedView(RiskFeedView):
    fmt = "csv"


@_feed_schema("risks", "json", RISK_HEADER)
class RiskJsonFeedView(RiskFeedView):
    fmt = "json"


@_feed_schema("history", "csv", HISTORY_HEADER, extra=[QUARTERS_PARAMETER])
class HistoryCsvFeedView(HistoryFeedView):
    fmt = "csv"


@_feed_schema("history", "json", HISTORY_HEADER, extra=[QUARTERS_PARAMETER])
class HistoryJsonFeedView(HistoryFeedView):
    fmt = "json"
