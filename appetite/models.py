from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class AppetiteLevel(models.Model):
    """A named level of appetite (Orange Book: Averse .. Eager; Aberdeen: Avoid .. High)."""

    organisation = models.ForeignKey(
        "registers.Organisation", on_delete=models.CASCADE, related_name="appetite_levels"
    )
    name = models.CharField(max_length=50)
    position = models.PositiveSmallIntegerField(help_text="1 = least appetite.")
    description = models.TextField(blank=True)
    min_score = models.PositiveSmallIntegerField(null=True, blank=True)
    max_score = models.PositiveSmallIntegerField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation", "position"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="appetite_level_name"),
            models.UniqueConstraint(
                fields=["organisation", "position"], name="appetite_level_position"
            ),
            models.CheckConstraint(
                condition=Q(min_score__isnull=True)
                | Q(max_score__isnull=True)
                | Q(min_score__lte=models.F("max_score")),
                name="appetite_level_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AppetiteStatement(models.Model):
    """Appetite for one category (or, with no category, the organisation's default).

    ``tolerance`` is the highest acceptable current score: above it, the risk breaches appetite.
    ``warning`` is optional and lower: above it (and within tolerance) the risk shows amber.
    """

    organisation = models.ForeignKey(
        "registers.Organisation", on_delete=models.CASCADE, related_name="appetite_statements"
    )
    category = models.ForeignKey(
        "registers.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="appetite_statements",
    )
    level = models.ForeignKey(
        AppetiteLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="statements"
    )
    tolerance = models.PositiveSmallIntegerField("tolerance threshold")
    warning = models.PositiveSmallIntegerField("warning threshold", null=True, blank=True)
    rationale = models.TextField(blank=True)
    # Optimistic locking: a save from a page opened at an older version is merged three ways
    # (appetite.services.appetite_statement_set).
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation", "category__position", "category__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "category"], name="appetite_statement_per_category"
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(category__isnull=True),
                name="appetite_statement_one_default",
            ),
            models.CheckConstraint(
                condition=Q(warning__isnull=True) | Q(warning__lt=models.F("tolerance")),
                name="appetite_warning_below_tolerance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or 'All categories'}: tolerance {self.tolerance}"
