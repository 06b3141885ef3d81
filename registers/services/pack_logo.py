"""The logo an organisation puts on its packs (the cover page and the running header; without
one, its name). An admin uploads it on the profile page.

A logo is checked by its content, not its name or the type the browser claims: Pillow must read
it whole as a PNG or a JPEG, of at most ``LOGO_MAX_BYTES`` and ``LOGO_MAX_SIDE`` pixels a side.
It is stored in the media storage under a name made from the organisation and a hash of its
bytes (``logos/<organisation id>/<hash>.png``): nothing of the uploaded file's name reaches the
storage or a pack. The file it replaces is deleted once the change is committed.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from ..models import Organisation

logger = logging.getLogger(__name__)

LOGO_MAX_BYTES = 500 * 1024
LOGO_MAX_SIDE = 4000  # pixels: a bigger picture is no logo, and costs memory to decode
LOGO_FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg")}

LOGO_REQUIRED = "choose a PNG or JPEG file for the logo"
LOGO_TOO_BIG = "the logo must be at most 500 KB: save it smaller, or as a JPEG"
LOGO_NOT_AN_IMAGE = "the file is not a PNG or JPEG picture: save the logo as one of those"
LOGO_TOO_MANY_PIXELS = f"the logo must be at most {LOGO_MAX_SIDE} pixels wide and high"
LOGO_CHANGED_REASON = "logo on packs changed"
LOGO_REMOVED_REASON = "logo on packs removed: packs show the organisation's name"


@dataclass(frozen=True)
class Logo:
    content: bytes
    extension: str
    mime_type: str


def logo_check(content: bytes) -> Logo:
    """The logo in ``content``, or ValidationError saying what is wrong with it."""
    from PIL import Image, UnidentifiedImageError  # imported late: only logos need it

    if not content:
        raise ValidationError({"logo": LOGO_REQUIRED})
    if len(content) > LOGO_MAX_BYTES:
        raise ValidationError({"logo": LOGO_TOO_BIG})
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            width, height = image.size
            if kind not in LOGO_FORMATS:
                raise ValidationError({"logo": LOGO_NOT_AN_IMAGE})
            if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
                raise ValidationError({"logo": LOGO_TOO_MANY_PIXELS})
            image.verify()  # the whole file, not only its header
        with Image.open(io.BytesIO(content)) as image:
            image.load()  # verify() does not decode; a truncated picture fails here
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError({"logo": LOGO_NOT_AN_IMAGE}) from None
    extension, mime_type = LOGO_FORMATS[kind]
    return Logo(content=content, extension=extension, mime_type=mime_type)


def _delete_later(storage, name: str) -> None:
    def delete():
        try:
            storage.delete(name)
        except OSError:  # a file already gone, or storage down: the row no longer names it
            logger.warning("could not delete the replaced logo %s", name)

    transaction.on_commit(delete)


@transaction.atomic
def organisation_logo_set(*, organisation: Organisation, content: bytes, by) -> Organisation:
    """Put the logo in ``content`` on the organisation's packs. One history row says who."""
    logo = logo_check(content)
    stored = Organisation.objects.select_for_update().get(pk=organisation.pk)
    digest = hashlib.sha256(logo.content).hexdigest()[:20]
    name = f"{stored.pk}/{digest}.{logo.extension}"
    old = stored.pack_logo.name
    stored.pack_logo.save(name, ContentFile(logo.content), save=False)
    if old and old != stored.pack_logo.name:
        _delete_later(stored.pack_logo.storage, old)
    stored._change_reason = LOGO_CHANGED_REASON
    stored._history_user = by
    stored.save(update_fields=["pack_logo"])
    organisation.pack_logo = stored.pack_logo
    return stored


@transaction.atomic
def organisation_logo_remove(*, organisation: Organisation, by) -> bool:
    """Take the logo off the packs (they show the name again); False when there was none."""
    stored = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not stored.pack_logo:
        return False
    _delete_later(stored.pack_logo.storage, stored.pack_logo.name)
    stored.pack_logo = ""
    stored._change_reason = LOGO_REMOVED_REASON
    stored._history_user = by
    stored.save(update_fields=["pack_logo"])
    organisation.pack_logo = stored.pack_logo
    return True


def logo_for_pack(organisation: Organisation) -> Logo | None:
    """The organisation's logo as a pack embeds it, checked again (the storage is not trusted
    more than the upload was); None without one, or when it cannot be read (the pack then
    shows the name, and the problem is logged)."""
    if not organisation.pack_logo:
        return None
    try:
        with organisation.pack_logo.open("rb") as handle:
            content = handle.read(LOGO_MAX_BYTES + 1)
        return logo_check(content)
    except (OSError, ValidationError):
        logger.warning("the logo of organisation %s cannot be used on packs", organisation.pk)
        return None
