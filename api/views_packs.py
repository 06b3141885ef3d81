"""/api/v1/organisations/<org>/packs/: report packs as the Reports page lists them, and their
download (PDF, or the Word edition with ``?format=docx``), under the pages' rules: the same
``reporting.packs.access`` functions (every member: the released packs in the editions they may
read; drafts for coordinators and admins only; decision 125), a 409 for a public edition built
before one of its risks was marked OFFICIAL-SENSITIVE."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from reporting.models import Pack, PackStatus
from reporting.packs.access import (
    PUBLIC_EDITION_OUTDATED,
    pack_for_user,
    packs_for_user,
    public_pack_outdated,
)
from reporting.packs.docx import CONTENT_TYPE as DOCX_CONTENT_TYPE
from reporting.packs.docx import docx_filename
from reporting.packs.proof import packs_replaced
from reporting.packs.services import pack_filename

from .access import api_organisation
from .ordering import OrderedCursorPagination

NOT_READY = "This pack is not ready."
NO_WORD_EDITION = "This pack has no Word edition."
FORMATS = ("pdf", "docx")
FORMAT_UNKNOWN = "One of: pdf, docx."


class PackSerializer(serializers.ModelSerializer):
    released = serializers.SerializerMethodField()
    replaced_by = serializers.SerializerMethodField()
    formats = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()

    class Meta:
        model = Pack
        fields = [
            "id",
            "kind",
            "edition",
            "as_of",
            "status",
            "version",
            "released",
            "released_at",
            "replaced_by",
            "pages",
            "size",
            "formats",
            "download",
        ]
        read_only_fields = fields

    def get_released(self, pack) -> bool:
        return pack.released_at is not None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_replaced_by(self, pack) -> int | None:
        """The released version that replaces this pack, if any (``packs_replaced``)."""
        return pack.replaced_by.pk if pack.replaced_by else None

    def get_formats(self, pack) -> list[str]:
        if pack.status != PackStatus.READY:
            return []
        return [name for name, file in (("pdf", pack.file), ("docx", pack.docx)) if file]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download(self, pack) -> str | None:
        if pack.status != PackStatus.READY or not pack.file:
            return None
        url = reverse("api-pack-download", args=[pack.organisation.slug, pack.pk])
        return self.context["request"].build_absolute_uri(url)


class PackListView(APIView):
    """The organisation's packs, newest first, in the editions the caller may read: every pack
    (drafts and builds too) for coordinators and admins, the released ones for everyone else."""

    pagination_class = OrderedCursorPagination  # described in the schema; paged in get()

    @extend_schema(responses=PackSerializer(many=True))
    def get(self, request, org: str):
        access = api_organisation(request, org)
        packs = packs_for_user(access=access).select_related("organisation")
        paginator = OrderedCursorPagination()
        page = paginator.paginate_queryset(packs, request, view=self, ordering="-id")
        packs_replaced(page)
        data = PackSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class PackDownloadView(APIView):
    """The pack's file as an attachment: the PDF, or with ``?format=docx`` its Word edition."""

    def perform_content_negotiation(self, request, force=False):
        # ``format`` names the file wanted, not a renderer; errors are answered in JSON.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=list(FORMATS))],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, DOCX_CONTENT_TYPE): OpenApiTypes.BINARY,
            404: OpenApiResponse(
                description="No such pack, not ready, or an edition the caller may not read."
            ),
            409: OpenApiResponse(description=PUBLIC_EDITION_OUTDATED),
        },
    )
    def get(self, request, org: str, report_pk: int):
        wanted = request.query_params.get("format") or "pdf"
        if wanted not in FORMATS:
            raise ValidationError({"format": [FORMAT_UNKNOWN]})
        access = api_organisation(request, org)
        pack = pack_for_user(access=access, pk=report_pk)
        file = pack.docx if wanted == "docx" else pack.file
        if pack.status != PackStatus.READY or not file:
            raise Http404(NO_WORD_EDITION if wanted == "docx" and pack.file else NOT_READY)
        if public_pack_outdated(access=access, pack=pack):
            return Response({"detail": PUBLIC_EDITION_OUTDATED}, status=status.HTTP_409_CONFLICT)
        filename = pack_filename(pack)
        response = FileResponse(
            file.open("rb"),
            as_attachment=True,
            filename=docx_filename(filename) if wanted == "docx" else filename,
            content_type=DOCX_CONTENT_TYPE if wanted == "docx" else "application/pdf",
        )
        response["Cache-Control"] = "private, no-store"
        return response
