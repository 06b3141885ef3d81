from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from .organisations import Organisation
from .risks import Risk


class IndicatorDirection(models.TextChoices):
    HIGHER_IS_WORSE = "higher_worse", "Higher is worse"
    HIGHER_IS_BETTER = "higher_better", "Higher is better"


class IndicatorFrequency(models.TextChoices):
    """How often a reading is due; a reading older than this (and a grace) makes it stale."""

    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    HALF_YEARLY = "half_yearly", "Every six months"
    YEARLY = "yearly", "Yearly"


class Indicator(models.Model):
    """A key risk indicator of a risk (issue 18): a measure with amber and red thresholds,
    read at a frequency by its owner.

    Three zones from two thresholds: where higher is worse, green below ``amber_from``, amber
    from it, red from ``red_from`` (so amber_from <= red_from); where higher is better, the
    mirror (red at or below ``red_from``, amber at or below ``amber_from``)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=50, blank=True, help_text="%, days, cases, £k ...")
    direction = models.CharField(
        max_length=13,
        choices=IndicatorDirection.choices,
        default=IndicatorDirection.HIGHER_IS_WORSE,
    )
    amber_from = models.DecimalField("amber from", max_digits=14, decimal_places=3)
    red_from = models.DecimalField("red from", max_digits=14, decimal_places=3)
    frequency = models.CharField(
        max_length=12, choices=IndicatorFrequency.choices, default=IndicatorFrequency.MONTHLY
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="indicators",
    )
    position = models.PositiveSmallIntegerField(default=0)
    # Demo data made up to show a trend, labelled as such wherever it is shown.
    illustrative = models.BooleanField(default=False)
    # Retired: kept with its readings for history and past packs, no longer read or chased.
    retired_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)  # as Control.version
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["risk", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=IndicatorDirection.values),
                name="indicator_direction_valid",
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=IndicatorFrequency.values),
                name="indicator_frequency_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    direction=IndicatorDirection.HIGHER_IS_WORSE, amber_from__lte=F("red_from")
                )
                | Q(direction=IndicatorDirection.HIGHER_IS_BETTER, amber_from__gte=F("red_from")),
                name="indicator_thresholds_ordered",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="indicator_version_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class IndicatorReading(models.Model):
    """One reading of an indicator on a day (one per day: a second one the same day replaces
    it, in history)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="readings")
    taken_on = models.DateField()
    value = models.DecimalField(max_digits=14, decimal_places=3)
    note = models.TextField(blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "-taken_on"]
        indexes = [
            models.Index(fields=["indicator", "-taken_on"], name="reading_indicator_latest"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "taken_on"], name="reading_one_per_indicator_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} on {self.taken_on}: {self.value}"
