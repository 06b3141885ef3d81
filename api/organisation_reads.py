"""Reads for the API's organisation resources: the caller's organisations (those the token
covers), an organisation's registers with their risk counts, its default scoring scheme and its
appetite. Every read starts from an ``OrganisationAccess`` (``api/access.py``) or the person's
memberships (``registers/permissions.py``); the queries do not grow with the data."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone

from appetite.selectors import appetite_levels, appetite_overview
from registers import calendar
from registers.permissions import (
    OrganisationAccess,
    log_refusal,
    memberships_for_request,
    register_for_user,
)
from registers.selectors import registers_with_counts
from scoring.models import Scheme
from scoring.selectors import default_scheme

from .access import token_covers

NO_DEFAULT_SCHEME = "The organisation has no default scoring scheme."


def accesses_of(request) -> list[OrganisationAccess]:
    """The caller's standing in each organisation they belong to that the token covers (every
    one for a signed-in session), by organisation name."""
    return [
        OrganisationAccess(membership.organisation, membership)
        for membership in memberships_for_request(request)
        if token_covers(request, membership.organisation)
    ]


def _default_schemes(organisations) -> dict[int, Scheme]:
    """Each organisation's default scheme with its current version: one query for all."""
    schemes = Scheme.objects.filter(
        organisation_id__in=[o.pk for o in organisations], is_default=True
    ).select_related("current_version")
    return {scheme.organisation_id: scheme for scheme in schemes}


def _scheme_summary(scheme: Scheme | None) -> dict | None:
    if scheme is None:
        return None
    version = scheme.current_version
    return {
        "name": scheme.name,
        "version": version.number if version else None,
        "notation": version.parsed.notation if version else None,
    }


def organisation_data(access: OrganisationAccess, scheme: Scheme | None) -> dict:
    organisation = access.organisation
    now = timezone.now()
    last_end = calendar.previous_quarter_end(organisation=organisation, moment=now)
    return {
        "slug": organisation.slug,
        "name": organisation.name,
        "short_name": organisation.short_name,
        "role": access.role,
        "cleared": access.is_cleared,
        "timezone": str(calendar.organisation_zone(organisation)),
        "today": calendar.organisation_today(organisation),
        "panel_name": organisation.panel_name,
        "scheme": _scheme_summary(scheme),
        "calendar": {
            "quarter_end_months": calendar.calendar_months(organisation.quarter_end_months),
            "committee_months": calendar.calendar_months(organisation.committee_months, ()),
            "last_quarter_end": calendar.local_date(organisation=organisation, moment=last_end),
            "quarter_label": calendar.quarter_label(organisation=organisation, end=last_end),
            "default_review_months": organisation.default_review_months,
            "reminder_notice_days": organisation.reminder_notice_days,
        },
    }


def organisations_data(accesses: list[OrganisationAccess]) -> list[dict]:
    schemes = _default_schemes([access.organisation for access in accesses])
    return [organisation_data(access, schemes.get(access.organisation.pk)) for access in accesses]


def _register_data(register) -> dict:
    return {
        "slug": register.slug,
        "name": register.name,
        "description": register.description,
        "level": register.level,
        "parent": register.parent.slug if register.parent_id else None,
        "review_months": register.review_months,
        "scheme": register.scheme.name if register.scheme_id else None,
        "archived": register.archived_at is not None,
        "open_risks": register.open_risks,
        "closed_risks": register.closed_risks,
    }


def _registers(access: OrganisationAccess):
    return registers_with_counts(organisation=access.organisation, archived=True).select_related(
        "scheme"
    )


def registers_data(access: OrganisationAccess) -> list[dict]:
    """Every register of the organisation (archived ones too, read only), by name within the
    tree, with its open (and escalated) and closed risks counted."""
    return [_register_data(register) for register in _registers(access)]


def register_data(access: OrganisationAccess, slug: str) -> dict:
    """One register, found through ``register_for_user`` (404, logged, for any other slug)."""
    register = register_for_user(user=access.user, organisation=access.organisation, slug=slug)
    return _register_data(_registers(access).get(pk=register.pk))


def scheme_data(access: OrganisationAccess) -> dict:
    """The default scheme's current version in the scheme file format, with its number."""
    scheme = default_scheme(organisation=access.organisation)
    if scheme is None or scheme.current_version is None:
        log_refusal(access.user, access.organisation.slug, "no default scheme")
        raise Http404(NO_DEFAULT_SCHEME)
    version = scheme.current_version
    return {**version.parsed.as_dict(), "version": version.number}


def appetite_data(access: OrganisationAccess) -> dict:
    """The appetite page's content: the levels, and per category (the default first) the
    statement that applies, with its tolerance and warning thresholds."""
    organisation = access.organisation
    levels = [
        {
            "name": level.name,
            "position": level.position,
            "description": level.description,
            "min_score": level.min_score,
            "max_score": level.max_score,
        }
        for level in appetite_levels(organisation=organisation)
    ]
    statements = []
    for line in appetite_overview(organisation=organisation):
        applies = line.applies
        statements.append(
            {
                "category": line.category.name if line.category is not None else None,
                "own_statement": line.statement is not None,
                "level": applies.level.name if applies and applies.level_id else None,
                "tolerance": applies.tolerance if applies else None,
                "warning": applies.warning if applies else None,
                "rationale": applies.rationale if applies else "",
            }
        )
    return {"levels": levels, "statements": statements}
