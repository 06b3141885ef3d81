"""What the endpoints of a risk's children share (``/api/v1/risks/<pk>/controls/`` ...).

Every one reaches the risk through ``api_risk`` first (another organisation's risk, or one the
token does not cover, is a 404 whatever the method), then a write checks the token's read-only
flag (403), then the same ``OrganisationAccess`` check the risk page makes (403), then whether
the person may read the risk's OFFICIAL-SENSITIVE detail (403: nobody writes what they may not
read). Input is validated by the page's own forms, so the API answers with the page's words, as
field errors (400), and nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from registers.forms import members
from registers.withholding import WITHHELD

from .access import require_write
from .views import PreconditionFailed

IF_MATCH_MISSING = "Send If-Match with the {noun}'s ETag (its version) from your last GET."
IF_MATCH_STALE = (
    "The {noun} has changed since version {given}: it is now version {now}. GET it again."
)
UNKNOWN_FIELD = "Not a field of {article} {noun}: the fields are {fields}."
NOTHING_TO_CHANGE = "Give at least one field to change."
NOT_A_TEXT = "Give a text, a number or null."
OWNER_UNKNOWN = "No member of {organisation} who may own {nouns} has the e-mail address {email}."
WITHHELD_WRITE = (
    "This risk is OFFICIAL-SENSITIVE and you are not cleared for its detail: "
    "nothing of it can be changed through the API by you."
)


def reason(request) -> str:
    """The history record's reason for a write: which token made it."""
    token = request.auth
    if hasattr(token, "token_hash"):
        return f"via the API by {token.name}"
    return "via the API"


def etag(version: int) -> str:
    return f'"{version}"'


def may_write(request, access, risk, *, allowed: bool, refusal: str) -> None:
    """After reach (the risk and the child, 404): the token's flag (403), the role (403:
    ``allowed`` is the ``OrganisationAccess`` check the page makes), the risk's marking (403)."""
    require_write(request)
    withheld = not access.can_see_sensitive(risk)
    if not allowed:
        # ``allowed`` already says no to whoever may not read the risk (an action's owner not
        # cleared for it): told why, rather than a refusal that blames their role.
        raise PermissionDenied(WITHHELD_WRITE if withheld else refusal)
    if withheld:
        raise PermissionDenied(WITHHELD_WRITE)


def owner_by_email(organisation, email: str, *, nouns: str, keep=()) -> str:
    """The id (as a form posts it) of the member named by ``email`` among those the page's
    owner list offers (members who may own risks, and whoever is named already); "" for none."""
    email = (email or "").strip()
    if not email:
        return ""
    pk = (
        members(organisation, keep).filter(email__iexact=email).values_list("pk", flat=True).first()
    )
    if pk is None:
        raise ValidationError(
            {
                "owner": [
                    OWNER_UNKNOWN.format(
                        organisation=organisation.display_name, nouns=nouns, email=email
                    )
                ]
            }
        )
    return str(pk)


def if_match(request, *, version: int, noun: str) -> int:
    """The version the caller read (If-Match); 412 when missing or not ``version``."""
    given = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if not given:
        raise PreconditionFailed({"If-Match": [IF_MATCH_MISSING.format(noun=noun)]})
    if given != str(version):
        raise PreconditionFailed(
            {"If-Match": [IF_MATCH_STALE.format(noun=noun, given=given, now=version)]}
        )
    return version


def stale(noun: str, given, now) -> PreconditionFailed:
    """A write that lost a race after If-Match was checked: someone saved in between."""
    return PreconditionFailed(
        {"If-Match": [IF_MATCH_STALE.format(noun=noun, given=given, now=now)]}
    )


def posted_fields(request, *, allowed: Iterable[str], noun: str) -> dict:
    """The body as a form would receive it (each value a string, null as blank); an unknown
    field is a 400, so a script's typo is not silently ignored."""
    data = request.data
    if not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    allowed = list(allowed)
    errors = {}
    fields = {}
    for name, value in data.items():
        if name not in allowed:
            article = "an" if noun[:1] in "aeiou" else "a"
            errors[name] = [
                UNKNOWN_FIELD.format(article=article, noun=noun, fields=", ".join(allowed))
            ]
        elif isinstance(value, list | dict):
            errors[name] = [NOT_A_TEXT]
        else:
            fields[name] = "" if value is None else str(value)
    if errors:
        raise ValidationError(errors)
    return fields


def form_errors(form: forms.Form) -> ValidationError:
    """A bound form's errors as the API's field errors (400)."""
    return ValidationError(
        {
            "non_field_errors" if name == "__all__" else name: list(messages)
            for name, messages in form.errors.items()
        }
    )


def service_errors(form: forms.Form, error: DjangoValidationError) -> ValidationError:
    """A service's refusal, beside the fields it names, as the page shows it."""
    form.add_service_errors(error)
    return form_errors(form)


def withheld_list() -> Response:
    """A list the risk page does not show to someone not cleared for the risk's detail."""
    return Response(
        {"withheld": True, "detail": WITHHELD, "next": None, "previous": None, "results": []},
        status=status.HTTP_200_OK,
    )


class ChildCursorPagination(CursorPagination):
    """A risk's controls, actions and indicators, in the page's order."""

    page_size = 100
    max_page_size = 500
    page_size_query_param = "page_size"
    ordering = ("position", "id")


class NewestFirstPagination(ChildCursorPagination):
    ordering = ("-created_at", "-id")
