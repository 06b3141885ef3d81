from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from .organisations import Organisation
from .risks import Risk


class RiskAcceptance(models.Model):
    """A risk above tolerance formally accepted ("tolerate") by someone with the authority the
    organisation sets, with a reason, until a date (issue 17).

    In force while not ended and ``expires_on`` is today or later: appetite views then say
    "accepted until ..." instead of an unexplained breach. When it expires the risk is back in
    breach and the approver is told; ``ended_at`` records when it stopped (expiry, withdrawal),
    ``end_reason`` why. One in force per risk."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="acceptances")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    # The current score accepted: a rise above it is not covered by this acceptance.
    accepted_score = models.PositiveSmallIntegerField(null=True, blank=True)
    accepted_at = models.DateTimeField(auto_now_add=True)
    expires_on = models.DateField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["risk", "-accepted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["risk"],
                condition=models.Q(ended_at__isnull=True),
                name="risk_acceptance_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Acceptance of risk {self.risk_id} until {self.expires_on}"
