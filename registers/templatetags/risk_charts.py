"""Charts on pages: ``{% risk_chart risk organisation as chart %}`` (the risk page, one query)
and ``{% exposure_charts organisation scheme as charts %}`` (the dashboard, one grouped query).
A tag, so the shared pages gain one include line each and their views stay as they are."""

from django import template
from django.utils import timezone

from ..charting import NO_THRESHOLDS
from ..charting import exposure_charts as build_exposure_charts
from ..charting import indicator_chart as build_indicator_chart
from ..charting import risk_chart as build_risk_chart
from ..selectors.exposure import exposure_by_quarter
from ..selectors.risk_series import Reading, risk_series_many

register = template.Library()


@register.simple_tag
def risk_chart(risk, organisation, records=None):
    """``records``: the risk's history as the risk page read it once (``risk_records``)."""
    series = risk_series_many(
        organisation=organisation,
        risk_ids=[risk.id],
        moment=timezone.now(),
        records=records or None,  # a missing template variable is ""
    )[risk.id]
    version = risk.scheme_version
    return build_risk_chart(series, ref=risk.ref, scheme=version.parsed if version else None)


@register.simple_tag
def exposure_charts(organisation, scheme):
    version = scheme.current_version if scheme else None
    exposure = exposure_by_quarter(organisation=organisation, moment=timezone.now())
    charts = build_exposure_charts(exposure, scheme=version.parsed if version else None)
    return {"charts": charts, "note": "" if exposure.any_threshold else NO_THRESHOLDS}


@register.simple_tag
def indicator_chart(indicator):
    """From the readings the risk page already holds (``indicator.recent``, newest first): no
    query."""
    readings = [
        Reading(reading.taken_on, float(reading.value)) for reading in reversed(indicator.recent)
    ]
    return build_indicator_chart(
        name=indicator.name,
        unit=indicator.unit,
        amber_from=float(indicator.amber_from),
        red_from=float(indicator.red_from),
        readings=readings,
        key=f"indicator-{indicator.pk}",
    )
