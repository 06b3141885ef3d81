"""The API's reach: registers/permissions.py's access functions, narrowed by the token.

A token reaches only the organisations chosen for it (anything else is a 404, as for a
non-member), and a read-only token writes nothing (403). A session (the docs page) is limited by
the person's memberships alone.
"""

from __future__ import annotations

import logging

from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from registers.models import Risk
from registers.permissions import (
    OrganisationAccess,
    log_refusal,
    organisation_for_user,
    risks_for_user,
)

from .models import ApiToken

security_log = logging.getLogger("riskreg.security")
READ_ONLY_MESSAGE = "This token is read-only."


def _token(request) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


def token_covers(request, organisation) -> bool:
    token = _token(request)
    if token is None:
        return True
    return any(o.pk == organisation.pk for o in _token_organisations(token))


def _token_organisations(token: ApiToken):
    cached = getattr(token, "_organisations", None)
    if cached is None:
        cached = token._organisations = list(token.organisations.all())
    return cached


def api_organisation(request, slug: str) -> OrganisationAccess:
    """The member's access to ``slug``; 404 when not a member or the token does not cover it."""
    access = organisation_for_user(user=request.user, slug=slug)
    if not token_covers(request, access.organisation):
        log_refusal(request.user, slug, f"API token {request.auth.pk} does not cover it")
        raise Http404("No such organisation")
    return access


# The one answer for a risk id outside the caller's reach, whether no risk has it or another
# organisation's does: a different answer told a caller which ids other organisations hold
# (decision 122). The log line still says which.
NO_SUCH_RISK = "No such risk"


def api_risk(request, pk) -> tuple[OrganisationAccess, Risk]:
    """A risk by id, through the access functions; 404 outside the person's and token's reach,
    the same 404 (``NO_SUCH_RISK``) whether the risk is another organisation's or none."""
    slug = Risk.objects.filter(pk=pk).values_list("organisation__slug", flat=True).first()
    if slug is None:
        log_refusal(request.user, "-", f"no risk {pk!r}")
        raise Http404(NO_SUCH_RISK)
    try:
        access = api_organisation(request, slug)
    except Http404:
        raise Http404(NO_SUCH_RISK) from None  # refusal logged by the organisation's lookup
    return access, access_risk(access, pk)


def access_risk(access: OrganisationAccess, pk) -> Risk:
    risk = (
        risks_for_user(user=access.user, organisation=access.organisation)
        .select_related("register", "category", "owner", "scheme_version")
        .filter(pk=pk)
        .first()
    )
    if risk is None:
        raise Http404(NO_SUCH_RISK)
    return risk


def require_write(request) -> None:
    token = _token(request)
    if token is not None and token.read_only:
        security_log.warning(
            "api refused: read-only token=%s user=%s tried %s %s",
            token.pk,
            request.user.pk,
            request.method,
            request.path,
        )
        raise PermissionDenied(READ_ONLY_MESSAGE)
