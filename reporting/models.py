from django.conf import settings
from django.db import models


class ImportUpload(models.Model):
    """A spreadsheet uploaded for import, kept between its preview and its confirmation so the
    user confirms exactly the file they checked without sending it again. Deleted once applied
    or cancelled; the bytes never reach the file system or the media storage."""

    organisation = models.ForeignKey(
        "registers.Organisation", on_delete=models.CASCADE, related_name="import_uploads"
    )
    register = models.ForeignKey(
        "registers.Register", on_delete=models.CASCADE, related_name="import_uploads"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_uploads"
    )
    filename = models.CharField(max_length=255)
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.filename} for {self.register}"
