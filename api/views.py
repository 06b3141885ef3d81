"""/api/v1/: thin DRF views over the access functions (api/access.py) and the services."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from registers.models import Risk
from registers.selectors import APPETITE_RANKS, with_appetite, with_appetite_as_of
from registers.services.risks import RiskConflict, risk_update

from .access import api_organisation, api_risk, require_write
from .ordering import ORDERING_CHOICES, OrderedCursorPagination
from .risk_reads import (
    appetite_then,
    as_of_moment,
    risk_as_of,
    risks_listed,
    trends_of,
)
from .serializers import RiskPatchSerializer, RiskSerializer

ORGANISATION_REQUIRED = "Give ?organisation=SLUG: the organisation whose risks to list."
IF_MATCH_REQUIRED = "Send If-Match with the risk's ETag (its version) from your last GET."
STALE_MESSAGE = "The risk has changed since version {given}: it is now version {now}. GET it again."
# The path's {id}: typed for the schema (a ViewSet without a queryset leaves it a string).
RISK_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The risk's id.")
APPETITE_STATES = {"within", "warning", "breach", "not_set"}


AS_OF_PARAMETER = OpenApiParameter(
    "as_of",
    str,
    description="Read the register as it stood then, from history (read only): 2026-03-31 "
    "(the end of that day where the organisation is) or 2026-03-31T17:00.",
)
RETRIEVE_DESCRIPTION = (
    "One risk, with its ETag (its version) for a PATCH's If-Match. With as_of, the risk as it "
    "stood then (404 if it did not exist), without an ETag."
)


def _etag(risk: Risk) -> str:
    return f'"{risk.version}"'


class PreconditionFailed(serializers.ValidationError):
    status_code = status.HTTP_412_PRECONDITION_FAILED


@extend_schema_view(
    retrieve=extend_schema(parameters=[RISK_ID]),
    partial_update=extend_schema(parameters=[RISK_ID]),
)
class RiskViewSet(viewsets.ViewSet):
    """Risks of one organisation the token covers."""

    serializer_class = RiskSerializer
    pagination_class = OrderedCursorPagination  # the schema's cursor pages (``paginator``)

    def _context(self, access, request, risks, *, as_of=None):
        fields = request.query_params.get("fields")
        organisation = access.organisation
        return {
            "access": {organisation.pk: access},
            "appetite": {organisation.pk: appetite_then(organisation=organisation, as_of=as_of)},
            "fields": {f.strip() for f in fields.split(",") if f.strip()} if fields else None,
            "trends": trends_of(risks, organisation=organisation, as_of=as_of),
        }

    @extend_schema(
        parameters=[
            OpenApiParameter("organisation", str, required=True),
            OpenApiParameter("register", str),
            OpenApiParameter("status", str),
            OpenApiParameter("category", str),
            OpenApiParameter("owner", str, description="The owner's e-mail address."),
            OpenApiParameter("appetite", str, enum=sorted(APPETITE_STATES)),
            OpenApiParameter("fields", str, description="Comma-separated fields to return."),
            OpenApiParameter(
                "ordering",
                str,
                enum=ORDERING_CHOICES,
                description="Sort order (default id); a leading '-' reverses. Unrated risks "
                "sort lowest, risks without a review date last; the cursor stays exact.",
            ),
            AS_OF_PARAMETER,
        ],
        responses=RiskSerializer(many=True),
    )
    def list(self, request):
        slug = request.query_params.get("organisation")
        if not slug:
            raise ValidationError({"organisation": [ORGANISATION_REQUIRED]})
        access = api_organisation(request, slug)
        as_of = as_of_moment(request, access.organisation)
        risks = risks_listed(organisation=access.organisation, as_of=as_of)
        params = request.query_params
        if params.get("register"):
            risks = risks.filter(register__slug=params["register"])
        if params.get("status"):
            risks = risks.filter(status=params["status"])
        if params.get("category"):
            risks = risks.filter(Q(category__name__iexact=params["category"]))
        if params.get("owner"):
            risks = risks.filter(owner__email__iexact=params["owner"])
        wanted = params.get("appetite")
        if wanted:
            if wanted not in APPETITE_STATES:
                raise ValidationError(
                    {"appetite": [f"One of {', '.join(sorted(APPETITE_STATES))}."]}
                )
            # The register page's rule, in the database (closed risks are "not_set").
            if as_of is None:
                risks = with_appetite(risks, organisation=access.organisation)
            else:
                risks = with_appetite_as_of(risks, organisation=access.organisation, moment=as_of)
            rank = next(rank for rank, state in APPETITE_RANKS.items() if state == wanted)
            risks = risks.filter(appetite_rank=rank)
        paginator = self.paginator
        page = paginator.paginate_queryset(
            risks, request, view=self, ordering=params.get("ordering") or "id"
        )
        context = self._context(access, request, page, as_of=as_of)
        data = RiskSerializer(page, many=True, context=context).data
        return paginator.get_paginated_response(data)

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            self._paginator = OrderedCursorPagination()
        return self._paginator

    @extend_schema(
        parameters=[AS_OF_PARAMETER], responses=RiskSerializer, description=RETRIEVE_DESCRIPTION
    )
    def retrieve(self, request, pk=None):
        access, risk = self._risk(request, pk)
        as_of = as_of_moment(request, access.organisation)
        if as_of is not None:  # read only: no ETag, nothing a PATCH could be matched against
            record = risk_as_of(risk=risk, as_of=as_of)
            context = self._context(access, request, [record], as_of=as_of)
            return Response(RiskSerializer(record, context=context).data)
        response = Response(
            RiskSerializer(risk, context=self._context(access, request, [risk])).data
        )
        response["ETag"] = _etag(risk)
        return response

    def _risk(self, request, pk):
        if not str(pk).isdigit():
            raise NotFound("No such risk")
        return api_risk(request, int(pk))

    @extend_schema(
        request=RiskPatchSerializer,
        responses=RiskSerializer,
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
    )
    def partial_update(self, request, pk=None):
        # Reach first (another organisation's risk is a 404 to every token), then the token's
        # read-only flag, then the member's role.
        access, risk = self._risk(request, pk)
        require_write(request)
        if not access.can_edit_risk(risk):
            raise PermissionDenied("You may not edit this risk.")
        given = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
        if not given:
            raise PreconditionFailed({"If-Match": [IF_MATCH_REQUIRED]})
        if given != str(risk.version):
            raise PreconditionFailed(
                {"If-Match": [STALE_MESSAGE.format(given=given, now=risk.version)]}
            )
        patch = RiskPatchSerializer(data=request.data)
        patch.is_valid(raise_exception=True)
        data = dict(patch.validated_data)
        token = request.auth
        reason = data.pop("reason", "") or (
            f"via the API by {token.name}" if hasattr(token, "token_hash") else "via the API"
        )
        positions = {}
        for position in ("current", "target"):
            if f"{position}_likelihood" in data:
                positions[position] = (
                    data.pop(f"{position}_likelihood"),
                    data.pop(f"{position}_impact"),
                )
        try:
            risk = risk_update(
                risk=risk,
                expected_version=risk.version,
                fields=data,
                positions=positions or None,
                reason=reason,
                user=request.user,
            )
        except RiskConflict as conflict:
            raise PreconditionFailed(
                {"If-Match": [STALE_MESSAGE.format(given=given, now="newer")]}
            ) from conflict
        except DjangoValidationError as error:
            if hasattr(error, "error_dict"):
                raise ValidationError(error.message_dict) from error
            raise ValidationError({"non_field_errors": error.messages}) from error
        access, risk = self._risk(request, risk.pk)
        response = Response(
            RiskSerializer(risk, context=self._context(access, request, [risk])).data
        )
        response["ETag"] = _etag(risk)
        return response
