"""/api/v1/organisations/...: the caller's organisations, their registers, scoring scheme and
appetite (read only). Thin views: reach through ``api/access.py`` (404 outside the person's
memberships or the token's organisations), content from ``api/organisation_reads.py``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework.response import Response
from rest_framework.views import APIView

from . import organisation_reads as reads
from .access import api_organisation
from .serializers_organisations import (
    OrganisationAppetiteSerializer,
    OrganisationSerializer,
    RegisterSerializer,
    SchemeSerializer,
)


def _listing(serializer_class):
    """A list's documented shape: ``{"results": [...]}`` (short lists: not paged)."""
    return inline_serializer(
        name=f"{serializer_class.__name__.removesuffix('Serializer')}List",
        fields={"results": serializer_class(many=True)},
    )


OrganisationListSerializer = _listing(OrganisationSerializer)
RegisterListSerializer = _listing(RegisterSerializer)


class OrganisationListView(APIView):
    """The organisations the caller belongs to and the token covers, with their role in each."""

    @extend_schema(responses=OrganisationListSerializer, operation_id="organisations_list")
    def get(self, request):
        data = reads.organisations_data(reads.accesses_of(request))
        return Response({"results": OrganisationSerializer(data, many=True).data})


class OrganisationDetailView(APIView):
    @extend_schema(responses=OrganisationSerializer, operation_id="organisations_retrieve")
    def get(self, request, org: str):
        access = api_organisation(request, org)
        data = reads.organisations_data([access])[0]
        return Response(OrganisationSerializer(data).data)


class RegisterListView(APIView):
    """The organisation's registers (archived ones too: read only), with their risk counts."""

    @extend_schema(responses=RegisterListSerializer, operation_id="registers_list")
    def get(self, request, org: str):
        access = api_organisation(request, org)
        data = reads.registers_data(access)
        return Response({"results": RegisterSerializer(data, many=True).data})


class RegisterDetailView(APIView):
    @extend_schema(responses=RegisterSerializer, operation_id="registers_retrieve")
    def get(self, request, org: str, register: str):
        access = api_organisation(request, org)
        return Response(RegisterSerializer(reads.register_data(access, register)).data)


class SchemeView(APIView):
    """The default scoring scheme's current version, in the scheme file format of
    ``load_scheme`` (so it can be saved and loaded elsewhere), with its version number."""

    @extend_schema(responses=SchemeSerializer)
    def get(self, request, org: str):
        access = api_organisation(request, org)
        return Response(SchemeSerializer(reads.scheme_data(access)).data)


class AppetiteView(APIView):
    """Appetite levels, and per category (the default first) the statement that applies."""

    @extend_schema(responses=OrganisationAppetiteSerializer)
    def get(self, request, org: str):
        access = api_organisation(request, org)
        return Response(OrganisationAppetiteSerializer(reads.appetite_data(access)).data)
