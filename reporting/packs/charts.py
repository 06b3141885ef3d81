"""The pack's charts (issue 18): each risk with a full page (its Risk Action Plan) gets its
current and target scores and tolerance over eight quarters, and the committee pack the
organisation's open risks by band and risks in breach at its last eight quarter ends. The same
charts and words as the risk page and the dashboard (``registers.charting``), as at the pack's
moment: two queries for the whole pack, whatever the number of pages."""

from __future__ import annotations

from registers.charting import NO_THRESHOLDS, exposure_charts, risk_chart
from registers.selectors.exposure import exposure_by_quarter
from registers.selectors.risk_series import risk_series_many
from scoring.selectors import default_scheme

COMMITTEE = "committee"
# Low on a Risk Action Plan page (about 35 mm at the text width): plans follow one another and
# keep whole, so every millimetre of chart is pages more in a 200-risk pack.
RISK_CHART_HEIGHT = 130


def add_charts(data) -> None:
    """Sets ``chart`` on each risk of ``data.details`` and, for the committee pack,
    ``data.exposure_charts`` (and ``data.exposure_note`` when no tolerance applied)."""
    label = f"{data.as_of:%-d %b %Y}"
    series = risk_series_many(
        organisation=data.organisation,
        risk_ids=[risk.record.id for risk in data.details],
        moment=data.moment,
        moment_label=label,
    )
    for risk in data.details:
        record = risk.record
        scheme = record.scheme_version.parsed if record.scheme_version_id else None
        risk.chart = risk_chart(
            series[record.id], ref=record.ref, scheme=scheme, height=RISK_CHART_HEIGHT
        )
    if data.kind == COMMITTEE:
        exposure = exposure_by_quarter(organisation=data.organisation, moment=data.moment)
        scheme = default_scheme(organisation=data.organisation)  # the dashboard's bands
        version = scheme.current_version if scheme else None
        data.exposure_charts = exposure_charts(
            exposure, scheme=version.parsed if version else None, key="pack-exposure"
        )
        data.exposure_note = "" if exposure.any_threshold else NO_THRESHOLDS
