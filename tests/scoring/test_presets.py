"""Every cell of every preset's grid, against expectations written from the sources (not read
back from the preset files), including the readings documented in scoring/presets/__init__.py."""

import pytest

from scoring.engine import grid, rate, review_months_for
from scoring.presets import PRESET_KEYS, preset


def all_cells(key):
    return {
        (cell.likelihood.value, cell.impact.value): cell.rating
        for row in grid(preset(key))
        for cell in row
    }


def espo_band(score):
    # ESPO statement: 1-6 Low, 8-12 Medium, 14-20 High, over 20 Very high (7 and 13 unreachable).
    if score <= 6:
        return "Low"
    if score <= 12:
        return "Medium"
    if score <= 20:
        return "High"
    return "Very high"


def aberdeen_band(score):
    # Table 4 names the ranges: Avoid 1-6, Averse 7-12, Moderate 13-19, Open 20-26, High 27-36.
    for top, name in ((6, "Avoid"), (12, "Averse"), (19, "Moderate"), (26, "Open")):
        if score <= top:
            return name
    return "High"


@pytest.mark.parametrize("likelihood", range(1, 6))
@pytest.mark.parametrize("impact", range(1, 6))
def test_espo_every_cell(likelihood, impact):
    rating = all_cells("espo-5x5")[(likelihood, impact)]
    score = likelihood * impact
    assert rating.score == score
    assert rating.band.name == espo_band(score)
    assert rating.display == f"{score} ({espo_band(score)})"


def test_espo_grid_is_complete_and_review_months_follow_the_band():
    cells = all_cells("espo-5x5")
    assert len(cells) == 25
    scheme = preset("espo-5x5")
    assert [review_months_for(scheme, s) for s in (6, 8, 12, 14, 20, 25)] == [12, 12, 12, 6, 6, 3]
    assert rate(scheme, 4, 5).display == "20 (High)"  # "14 - 20 High" read over "20 or above"
    assert rate(scheme, "VH", "VS").display == "25 (Very high)"
    assert [level.description for level in scheme.likelihood] == [
        "2% likely to happen",
        "5% likely to happen",
        "10% likely to happen",
        "20% likely to happen",
        "50% likely to happen",
    ]
    assert [level.label for level in scheme.impact] == [
        "Insignificant",
        "Minor",
        "Moderate",
        "Serious",
        "Very serious",
    ]


@pytest.mark.parametrize("likelihood", range(1, 7))
@pytest.mark.parametrize("impact", range(1, 7))
def test_aberdeen_every_cell(likelihood, impact):
    rating = all_cells("aberdeen-6x6")[(likelihood, impact)]
    score = likelihood * impact
    assert rating.score == score
    assert rating.band.name == aberdeen_band(score)
    assert rating.display == f"{score} ({aberdeen_band(score)})"


def test_aberdeen_labels_come_from_tables_6_and_7():
    scheme = preset("aberdeen-6x6")
    assert [level.label for level in scheme.impact] == [
        "Negligible",
        "Measurable",
        "Significant",
        "Highly Significant",
        "Major",
        "Severe",
    ]
    assert scheme.likelihood[5].description.startswith("Probable in the near future")
    assert scheme.likelihood[0].description.startswith("Unlikely in the foreseeable future")
    assert len(all_cells("aberdeen-6x6")) == 36


CODES4 = ["L", "M", "H", "VH"]
MET_EXPECTED = [  # rows likelihood L..VH, columns impact L..VH
    ["Low", "Low", "Medium", "Medium"],
    ["Low", "Medium", "Medium", "High"],
    ["Medium", "Medium", "High", "Very high"],
    ["Medium", "High", "Very high", "Very high"],
]
WMP_EXPECTED = [
    ["Low", "Low", "Medium", "Medium"],
    ["Low", "Medium", "Medium", "High"],
    ["Medium", "Medium", "High", "Critical"],
    ["Medium", "High", "Critical", "Critical"],
]
MOPAC_EXPECTED = [
    ["Low", "Low", "Medium"],
    ["Low", "Medium", "High"],
    ["Medium", "High", "High"],
]


def test_met_every_cell_written_likelihood_v_impact():
    cells = all_cells("met-4x4")
    assert len(cells) == 16
    positions = {"Low": 1, "Medium": 2, "High": 3, "Very high": 4}
    for l_index, row in enumerate(MET_EXPECTED):
        for i_index, band in enumerate(row):
            rating = cells[(l_index + 1, i_index + 1)]
            assert rating.band.name == band
            assert rating.score == positions[band]
            assert rating.display == f"{CODES4[l_index]} v {CODES4[i_index]}"


def test_met_published_positions():
    scheme = preset("met-4x4")
    assert rate(scheme, "M", "H").display == "M v H"  # risk 1, Violent crime
    assert rate(scheme, "H", "M").display == "H v M"  # likelihood first, not symmetric text
    assert rate(scheme, "L", "M").band.name == "Low"


def test_wmp_every_cell_shown_by_band_name():
    cells = all_cells("wmp-4x4")
    assert len(cells) == 16
    for l_index, row in enumerate(WMP_EXPECTED):
        for i_index, band in enumerate(row):
            rating = cells[(l_index + 1, i_index + 1)]
            assert rating.band.name == band
            assert rating.display == band
    # The diagonal carries each published residual rating.
    assert [cells[(n, n)].band.name for n in range(1, 5)] == ["Low", "Medium", "High", "Critical"]


def test_mopac_every_cell():
    cells = all_cells("mopac-3x3")
    assert len(cells) == 9
    for l_index, row in enumerate(MOPAC_EXPECTED):
        for i_index, band in enumerate(row):
            rating = cells[(l_index + 1, i_index + 1)]
            assert rating.band.name == band
            assert rating.display == f"{'LMH'[l_index]} v {'LMH'[i_index]}"
    assert rate(preset("mopac-3x3"), "M", "M").band.name == "Medium"  # risk 3 at target


@pytest.mark.parametrize("key", PRESET_KEYS)
def test_grid_rows_run_from_highest_likelihood(key):
    rows = grid(preset(key))
    assert rows[0][0].likelihood.value == len(preset(key).likelihood)
    assert rows[-1][0].likelihood.value == 1
    assert [cell.impact.value for cell in rows[0]] == list(range(1, len(preset(key).impact) + 1))


@pytest.mark.django_db
def test_no_band_name_means_another_range_than_the_appetite_level_of_that_name():
    """One organisation, one vocabulary (issue 12): Aberdeen's 6x6 bands were Low, Moderate,
    Significant, High, Very high on Table 4's edges, so a pack printed "12 (Moderate)" beside
    the appetite level "Averse" for 12. A band may share a name with an appetite level only when
    both mean the same scores."""
    from appetite.models import AppetiteLevel
    from demo.seeding import seed_demo
    from registers.models import Organisation
    from scoring.models import Scheme

    seed_demo()
    clashes = []
    for organisation in Organisation.objects.order_by("slug"):
        levels = {
            level.name.casefold(): (level.min_score, level.max_score)
            for level in AppetiteLevel.objects.filter(organisation=organisation)
        }
        for scheme in Scheme.objects.filter(organisation=organisation):
            for band in scheme.current_version.parsed.bands:
                meaning = levels.get(band.name.casefold())
                if meaning is not None and meaning != (band.min, band.max):
                    clashes.append((organisation.slug, band.name, (band.min, band.max), meaning))
    assert Organisation.objects.count() == 5
    assert clashes == []
