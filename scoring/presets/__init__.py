"""Scoring-scheme presets for the five source organisations, in the scheme file format.

Each preset is a JSON file beside this module, loadable with ``load_scheme FILE --org SLUG``. Where
a source is ambiguous, the reading we chose is written here and tested in
``tests/scoring/test_presets.py``.

``espo-5x5`` (ESPO Risk Management Statement, 2012)
    Product of likelihood (Very low 2% .. Very high 50%) and impact (Insignificant .. Very serious).
    The statement's bands leave 7 and 13 unassigned and say both "14 to 20" and "20 or above".
    Reading: Low 1-6, Medium 7-12, High 13-20, Very high 21-25. 7 and 13 are not products of two
    values from 1-5, so no risk can score them; 20 is High because the band table ("14 - 20 High",
    "Over 20 - Very high") is stated twice against once for "20 or above". Review: Low 12 months,
    Medium 12 ("annually, or twice a year if necessary": the lighter duty is the rule, a register
    or risk may shorten it), High 6, Very high 3.

``aberdeen-6x6`` (University of Aberdeen Risk Management Framework, 2018)
    Product of likelihood (Table 6, two definitions per level, both kept in the description) and
    impact (Table 7: Negligible 1 .. Severe 6), scores 1-36. The framework's matrix image (green at
    level 1 to red at level 6) is not in the text, so the bands follow Table 4's tolerance levels,
    which the framework itself uses to judge movement, and take Table 4's names for them: Avoid
    1-6, Averse 7-12, Moderate 13-19, Open 20-26, High 27-36. (Until issue 12 they were Low,
    Moderate, Significant, High, Very high, so "12 (Moderate)" stood beside the appetite level
    Averse for the same 12: one organisation, one vocabulary.) Review: six-monthly (the
    institution reviews registers twice a year), quarterly from Open up.

``met-4x4`` (Met Audit Panel risk report, October 2021)
    Likelihood and impact each L, M, H, VH, written "likelihood v impact" ("M v H"). The heat-map
    images are not in the text, so the band of each cell is our reading: a symmetric matrix in which
    L v L .. VH v VH run Low, Medium, High, Very high along the diagonal and one step either side
    of the diagonal keeps the lower band. Score = band position (1 Low .. 4 Very high).

``mopac-3x3`` (MOPAC Joint Audit Panel paper, March 2022)
    Likelihood and impact each L, M, H ("reduced to medium impact and likelihood"), written like the
    Met's ("M v M") because both report to the same joint panel. Bands Low, Medium, High by a
    symmetric matrix (our reading). Review monthly for Medium and High: the register is reviewed
    monthly at the Governance and Risk working group; Low quarterly.

``wmp-4x4`` (West Midlands Police corporate risk register)
    WMP publishes only a residual rating: Low, Medium, High or Critical. The scheme is a 4x4 matrix
    whose diagonal gives each band (L v L Low, M v M Medium, H v H High, VH v VH Critical), shown
    by band name alone (notation ``band``, our extension of the format). Seeded risks carry the
    diagonal cell of their published rating and say so in their source note.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from ..definition import SchemeDefinition, parse_scheme

PRESET_DIR = Path(__file__).resolve().parent
PRESET_KEYS = ("espo-5x5", "aberdeen-6x6", "met-4x4", "mopac-3x3", "wmp-4x4")


def preset_path(key: str) -> Path:
    if key not in PRESET_KEYS:
        raise KeyError(f"unknown scheme preset {key!r}; presets: {', '.join(PRESET_KEYS)}")
    return PRESET_DIR / f"{key}.json"


@cache
def preset(key: str) -> SchemeDefinition:
    return parse_scheme(json.loads(preset_path(key).read_text(encoding="utf-8")))
