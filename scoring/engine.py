"""The scoring engine: the only code that turns (likelihood, impact) into a rating.

Pure functions over a validated ``SchemeDefinition``; the web UI, the importer, the packs and the
commands all rate through here, so a rating means the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from .definition import Band, Level, SchemeDefinition


class RatingError(ValueError):
    """A likelihood or impact that the scheme does not have."""


@dataclass(frozen=True)
class Rating:
    likelihood: Level
    impact: Level
    score: int
    band: Band
    display: str

    @property
    def colour(self) -> str:
        return self.band.colour

    @property
    def label(self) -> str:
        """The display with the band named, so a rating is never told by colour alone:
        "12 (Medium)", "M v H (Medium)", "Critical"."""
        if self.band.name in self.display:
            return self.display
        return f"{self.display} ({self.band.name})"


@dataclass(frozen=True)
class GridCell:
    likelihood: Level
    impact: Level
    rating: Rating


MAX_LEVEL_DIGITS = 9  # as scheme files (scoring.definition.MAX_NUMBER_DIGITS)
SHOWN_TOKEN = 40  # of what was typed, in the message saying it is not a level


def level_for(scheme: SchemeDefinition, axis: str, token: object) -> Level:
    """Find a level by its value (4 or "4"), code ("H") or label ("High"), case-insensitively.

    Raises RatingError naming the axis, the token and the levels the scheme has.
    """
    levels = _levels(scheme, axis)
    if isinstance(token, bool) or token is None:
        raise RatingError(f"{axis} is required")
    if isinstance(token, float) and token.is_integer():
        token = int(token)
    if isinstance(token, int):
        for level in levels:
            if level.value == token:
                return level
    else:
        text = str(token).strip()
        # Decimal digits only ("²" is a digit int() refuses), and few of them: a level is a
        # small number, and int() refuses over 4,300 digits with a ValueError.
        if text.isdecimal() and len(text) <= MAX_LEVEL_DIGITS:
            return level_for(scheme, axis, int(text))
        folded = text.casefold()
        for level in levels:
            if level.code.casefold() == folded:
                return level
        for level in levels:
            if level.label.casefold() == folded:
                return level
    choices = ", ".join(f"{level.value} {level.label} ({level.code})" for level in levels)
    shown = repr(token) if len(repr(token)) <= SHOWN_TOKEN else f"{repr(token)[:SHOWN_TOKEN]}..."
    raise RatingError(f"{axis} {shown} is not on the scheme {scheme.name!r}; use one of: {choices}")


def _levels(scheme: SchemeDefinition, axis: str) -> tuple[Level, ...]:
    if axis == "likelihood":
        return scheme.likelihood
    if axis == "impact":
        return scheme.impact
    raise ValueError(f"unknown axis {axis!r}")


def _band_for_score(scheme: SchemeDefinition, score: int) -> Band:
    for band in scheme.bands:
        if band.min <= score <= band.max:
            return band
    # parse_scheme guarantees coverage of every reachable product.
    raise AssertionError(f"no band for score {score} in validated scheme {scheme.name!r}")


def rate(scheme: SchemeDefinition, likelihood: object, impact: object) -> Rating:
    """Rate a position; likelihood and impact may be values, codes or labels."""
    l_level = level_for(scheme, "likelihood", likelihood)
    i_level = level_for(scheme, "impact", impact)
    if scheme.method == "product":
        score = l_level.value * i_level.value
        band = _band_for_score(scheme, score)
    else:
        name = scheme.matrix[l_level.value - 1][i_level.value - 1]
        band = next(band for band in scheme.bands if band.name == name)
        score = band.position
    if scheme.notation == "letters":
        display = f"{l_level.code} v {i_level.code}"
    elif scheme.notation == "band":
        display = band.name
    else:
        display = f"{score} ({band.name})"
    return Rating(likelihood=l_level, impact=i_level, score=score, band=band, display=display)


def grid(scheme: SchemeDefinition) -> list[list[GridCell]]:
    """Every cell of the scheme, rows from the highest likelihood down (as heat maps are drawn),
    columns from the lowest impact up."""
    return [
        [
            GridCell(
                likelihood=l_level,
                impact=i_level,
                rating=rate(scheme, l_level.value, i_level.value),
            )
            for i_level in scheme.impact
        ]
        for l_level in reversed(scheme.likelihood)
    ]


def max_score(scheme: SchemeDefinition) -> int:
    if scheme.method == "product":
        return scheme.likelihood[-1].value * scheme.impact[-1].value
    return len(scheme.bands)


def review_months_for(scheme: SchemeDefinition, score: int | None) -> int | None:
    """The review period a band asks for, or None where the scheme leaves it to the register."""
    if score is None:
        return None
    if scheme.method == "product":
        return _band_for_score(scheme, score).review_months
    return scheme.bands[score - 1].review_months
