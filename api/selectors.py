"""Reads of API tokens for the pages: a person's own, and those reaching an organisation.

A token is found only among the person's own tokens, or (for an organisation admin) among the
live tokens that reach their organisation: anything else is a 404, logged like every refusal of
``registers.permissions``."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from registers.models import Organisation
from registers.permissions import OrganisationAccess, log_refusal

from .models import ApiToken


def api_tokens_of_person(*, user) -> QuerySet[ApiToken]:
    """Every token of ``user``, live ones first, newest first; organisations prefetched by name."""
    return (
        ApiToken.objects.filter(user_id=user.pk)
        .prefetch_related(
            Prefetch("organisations", queryset=Organisation.objects.order_by("name", "pk"))
        )
        .order_by("revoked_at", "-created_at", "-pk")
    )


def api_token_for_owner(*, user, pk: int) -> ApiToken:
    """One of the person's own tokens; 404 for anyone else's (logged)."""
    token = api_tokens_of_person(user=user).filter(pk=pk).first()
    if token is None:
        log_refusal(user, "-", f"no API token {pk} of theirs")
        raise Http404("No such token")
    return token


def api_tokens_of_organisation(*, organisation: Organisation) -> QuerySet[ApiToken]:
    """The live tokens (neither revoked nor expired) that reach ``organisation``, by person."""
    return (
        ApiToken.objects.filter(
            organisations=organisation,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("user")
        .order_by("user__full_name", "user__email", "name", "pk")
    )


def api_token_for_admin(*, access: OrganisationAccess, pk: int) -> ApiToken:
    """A live token reaching the admin's organisation; 404 for any other (logged). The caller
    has checked that ``access`` is an admin's."""
    token = api_tokens_of_organisation(organisation=access.organisation).filter(pk=pk).first()
    if token is None:
        log_refusal(access.user, access.organisation.slug, f"no live API token {pk} reaching it")
        raise Http404("No such token")
    return token
