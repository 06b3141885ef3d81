"""The executive summary's generated draft: what a coordinator starts from before releasing a
pack (issue 16). A pure function of the pack's data (``PackData``), so the draft page, the build
and the tests all get the same words.

The coordinator edits it on the draft pack's page; a pack whose summary is left empty prints this
draft (docs/decisions.md), headed as generated.
"""

from __future__ import annotations

from appetite.rules import AppetiteState
from registers.selectors import Trend

from .data import PackData

MAX_LISTED = 8  # a summary names this many risks of each kind, then "and N more"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _names(items: list[str]) -> str:
    shown = items[:MAX_LISTED]
    text = "; ".join(shown)
    if len(items) > MAX_LISTED:
        text += f"; and {len(items) - MAX_LISTED} more"
    return text


def _rating_words(rating) -> str:
    """A rating without the brackets of its label ("20 (Red)"), as it goes inside the breach's:
    "Red at 20", or "Critical" where the band is the display."""
    if rating.band.name in rating.display:
        return rating.display
    return f"{rating.band.name} at {rating.display}"


def _breach_words(risk) -> str:
    """How long a risk has been outside appetite, when the pack's data says (the breach
    duration of issue 16: ``PackRisk.breach_run``, set by ``packs/changes.py``); else its
    rating and tolerance; and until when it is accepted, where it is."""
    run = getattr(risk, "breach_run", None)
    duration = getattr(run, "breach_text", "") if run is not None else ""
    words = f"{risk.ref} {risk.record.title}"
    detail = duration
    if not detail and risk.current is not None and risk.tolerance is not None:
        detail = f"{_rating_words(risk.current)} against a tolerance of {risk.tolerance}"
    # A breach accepted until a date (issue 17) says so: explained, still listed.
    detail = "; ".join(part for part in (detail, getattr(risk, "accepted_short", "")) if part)
    return f"{words} ({detail})" if detail else words


def summary_draft(data: PackData) -> str:
    """Headline counts by band, the risks that moved, the breaches (and for how long where the
    data holds it) and the emerging risks, as short paragraphs of plain text."""
    risks = data.risks
    if not risks:
        return f"No open risks on {data.register_names} as at {data.as_of:%-d %B %Y}."
    paragraphs = []
    bands = ", ".join(f"{count} {name}" for name, _colour, count in data.band_summary)
    headline = f"{_plural(len(risks), 'open risk')} as at {data.as_of:%-d %B %Y}"
    unrated = sum(1 for risk in risks if risk.current is None)
    if bands:
        headline += f": {bands}"
        if unrated:
            headline += f", {unrated} not rated"
    paragraphs.append(headline + ".")

    if data.uses_appetite:
        breaches = [risk for risk in risks if risk.appetite == AppetiteState.BREACH]
        warnings = [risk for risk in risks if risk.appetite == AppetiteState.WARNING]
        if breaches:
            paragraphs.append(
                f"{_plural(len(breaches), 'risk')} outside appetite: "
                f"{_names([_breach_words(risk) for risk in breaches])}."
                + (f" {_plural(len(warnings), 'risk')} at warning." if warnings else "")
            )
        else:
            paragraphs.append(
                "No risk is outside appetite"
                + (f"; {_plural(len(warnings), 'risk')} at warning." if warnings else ".")
            )

    in_pack = {risk.record.id for risk in risks}
    moved = []
    for change in getattr(data.movement, "rating_changes", []) or []:
        if change.risk.id not in in_pack or change.direction not in (Trend.UP, Trend.DOWN):
            continue
        old = change.old.label if change.old else "not rated"
        new = change.new.label if change.new else "not rated"
        way = "up" if change.direction == Trend.UP else "down"
        moved.append(f"{change.risk.ref} {change.risk.title} {way} from {old} to {new}")
    since = f" since {data.since_label}" if data.since_label else ""
    if moved:
        paragraphs.append(f"Moved{since}: {_names(moved)}.")
    else:
        paragraphs.append(f"No risk's rating moved{since}.")
    added = [
        f"{event.risk.ref} {event.risk.title}"
        for event in getattr(data.movement, "added", []) or []
        if event.risk.id in in_pack
    ]
    if added:
        paragraphs.append(f"New{since}: {_names(added)}.")

    emerging = [f"{risk.ref} {risk.record.title}" for risk in risks if _emerging(risk)]
    if emerging:
        paragraphs.append(f"Emerging risks: {_names(emerging)}.")
    return "\n\n".join(paragraphs)


def _emerging(risk) -> bool:
    return bool(getattr(risk.record, "emerging", False))
