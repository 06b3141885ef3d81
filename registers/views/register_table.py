"""The register page's table, each row's display values computed in one pass in Python, and
each row's markup written here.

The rows were drawn with five includes each (rating twice, trend, appetite, the bulk checkbox)
and a ``{% url %}``, a ``|date`` and a dozen attribute lookups through the template engine: 50
rows cost 17 ms of a 27 ms render at 10,000 risks (issue 20). Then every value a cell shows
became a plain string or flag in a dict drawn by one template loop; that loop's two dozen
``{% if %}`` and variables a row were still half the page's rendering (7 ms of 14 on a busy
machine). Now ``row_html`` writes each row's ``<tr>`` from the same dict with f-strings, every
text escaped as the template engine escapes it (``_e``), and ``registers/register_detail.html``
places the rows; the markup is the template's, character for character but for the blank
lines its skipped tags left.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeData, SafeString

from appetite.rules import AppetiteState

from ..models import RiskStatus
from ..models.risks import review_due
from ..refs import RiskRefConverter
from ..selectors.indicators import IndicatorStatus
from ..selectors.review_standing import is_overdue
from ..selectors.trends import Trend

SENSITIVE = "OFFICIAL-SENSITIVE"
INDICATOR_TAGS = {
    IndicatorStatus.RED: "govuk-tag--red",
    IndicatorStatus.AMBER: "govuk-tag--orange",
    IndicatorStatus.GREEN: "govuk-tag--green",
}
STATUS_LABELS = dict(RiskStatus.choices)


def _rating(rating) -> dict | None:
    """What a rating cell shows (as ``registers/partials/rating.html``; None: "Not rated")."""
    if rating is None:
        return None
    return {
        "colour": rating.colour,
        "label": rating.label,
        "title": f"Likelihood {rating.likelihood.label}, impact {rating.impact.label}",
    }


def _trend(cell, label: str = "") -> dict:
    """A trend as the register words it: the arrow, hidden from screen readers, and the word
    ("up", "New", "N/A"); ``label``: the quarter column's, for a narrow screen."""
    trend = cell.trend
    return {"arrow": trend.arrow, "word": trend.word, "label": label}


def _risk_urls(organisation):
    """``reverse("risk", ...)`` for the organisation's refs, resolved once: the ref is the last
    segment, made safe as ``reverse`` makes it (``RiskRefConverter``, then percent-quoting)."""
    head, marker, tail = reverse("risk", args=[organisation.slug, _MARKER]).rpartition(_MARKER)
    assert marker, "the risk URL carries its ref"  # noqa: S101
    converter = RiskRefConverter()

    def url(ref: str) -> str:
        return f"{head}{quote(converter.to_url(ref), safe=RFC3986_SUBDELIMS + '/~:@')}{tail}"

    return url


_MARKER = "REFxREF"


# Day, month, year patterns written without Django's formatter, which parses the pattern and
# looks the month up again for every date (its calls were half of ``register_lines``, issue 20):
# the pattern -> its month's code, formatted by Django once per month and page.
_DAY_MONTH_YEAR = {"j M Y": "M", "j F Y": "F"}


def _dates(pattern: str):
    """A ``|date:pattern`` for the page, each date formatted once."""
    seen: dict = {}
    month_code = _DAY_MONTH_YEAR.get(pattern)
    months: dict = {}

    def formatted(day) -> str:
        if day not in seen:
            if month_code is None:
                seen[day] = date_format(day, pattern)
            else:
                if day.month not in months:
                    months[day.month] = date_format(day, month_code)
                seen[day] = f"{day.day} {months[day.month]} {day.year:04d}"
        return seen[day]

    return formatted


