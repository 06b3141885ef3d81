from __future__ import annotations

from django.db.models import QuerySet

from .models import Scheme


def schemes_for_organisation(*, organisation) -> QuerySet[Scheme]:
    return Scheme.objects.filter(organisation=organisation).select_related("current_version")


def default_scheme(*, organisation) -> Scheme | None:
    return schemes_for_organisation(organisation=organisation).filter(is_default=True).first()


def scheme_by_name(*, organisation, name: str) -> Scheme | None:
    return schemes_for_organisation(organisation=organisation).filter(name__iexact=name).first()
