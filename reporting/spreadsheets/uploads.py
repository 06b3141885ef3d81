"""Uploaded files waiting between their preview and their confirmation."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from registers.models import Register
from registers.services.register_archive import registers_hold_for_risks

from ..models import ImportUpload

KEEP_FOR = dt.timedelta(days=1)


@transaction.atomic
def import_upload_save(*, register: Register, user, filename: str, data: bytes) -> ImportUpload:
    """Keep the file for its preview. A user has one pending file per register; files left
    unconfirmed for a day are dropped. The register is held until the file is saved: one
    deleted or archived meanwhile is refused by name (decision 112), not a failure at commit."""
    registers_hold_for_risks([register])
    ImportUpload.objects.filter(user=user, created_at__lt=timezone.now() - KEEP_FOR).delete()
    ImportUpload.objects.filter(user=user, register=register).delete()
    return ImportUpload.objects.create(
        organisation_id=register.organisation_id,
        register=register,
        user=user,
        filename=filename[:255],
        data=data,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def import_upload_for_user(*, user, register: Register, pk: int) -> ImportUpload:
    """Only the person who uploaded a file sees its preview, and only on its own register."""
    upload = ImportUpload.objects.filter(
        pk=pk,
        user=user,
        register=register,
        organisation_id=register.organisation_id,
        created_at__gte=timezone.now() - KEEP_FOR,
    ).first()
    if upload is None:
        raise Http404("No such upload")
    return upload


@transaction.atomic
def import_upload_discard(*, upload: ImportUpload) -> None:
    upload.delete()


class SizeLimitedUploadHandler(FileUploadHandler):
    """Stops storing an uploaded file as soon as it passes the limit, so a huge upload costs
    neither memory nor disk; the view then says the file is too large."""

    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None
