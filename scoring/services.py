"""Writes to scoring schemes. A scheme's content never changes in place: saving a different
definition adds a version, and the same definition again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from .definition import SchemeDefinition
from .models import Scheme, SchemeVersion


@dataclass(frozen=True)
class SchemeSaved:
    scheme: Scheme
    version: SchemeVersion
    created_scheme: bool
    created_version: bool


@transaction.atomic
def scheme_save(
    *,
    organisation,
    definition: SchemeDefinition,
    name: str | None = None,
    make_default: bool = False,
    user=None,
    reason: str = "",
) -> SchemeSaved:
    """Create a scheme, or add a version to the organisation's scheme of that name.

    The first scheme of an organisation becomes its default; ``make_default`` moves the default.
    ``reason`` (the admin's words) follows "version N" in the scheme's history.
    """
    name = (name or definition.name).strip()
    canonical = definition.as_dict()
    canonical["name"] = name
    # OF self: the default ordering joins the organisation, whose row FOR UPDATE would lock too.
    scheme = (
        Scheme.objects.select_for_update(of=("self",))
        .filter(organisation=organisation, name=name)
        .first()
    )
    created_scheme = scheme is None
    if scheme is None:
        has_default = Scheme.objects.filter(organisation=organisation, is_default=True).exists()
        scheme = Scheme(organisation=organisation, name=name, is_default=not has_default)
        # Both constraints were just proven, so not asked of the database again (a query and
        # a savepoint each, decision 97): no scheme of the organisation has this name (the
        # read above), and it is the default only when the organisation has none.
        scheme.full_clean(exclude=["current_version"], validate_constraints=False)
        scheme.save()
    version = scheme.current_version
    created_version = version is None or version.definition != canonical
    if created_version:
        number = (version.number + 1) if version else 1
        version = SchemeVersion.objects.create(
            scheme=scheme, number=number, definition=canonical, created_by=user
        )
        scheme.current_version = version
        scheme._change_reason = f"version {number}: {reason}" if reason else f"version {number}"
        scheme.save(update_fields=["current_version"])
    if make_default and not scheme.is_default:
        Scheme.objects.filter(organisation=organisation, is_default=True).update(is_default=False)
        scheme.is_default = True
        scheme._change_reason = "made default"
        scheme.save(update_fields=["is_default"])
    return SchemeSaved(scheme, version, created_scheme, created_version)