def register_lines(
    table,
    *,
    organisation,
    register,
    today,
    rollup: bool,
    escalated_in: bool,
    show_quarters: bool,
    quarter_ends=(),
    show_indicators: bool,
    bulk_register_ids,
    owner_names=None,
) -> list[dict]:
    """One dict per (row, trends) of ``table``: the values of its cells, in the page's order.
    With ``show_quarters`` (a column per quarter of ``quarter_ends``) the owner and target are
    left out. ``owner_names`` (owner id -> the name shown), where the page has read them, saves
    joining each row's owner; an owner not in it is read from the risk."""
    owner_names = owner_names or {}
    layout = Layout(
        bulk=bool(bulk_register_ids),
        escalated_in=escalated_in,
        rollup=rollup,
        show_quarters=show_quarters,
        show_indicators=show_indicators,
    )
    short_date, long_date = _dates("j M Y"), _dates("j F Y")
    risk_url = _risk_urls(organisation)
    quarter_labels = [f"Quarter to {short_date(end)}" for end in quarter_ends]
    slug = organisation.slug
    register_urls: dict[str, str] = {}

    def register_url(other) -> str:
        if other.slug not in register_urls:
            register_urls[other.slug] = reverse("register", args=[slug, other.slug])
        return register_urls[other.slug]

    lines = []
    for n, (row, trends) in enumerate(table, 1):
        risk = row.risk
        arrow = trends.arrow
        line = {
            "row": row,
            "url": risk_url(risk.ref),
            "ref": risk.ref,
            "title": risk.title,
            "sensitive": risk.marking == SENSITIVE,
            "emerging": risk.emerging,
            "category": str(risk.category) if risk.category_id else "",
            "current": _rating(row.current),
            "awaiting_sign_off": risk.awaiting_sign_off,
            "appetite": row.appetite.value,
            "accepted_until": long_date(row.accepted_until)
            if row.appetite == AppetiteState.BREACH and row.accepted_until
            else "",
            "next_review": short_date(due) if (due := review_due(risk)) else "",
            # Not while an update awaits sign-off: the rating cell says so (decision 123).
            "overdue": is_overdue(risk, today),
            "status": STATUS_LABELS.get(risk.status, risk.status),
        }
        # The trend under the current rating: none at all for a risk neither rated nor moved;
        # nothing but the wrapper when there is nothing to compare (the rating says Not rated).
        line["show_trend"] = bool(row.current) or arrow.trend != Trend.LEVEL
        line["trend"] = None if arrow.trend == Trend.NOT_RATED else _trend(arrow)
        line["trend_from"] = (
            arrow.before.label
            if arrow.before and arrow.trend.arrow and arrow.trend != Trend.LEVEL
            else ""
        )
        if bulk_register_ids:
            line["select_id"] = f"bulk-risk-{n}" if risk.register_id in bulk_register_ids else ""
        origin = risk.origin_register
        if escalated_in:
            line["origin"] = origin and {"name": origin.name, "url": register_url(origin)}
        else:
            line["came_from"] = origin.name if origin else ""
        if rollup:
            line["register_name"] = risk.register.name
            line["register_url"] = (
                "" if risk.register_id == register.id else register_url(risk.register)
            )
        if show_quarters:
            line["quarters"] = [
                _trend(cell, label)
                for cell, label in zip(trends.quarters, quarter_labels, strict=False)
            ]
        else:
            owner = ""
            if risk.owner_id is not None:
                owner = owner_names.get(risk.owner_id)
                if owner is None:
                    owner = risk.owner.display_name
            line["owner"] = owner or "—"
            line["target"] = _rating(row.target)
        if show_indicators:
            summary = getattr(risk, "indicator_summary", None)
            line["indicators"] = summary and {
                "label": summary.worst.label,
                "tag": INDICATOR_TAGS.get(summary.worst, "govuk-tag--grey"),
                "stale": summary.stale,
                "count": f"{summary.count} indicator{'' if summary.count == 1 else 's'}",
            }
        line["html"] = row_html(line, layout)
        lines.append(line)
    return lines


# --- each row's markup ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Which optional columns the page shows (the same for every row)."""

    bulk: bool
    escalated_in: bool
    rollup: bool
    show_quarters: bool
    show_indicators: bool


def _e(value) -> str:
    """A value as ``{{ value }}`` writes it with autoescaping: markup already safe as it is,
    anything else as text (``django.utils.html.escape`` is ``html.escape`` marked safe)."""
    if isinstance(value, SafeData):
        return str(value)
    return escape(str(value))


_CELL = '<td class="govuk-table__cell"'
_NOT_RATED = '<span class="govuk-hint rr-not-rated">Not rated</span>'
_APPETITE = {
    AppetiteState.WARNING.value: '<strong class="rr-appetite rr-appetite--warning">At warning</strong>',
    AppetiteState.WITHIN.value: '<span class="rr-appetite rr-appetite--within">Within</span>',
}
_NO_THRESHOLD = '<span class="govuk-hint">No threshold</span>'


def _rating_html(rating: dict | None) -> str:
    if not rating:
        return _NOT_RATED
    return (
        f'<span class="rr-rating" style="--band-colour: {_e(rating["colour"])}"'
        f' title="{_e(rating["title"])}">{_e(rating["label"])}</span>'
    )


