from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .definition import SchemeDefinition, parse_scheme


class Scheme(models.Model):
    """An organisation's named scoring scheme. Its content lives in immutable versions."""

    organisation = models.ForeignKey(
        "registers.Organisation", on_delete=models.CASCADE, related_name="schemes"
    )
    name = models.CharField(max_length=120)
    is_default = models.BooleanField(default=False)
    current_version = models.ForeignKey(
        "SchemeVersion", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="scheme_unique_name"),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(is_default=True),
                name="scheme_one_default_per_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SchemeVersion(models.Model):
    """One immutable version of a scheme, in the JSON format of DESIGN.md (canonical form).

    Editing a scheme adds a version; ratings name the version they were made under.
    """

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["scheme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="scheme_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="scheme_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.name} v{self.number}"

    @cached_property
    def parsed(self) -> SchemeDefinition:
        return _parse_cached(self.pk, self.definition)


_CACHE: dict[int, tuple[dict, SchemeDefinition]] = {}


def _parse_cached(pk: int | None, definition: dict) -> SchemeDefinition:
    """Versions never change, so a parsed definition is cached per version for the process.

    The stored definition is compared on every hit: a rolled-back transaction (tests, SQLite) can
    hand the same id to a different version, and a stale rating would be worse than a parse.
    """
    if pk is None:
        return parse_scheme(definition)
    cached = _CACHE.get(pk)
    if cached is None or cached[0] != definition:
        cached = _CACHE[pk] = (definition, parse_scheme(definition))
    return cached[1]
