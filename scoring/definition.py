"""Scoring schemes as data: parse and validate the JSON format of DESIGN.md.

A file that breaks any rule is rejected whole: ``parse_scheme`` collects every broken rule and raises
one ``SchemeError`` naming them all, so an admin fixes the file in one pass. Pure Python; no Django.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

METHODS = ("product", "matrix")
NOTATIONS = ("score", "letters", "band")
MIN_LEVELS, MAX_LEVELS = 2, 10
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_TOP_KEYS = {"name", "likelihood", "impact", "method", "matrix", "bands", "notation"}


class SchemeError(ValueError):
    """A scheme file broke one or more rules; ``problems`` lists each, in the file's own terms."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Level:
    value: int
    label: str
    code: str
    description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "label": self.label,
            "code": self.code,
            "description": self.description,
        }


@dataclass(frozen=True)
class Band:
    name: str
    position: int  # 1 = lowest band
    colour: str
    min: int | None = None
    max: int | None = None
    review_months: int | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "colour": self.colour}
        if self.min is not None:
            data["min"], data["max"] = self.min, self.max
        data["review_months"] = self.review_months
        return data


@dataclass(frozen=True)
class SchemeDefinition:
    name: str
    likelihood: tuple[Level, ...]
    impact: tuple[Level, ...]
    method: str
    bands: tuple[Band, ...]
    notation: str
    matrix: tuple[tuple[str, ...], ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The canonical JSON form: what is stored, exported and compared for changes."""
        return {
            "name": self.name,
            "likelihood": [level.as_dict() for level in self.likelihood],
            "impact": [level.as_dict() for level in self.impact],
            "method": self.method,
            "matrix": [list(row) for row in self.matrix] if self.matrix else None,
            "bands": [band.as_dict() for band in self.bands],
            "notation": self.notation,
        }


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_levels(data: Any, axis: str, problems: list[str]) -> tuple[Level, ...]:
    if not isinstance(data, list):
        problems.append(f"{axis}: must be a list of levels")
        return ()
    if not MIN_LEVELS <= len(data) <= MAX_LEVELS:
        problems.append(f"{axis}: must have {MIN_LEVELS} to {MAX_LEVELS} levels, not {len(data)}")
    levels: list[Level] = []
    for index, item in enumerate(data, start=1):
        where = f"{axis} level {index}"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object with value, label and code")
            continue
        value, label, code = item.get("value"), item.get("label"), item.get("code")
        description = item.get("description", "")
        ok = True
        if not _is_int(value):
            problems.append(f"{where}: value must be a whole number, not {value!r}")
            ok = False
        if not isinstance(label, str) or not label.strip():
            problems.append(f"{where}: label is required")
            ok = False
        if not isinstance(code, str) or not code.strip():
            problems.append(f"{where}: code is required")
            ok = False
        if description is None:
            description = ""
        if not isinstance(description, str):
            problems.append(f"{where}: description must be text")
            ok = False
        if ok:
            levels.append(Level(value, label.strip(), code.strip(), description.strip()))
    values = [level.value for level in levels]
    if len(levels) == len(data) and values != list(range(1, len(data) + 1)):
        problems.append(
            f"{axis}: level values must be 1..{len(data)} in ascending order, not {values}"
        )
    for attr in ("code", "label"):
        seen: set[str] = set()
        for level in levels:
            key = getattr(level, attr).casefold()
            if key in seen:
                problems.append(f"{axis}: duplicate {attr} {getattr(level, attr)!r}")
            seen.add(key)
    return tuple(levels)


def _parse_bands(data: Any, method: str, problems: list[str]) -> tuple[Band, ...]:
    if not isinstance(data, list) or not data:
        problems.append("bands: must be a non-empty list")
        return ()
    bands: list[Band] = []
    names: set[str] = set()
    for position, item in enumerate(data, start=1):
        where = f"band {position}"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object with name and colour")
            continue
        name, colour = item.get("name"), item.get("colour")
        review = item.get("review_months")
        low, high = item.get("min"), item.get("max")
        ok = True
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: name is required")
            ok = False
        elif name.strip().casefold() in names:
            problems.append(f"bands: duplicate band name {name.strip()!r}")
        else:
            names.add(name.strip().casefold())
            where = f"band {name.strip()!r}"
        if not isinstance(colour, str) or not _COLOUR.match(colour):
            problems.append(f"{where}: colour must be a hex colour like #d4351c, not {colour!r}")
            ok = False
        if review is not None and (not _is_int(review) or not 1 <= review <= 60):
            problems.append(f"{where}: review_months must be a whole number from 1 to 60")
            ok = False
        if method == "product":
            if not _is_int(low) or not _is_int(high):
                problems.append(f"{where}: min and max must be whole numbers for method product")
                ok = False
            elif low > high:
                problems.append(f"{where}: min {low} is greater than max {high}")
                ok = False
        if ok:
            bands.append(
                Band(
                    name=name.strip(),
                    position=position,
                    colour=colour.lower(),
                    min=low if method == "product" else None,
                    max=high if method == "product" else None,
                    review_months=review,
                )
            )
    return tuple(bands)


def _check_product_bands(
    bands: tuple[Band, ...],
    likelihood: tuple[Level, ...],
    impact: tuple[Level, ...],
    problems: list[str],
) -> None:
    ordered = sorted(bands, key=lambda band: band.min)
    if [band.name for band in ordered] != [band.name for band in bands]:
        problems.append("bands: must be listed lowest first (ascending min)")
    for lower, upper in zip(ordered, ordered[1:], strict=False):
        if upper.min <= lower.max:
            problems.append(
                f"bands: {lower.name!r} ({lower.min}-{lower.max}) overlaps "
                f"{upper.name!r} ({upper.min}-{upper.max})"
            )
    reachable = sorted({l.value * i.value for l in likelihood for i in impact})  # noqa: E741
    uncovered = [
        score for score in reachable if not any(band.min <= score <= band.max for band in bands)
    ]
    if uncovered:
        problems.append(f"bands: no band covers the reachable score(s) {uncovered}")


def _parse_matrix(
    data: Any,
    bands: tuple[Band, ...],
    likelihood: tuple[Level, ...],
    impact: tuple[Level, ...],
    problems: list[str],
) -> tuple[tuple[str, ...], ...] | None:
    if not isinstance(data, list):
        problems.append("matrix: method matrix needs a matrix, one row per likelihood value")
        return None
    if len(data) != len(likelihood):
        problems.append(
            f"matrix: must have {len(likelihood)} rows (one per likelihood value), not {len(data)}"
        )
    by_name = {band.name.casefold(): band.name for band in bands}
    rows: list[tuple[str, ...]] = []
    for number, row in enumerate(data, start=1):
        if not isinstance(row, list) or len(row) != len(impact):
            problems.append(
                f"matrix: row {number} must list {len(impact)} band names (one per impact value)"
            )
            continue
        cells = []
        for column, cell in enumerate(row, start=1):
            name = by_name.get(cell.strip().casefold()) if isinstance(cell, str) else None
            if name is None:
                problems.append(f"matrix: row {number} column {column}: unknown band name {cell!r}")
            cells.append(name or "")
        rows.append(tuple(cells))
    return tuple(rows)


def _sequential(levels: tuple[Level, ...]) -> bool:
    return bool(levels) and [level.value for level in levels] == list(range(1, len(levels) + 1))


def _complete(bands: tuple[Band, ...], raw: Any) -> bool:
    """Every band in the file parsed, so checks across bands will not mislead."""
    return bool(bands) and isinstance(raw, list) and len(bands) == len(raw)


def parse_scheme(data: Any) -> SchemeDefinition:
    """Validate a scheme in the DESIGN.md format and return its definition, or raise SchemeError."""
    if not isinstance(data, dict):
        raise SchemeError(["the scheme must be a JSON object"])
    problems: list[str] = []
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        problems.append(f"unknown key(s) {unknown}; allowed: {sorted(_TOP_KEYS)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("name: is required")
        name = ""
    method = data.get("method")
    if method not in METHODS:
        problems.append(f"method: must be one of {list(METHODS)}, not {method!r}")
    notation = data.get("notation", "score")
    if notation not in NOTATIONS:
        problems.append(f"notation: must be one of {list(NOTATIONS)}, not {notation!r}")
    likelihood = _parse_levels(data.get("likelihood"), "likelihood", problems)
    impact = _parse_levels(data.get("impact"), "impact", problems)
    bands = _parse_bands(data.get("bands"), method or "", problems)
    matrix = None
    if method == "product":
        if data.get("matrix") is not None:
            problems.append("matrix: must be null for method product")
        if _complete(bands, data.get("bands")) and _sequential(likelihood) and _sequential(impact):
            _check_product_bands(bands, likelihood, impact, problems)
    elif method == "matrix" and bands and likelihood and impact:
        before = len(problems)
        matrix = _parse_matrix(data.get("matrix"), bands, likelihood, impact, problems)
        if matrix is not None and len(problems) == before and _complete(bands, data.get("bands")):
            used = {cell for row in matrix for cell in row}
            unused = [band.name for band in bands if band.name not in used]
            if unused:
                problems.append(f"bands: {unused} never appear in the matrix")
    if problems:
        raise SchemeError(problems)
    return SchemeDefinition(
        name=name.strip(),
        likelihood=likelihood,
        impact=impact,
        method=method,
        bands=bands,
        notation=notation,
        matrix=matrix,
    )


# A 10x10 scheme with descriptions is a few kilobytes; a file far larger is not a scheme, and is
# refused before it is read into memory.
MAX_FILE_BYTES = 256 * 1024
# A scheme's numbers are level values, scores, band limits and months: a few digits. A longer one
# is refused as it is read, before Python's own limit (4,300 digits, a ValueError json does not
# report as bad JSON) or any rule prints it.
MAX_NUMBER_DIGITS = 9
SCHEME_NUMBER_TOO_LONG = (
    "a number in the file is {digits:,} digits long; a scheme's numbers have at most "
    f"{MAX_NUMBER_DIGITS} digits"
)


class _NumberTooLong(ValueError):
    def __init__(self, digits: int):
        self.digits = digits
        super().__init__(SCHEME_NUMBER_TOO_LONG.format(digits=digits))


def _scheme_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        raise _NumberTooLong(digits)
    return int(text)


def load_scheme_file(path: str | Path) -> SchemeDefinition:
    """Read and validate a scheme file; unreadable, oversized or non-JSON files raise SchemeError
    too. Parsed with ``json`` only (data, never code)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            limit = f"at most {MAX_FILE_BYTES:,}"
            raise SchemeError([f"{path}: {size:,} bytes is too large for a scheme file ({limit})"])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemeError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemeError([f"{path}: cannot be read ({exc})"]) from None
    return parse_scheme_text(text, source=str(path))


def parse_scheme_text(text: str, *, source: str) -> SchemeDefinition:
    """Parse and validate a scheme file's text (read from a path, or uploaded in the browser);
    ``source`` names it in the messages. Parsed with ``json`` only (data, never code)."""
    try:
        data = json.loads(text, parse_int=_scheme_int)
    except _NumberTooLong as exc:
        raise SchemeError([f"{source}: {exc}"]) from None
    except json.JSONDecodeError as exc:
        raise SchemeError([f"{source}: not valid JSON (line {exc.lineno}: {exc.msg})"]) from None
    except RecursionError:  # "[[[[..." nested beyond any scheme: json gives up, so do we
        raise SchemeError([f"{source}: not a scheme (nested too deeply)"]) from None
    return parse_scheme(data)
