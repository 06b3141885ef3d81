from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from .organisations import Organisation
from .risks import Action, Control, Risk

# The longest comment a thread takes (a comment, not a report: attach a paper as evidence).
COMMENT_MAX_LENGTH = 5000


class Comment(models.Model):
    """A comment in the thread of a risk, or of one of its controls or actions (issue 17).

    Always tied to its risk, so the risk's organisation, access and OFFICIAL-SENSITIVE marking
    decide who reads it; ``control`` or ``action`` (at most one) narrows the thread. A deleted
    comment keeps its row ("deleted" in place, text cleared); history keeps what it said."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="comments")
    control = models.ForeignKey(
        Control, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    action = models.ForeignKey(
        Action, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=COMMENT_MAX_LENGTH)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["risk", "created_at", "id"]
        indexes = [models.Index(fields=["risk", "created_at"], name="comment_risk_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(control__isnull=True) | models.Q(action__isnull=True),
                name="comment_on_one_thing",
            ),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on risk {self.risk_id}"

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None
