"""The Word (.docx) edition of a pack, downloaded beside its PDF: the same people, under the
same rules (``pack_for_user``: 404 outside the organisation and for a full edition a member may
not read; a stale public edition is refused as the PDF's is)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from registers import permissions

from ..models import PackStatus
from ..packs.access import PUBLIC_EDITION_OUTDATED, pack_for_user, public_pack_outdated
from ..packs.docx import CONTENT_TYPE, docx_filename
from ..packs.services import pack_filename


@login_required
def pack_download_docx(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    pack = pack_for_user(access=access, pk=pk)
    if pack.status != PackStatus.READY or not pack.docx:
        raise Http404("This pack has no Word edition")
    if public_pack_outdated(access=access, pack=pack):
        context = {"organisation": access.organisation, "message": PUBLIC_EDITION_OUTDATED}
        return render(request, "reporting/pack_outdated.html", context, status=409)
    response = FileResponse(
        pack.docx.open("rb"),
        as_attachment=True,
        filename=docx_filename(pack_filename(pack)),
        content_type=CONTENT_TYPE,
    )
    response["Cache-Control"] = "private, no-store"
    return response