def row_html(line: dict, layout: Layout) -> SafeString:
    """One row of the register's table (``register_lines``' dict): the markup the template's
    loop drew, every text escaped."""
    ref, url = _e(line["ref"]), _e(line["url"])
    cells = []
    if layout.bulk:
        select_id = line.get("select_id")
        checkbox = ""
        if select_id:
            select_id = _e(select_id)
            checkbox = (
                "\n        "
                '<div class="govuk-checkboxes govuk-checkboxes--small"'
                ' data-module="govuk-checkboxes">\n'
                '          <div class="govuk-checkboxes__item">\n'
                f'            <input class="govuk-checkboxes__input" id="{select_id}"'
                f' name="risk" type="checkbox" value="{ref}">\n'
                f'            <label class="govuk-label govuk-checkboxes__label"'
                f' for="{select_id}"><span class="govuk-visually-hidden">Select {ref}</span>'
                "</label>\n"
                "          </div>\n"
                "        </div>\n      "
            )
        cells.append(
            f'<td class="govuk-table__cell rr-bulk-select" data-label="Select">{checkbox}</td>'
        )
    cells.append(f'{_CELL} data-label="Ref"><a class="govuk-link" href="{url}">{ref}</a></td>')
    main = f'<td class="govuk-table__cell rr-stack__main"><a class="govuk-link" href="{url}">'
    main += f"{_e(line['title'])}</a>"
    if line["sensitive"]:
        main += ' <strong class="govuk-tag govuk-tag--grey">Sensitive</strong>'
    if line["emerging"]:
        main += ' <strong class="govuk-tag govuk-tag--yellow">Emerging</strong>'
    if line["category"]:
        main += f'<br><span class="govuk-body-s">{_e(line["category"])}</span>'
    if not layout.escalated_in and line.get("came_from"):
        main += f'<br><span class="govuk-body-s">Came from {_e(line["came_from"])}</span>'
    cells.append(main + "</td>")
    if layout.escalated_in:
        origin = line.get("origin")
        cells.append(
            f'{_CELL} data-label="Escalated from">'
            + (
                f'<a class="govuk-link" href="{_e(origin["url"])}">{_e(origin["name"])}</a>'
                if origin
                else "—"
            )
            + "</td>"
        )
    if layout.rollup:
        name = _e(line["register_name"])
        if line["register_url"]:
            name = f'<a class="govuk-link" href="{_e(line["register_url"])}">{name}</a>'
        cells.append(f'{_CELL} data-label="Register">{name}</td>')
    if layout.show_quarters:
        quarters = "".join(
            f'\n      {_CELL} data-label="{_e(cell["label"])}"><span class="rr-nowrap">'
            + (f'<span aria-hidden="true">{_e(cell["arrow"])}</span> ' if cell["arrow"] else "")
            + f"{_e(cell['word'])}</span></td>\n      "
            for cell in line["quarters"]
        )
        cells.append(quarters)
    else:
        cells.append(f'{_CELL} data-label="Owner">{_e(line["owner"])}</td>')
    current = f'{_CELL} data-label="Current">{_rating_html(line["current"])}'
    if line["awaiting_sign_off"]:
        current += (
            ' <strong class="govuk-tag govuk-tag--orange rr-awaiting-sign-off">'
            "Update awaiting sign-off</strong>"
        )
    if line["show_trend"]:
        current += (
            '<span class="govuk-body-s govuk-!-display-block govuk-!-margin-top-1'
            ' govuk-!-margin-bottom-0">'
        )
        trend = line["trend"]
        if trend:
            current += '<span class="rr-nowrap">'
            if trend["arrow"]:
                current += f'<span aria-hidden="true">{_e(trend["arrow"])}</span> '
            current += (
                f'{_e(trend["word"])}<span class="govuk-visually-hidden">'
                " since the last quarter end</span></span>"
            )
            if line["trend_from"]:
                current += f' <span class="rr-nowrap">from {_e(line["trend_from"])}</span>'
        current += "</span>"
    cells.append(current + "</td>")
    if not layout.show_quarters:
        cells.append(f'{_CELL} data-label="Target">{_rating_html(line["target"])}</td>')
    appetite = line["appetite"]
    if appetite == AppetiteState.BREACH.value:
        shown = '<strong class="rr-appetite rr-appetite--breach">Breach</strong>'
        if line["accepted_until"]:
            shown += (
                '<span class="govuk-body-s govuk-!-display-block govuk-!-margin-top-1'
                ' govuk-!-margin-bottom-0 rr-accepted">'
                f"Accepted until {_e(line['accepted_until'])}</span>"
            )
    else:
        shown = _APPETITE.get(appetite, _NO_THRESHOLD)
    cells.append(f'{_CELL} data-label="Appetite">{shown}</td>')
    review = "—"
    if line["next_review"]:
        review = _e(line["next_review"])
        if line["overdue"]:
            review += ' <strong class="govuk-tag govuk-tag--red">Overdue</strong>'
    cells.append(f'{_CELL} data-label="Next review">{review}</td>')
    cells.append(f'{_CELL} data-label="Status">{_e(line["status"])}</td>')
    if layout.show_indicators:
        indicators = line.get("indicators")
        shown = "—"
        if indicators:
            shown = (
                f'<strong class="govuk-tag {_e(indicators["tag"])}">'
                f"{_e(indicators['label'])}</strong>"
            )
            if indicators["stale"]:
                shown += (
                    ' <strong class="govuk-tag govuk-tag--yellow">'
                    f"{_e(indicators['stale'])} stale</strong>"
                )
            shown += (
                '<span class="govuk-body-s govuk-!-display-block govuk-!-margin-0">'
                f"{_e(indicators['count'])}</span>"
            )
        cells.append(f'{_CELL} data-label="Indicators">{shown}</td>')
    return SafeString(
        '<tr class="govuk-table__row">\n      ' + "\n      ".join(cells) + "\n    </tr>"
    )
