"""Shared pieces of the management commands: clear errors, never a traceback for bad input."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


def validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        parts = []
        for field, errors in exc.message_dict.items():
            for message in errors:
                parts.append(message if field == "__all__" else f"{field}: {message}")
        return "; ".join(parts)
    return "; ".join(exc.messages)


def organisation_or_error(slug: str):
    from registers.models import Organisation

    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        known = ", ".join(Organisation.objects.order_by("slug").values_list("slug", flat=True))
        raise CommandError(
            f"unknown organisation {slug!r}" + (f"; organisations: {known}" if known else "")
        )
    return organisation
