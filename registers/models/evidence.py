from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .organisations import Organisation
from .risks import Action, Control, Review, Risk


class AssuranceLine(models.IntegerChoices):
    """The Orange Book's three lines model: who gives the assurance."""

    FIRST = 1, "First line: management's own checks"
    SECOND = 2, "Second line: oversight (risk, compliance, finance)"
    THIRD = 3, "Third line: internal audit"


def evidence_path(instance, filename: str) -> str:
    """Stored under the organisation and a random name chosen by the upload service
    (``filename`` is that name, never the uploader's)."""
    return f"evidence/{instance.organisation_id}/{filename}"


class Evidence(models.Model):
    """A file of assurance evidence (issue 18) on a control, an action or a review of a risk
    (at most one of them; none: on the risk itself). Reached only through its risk, so the
    risk's organisation, access and OFFICIAL-SENSITIVE marking decide who may download it.

    ``name`` is the uploader's file name made safe (shown and used for the download); the file
    is stored under a random name. Never served inline. Deleting keeps the row (``deleted_at``)
    and its history, and removes the stored file."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="evidence")
    control = models.ForeignKey(
        Control, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    action = models.ForeignKey(
        Action, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    review = models.ForeignKey(
        Review, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(upload_to=evidence_path, max_length=300, blank=True)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=300, blank=True)
    line = models.PositiveSmallIntegerField(
        "line of assurance", choices=AssuranceLine.choices, null=True, blank=True
    )
    valid_until = models.DateField(
        null=True, blank=True, help_text="After this day the assurance it gives has lapsed."
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["risk", "-uploaded_at", "-id"]
        indexes = [models.Index(fields=["risk", "uploaded_at"], name="evidence_risk_uploaded")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(control__isnull=True, action__isnull=True)
                    | Q(control__isnull=True, review__isnull=True)
                    | Q(action__isnull=True, review__isnull=True)
                ),
                name="evidence_on_one_thing",
            ),
            models.CheckConstraint(
                condition=Q(line__isnull=True) | Q(line__in=AssuranceLine.values),
                name="evidence_line_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None
