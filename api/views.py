"""/api/v1/: thin DRF views over the access functions (api/access.py) and the services."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from appetite.selectors import appetite_lookup
from registers.models import Risk
from registers.services.risks import RiskConflict, risk_update

from .access import api_organisation, api_risk, require_write
from .serializers import RiskPatchSerializer, RiskSerializer

ORGANISATION_REQUIRED = "Give ?organisation=SLUG: the organisation whose risks to list."
IF_MATCH_REQUIRED = "Send If-Match with the risk's ETag (its version) from your last GET."
STALE_MESSAGE = "The risk has changed since version {given}: it is now version {now}. GET it again."
APPETITE_STATES = {"within", "warning", "breach", "not_set"}


def _etag(risk: Risk) -> str:
    return f'"{risk.version}"'


class PreconditionFailed(serializers.ValidationError):
    status_code = status.HTTP_412_PRECONDITION_FAILED


class RiskViewSet(viewsets.ViewSet):
    """Risks of one organisation the token covers."""

    serializer_class = RiskSerializer

    def _context(self, access, request):
        fields = request.query_params.get("fields")
        return {
            "access": {access.organisation.pk: access},
            "appetite": {access.organisation.pk: appetite_lookup(organisation=access.organisation)},
            "fields": {f.strip() for f in fields.split(",") if f.strip()} if fields else None,
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
        ],
        responses=RiskSerializer(many=True),
    )
    def list(self, request):
        slug = request.query_params.get("organisation")
        if not slug:
            raise ValidationError({"organisation": [ORGANISATION_REQUIRED]})
        access = api_organisation(request, slug)
        risks = Risk.objects.filter(organisation=access.organisation).select_related(
            "register", "category", "owner", "organisation"
        )
        params = request.query_params
        if params.get("register"):
            risks = risks.filter(register__slug=params["register"])
        if params.get("status"):
            risks = risks.filter(status=params["status"])
        if params.get("category"):
            risks = risks.filter(Q(category__name__iexact=params["category"]))
        if params.get("owner"):
            risks = risks.filter(owner__email__iexact=params["owner"])
        context = self._context(access, request)
        wanted = params.get("appetite")
        if wanted:
            if wanted not in APPETITE_STATES:
                raise ValidationError(
                    {"appetite": [f"One of {', '.join(sorted(APPETITE_STATES))}."]}
                )
            lookup = context["appetite"][access.organisation.pk]
            keep = [
                r.pk
                for r in risks.only("pk", "category_id", "current_score")
                if lookup.state(category_id=r.category_id, score=r.current_score) == wanted
            ]
            risks = risks.filter(pk__in=keep)
        paginator = self.paginator
        page = paginator.paginate_queryset(risks, request, view=self)
        data = RiskSerializer(page, many=True, context=context).data
        return paginator.get_paginated_response(data)

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            from .pagination import RiskCursorPagination

            self._paginator = RiskCursorPagination()
        return self._paginator

    @extend_schema(responses=RiskSerializer)
    def retrieve(self, request, pk=None):
        access, risk = self._risk(request, pk)
        response = Response(RiskSerializer(risk, context=self._context(access, request)).data)
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
        response = Response(RiskSerializer(risk, context=self._context(access, request)).data)
        response["ETag"] = _etag(risk)
        return response
