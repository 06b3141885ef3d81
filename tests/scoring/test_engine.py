import pytest

from scoring.engine import RatingError, level_for, max_score, rate
from scoring.presets import preset


@pytest.mark.parametrize("token", [4, "4", "H", "h", "High", " high ", 4.0])
def test_level_found_by_value_code_or_label(token):
    assert level_for(preset("espo-5x5"), "likelihood", token).value == 4


def test_impact_found_by_label_with_spaces():
    assert level_for(preset("espo-5x5"), "impact", "Very serious").value == 5


@pytest.mark.parametrize("token", [0, 6, "9", "Extreme", "", None, True])
def test_off_scale_levels_are_rejected_with_the_choices(token):
    with pytest.raises(RatingError) as excinfo:
        rate(preset("espo-5x5"), token, 2)
    message = str(excinfo.value)
    assert "likelihood" in message
    if token not in ("", None, True):
        assert "1 Very low (VL)" in message and "5 Very high (VH)" in message


def test_impact_off_scale_names_impact():
    with pytest.raises(RatingError, match="impact 7 is not on the scheme"):
        rate(preset("aberdeen-6x6"), 2, 7)


def test_rating_carries_band_colour_and_levels():
    rating = rate(preset("espo-5x5"), "M", "S")
    assert (rating.score, rating.band.name, rating.colour) == (12, "Medium", "#ffdd00")
    assert rating.likelihood.label == "Medium" and rating.impact.label == "Serious"


def test_max_score():
    assert max_score(preset("aberdeen-6x6")) == 36
    assert max_score(preset("met-4x4")) == 4
