"""What the risk list and detail read besides the risks: ``?as_of=`` (the register as it stood,
from history, as ``export_register --as-of`` and the register page read it), the appetite
thresholds in force then, and each risk's trend (the register page's ``register_trends``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError

from appetite.models import AppetiteStatement
from appetite.selectors import AppetiteLookup, appetite_lookup
from registers.calendar import quarter_ends
from registers.models import Risk
from registers.selectors import risks_as_of
from registers.selectors.trends import risk_snapshots, trend_between
from reporting.spreadsheets.exporting import parse_as_of

# Joined with every risk a list or detail shows (historical records join the same names). Not
# the organisation: the serializer takes it from the access it is given (decision 81).
RISK_JOINS = ("register", "category", "owner", "scheme_version")
# The columns a listed risk is read with (``risks_listed``, now): what the row shows, the
# withholding (marking, owner, manager), the trend (register, status, current position) and
# the cursor's keys. A model instance costs CPU by its number of fields, and the list makes 100
# risks and their joined rows a page (decision 81). Anything else read from a listed risk would
# be a query a row: tests/api/test_risk_rows.py compares the rows and counts the queries.
LISTED_FIELDS = (
    "organisation",
    "register__slug",
    "ref",
    "title",
    "status",
    "category__name",
    "owner__full_name",
    "owner__email",
    "manager",
    *(
        f"{p}_{part}"
        for p in ("inherent", "current", "target")
        for part in ("likelihood", "impact", "score")
    ),
    "current_band",
    "response",
    "marking",
    "next_review_due",
    "last_reviewed",
    "version",
    "updated_at",
    "description",
    "consequence",
    "scheme_version__definition",
)
NOT_THEN = "This risk was not on the register at {moment}."


def as_of_moment(request, organisation) -> dt.datetime | None:
    """``?as_of=`` as an aware moment (a date is the end of that day where the organisation
    is), as ``export_register --as-of`` reads it; None without it; a 400 for bad input."""
    text = request.query_params.get("as_of", "").strip()
    if not text:
        return None
    try:
        moment = parse_as_of(text, organisation=organisation)
    except ValueError as error:
        raise ValidationError({"as_of": [str(error)]}) from None
    return min(moment, timezone.now())


def risks_listed(*, organisation, as_of: dt.datetime | None):
    """The organisation's risks now, or as they stood at ``as_of`` (historical records, read
    only: risks created later are absent, deleted ones as they last stood before)."""
    if as_of is None:
        return (
            Risk.objects.filter(organisation=organisation)
            .select_related(*RISK_JOINS)
            .only(*LISTED_FIELDS)
        )
    return risks_as_of(organisation=organisation, moment=as_of).select_related(*RISK_JOINS)


def risk_as_of(*, risk: Risk, as_of: dt.datetime):
    """The historical record of ``risk`` (already reached through the access functions) as it
    stood at ``as_of``; a 404 when it did not exist then."""
    record = (
        Risk.history.filter(id=risk.id, history_date__lte=as_of)
        .select_related(*RISK_JOINS)
        .order_by("-history_date", "-history_id")
        .first()
    )
    if record is None or record.history_type == "-":
        raise NotFound(NOT_THEN.format(moment=as_of.isoformat()))
    return record


def appetite_then(*, organisation, as_of: dt.datetime | None) -> AppetiteLookup:
    """The organisation's appetite thresholds now, or those in force at ``as_of``."""
    if as_of is None:
        return appetite_lookup(organisation=organisation)
    return AppetiteLookup(
        AppetiteStatement.history.filter(organisation_id=organisation.id, history_date__lte=as_of)
        .latest_of_each()
        .exclude(history_type="-")
    )


def trends_of(risks, *, organisation, as_of: dt.datetime | None) -> dict[int, str]:
    """Each risk's trend since the last quarter end before ``as_of`` (or now), from history as
    the register page shows it: up, down, level, new, closed, not rated. One query.

    The register page's arrow (``register_trends``) without what the API does not show: the
    rating at the quarter end, rated again for every row (decision 81)."""
    risks = list(risks)
    if not risks:
        return {}
    since = quarter_ends(organisation=organisation, moment=as_of or timezone.now())[0]
    before = risk_snapshots(moment=since, risk_ids=[risk.id for risk in risks])
    return {risk.id: trend_between(before.get(risk.id), risk).value for risk in risks}
