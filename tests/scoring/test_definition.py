"""Each rule of the scheme file format fails with a message naming it; a bad file is rejected
whole (nothing parsed), and every broken rule is listed at once."""

import copy
import json

import pytest

from scoring.definition import SchemeError, load_scheme_file, parse_scheme
from scoring.presets import preset_path


@pytest.fixture
def espo():
    return json.loads(preset_path("espo-5x5").read_text())


@pytest.fixture
def met():
    return json.loads(preset_path("met-4x4").read_text())


def problems_of(data):
    with pytest.raises(SchemeError) as excinfo:
        parse_scheme(data)
    return excinfo.value.problems


def test_the_example_file_from_shared_is_valid():
    scheme = load_scheme_file("../shared/examples/scheme-espo-5x5.json")
    assert scheme.method == "product" and len(scheme.bands) == 4


def test_canonical_form_round_trips(espo):
    scheme = parse_scheme(espo)
    assert parse_scheme(scheme.as_dict()) == scheme


def test_levels_not_one_to_n(espo):
    espo["likelihood"][2]["value"] = 7
    assert any("level values must be 1..5" in p for p in problems_of(espo))


def test_levels_out_of_order(espo):
    espo["impact"][0]["value"], espo["impact"][1]["value"] = 2, 1
    assert any(
        "impact: level values must be 1..5 in ascending order" in p for p in problems_of(espo)
    )


def test_too_few_and_too_many_levels(espo):
    too_few = copy.deepcopy(espo)
    too_few["likelihood"] = too_few["likelihood"][:1]
    assert any("must have 2 to 10 levels, not 1" in p for p in problems_of(too_few))
    too_many = copy.deepcopy(espo)
    too_many["impact"] = [{"value": n, "label": f"L{n}", "code": f"C{n}"} for n in range(1, 12)]
    assert any("must have 2 to 10 levels, not 11" in p for p in problems_of(too_many))


def test_duplicate_codes(espo):
    espo["likelihood"][1]["code"] = "vl"
    assert "likelihood: duplicate code 'vl'" in problems_of(espo)


def test_duplicate_labels(espo):
    espo["impact"][1]["label"] = "Insignificant"
    assert "impact: duplicate label 'Insignificant'" in problems_of(espo)


def test_missing_label_and_code(espo):
    del espo["likelihood"][0]["label"]
    espo["likelihood"][1]["code"] = " "
    found = problems_of(espo)
    assert "likelihood level 1: label is required" in found
    assert "likelihood level 2: code is required" in found


def test_overlapping_bands(espo):
    espo["bands"][1]["min"] = 5  # Medium 5-12 overlaps Low 1-6
    assert any("'Low' (1-6) overlaps 'Medium' (5-12)" in p for p in problems_of(espo))


def test_reachable_product_without_a_band(espo):
    espo["bands"][1]["min"] = 9  # 8 is reachable (2x4) and now uncovered
    assert "bands: no band covers the reachable score(s) [8]" in problems_of(espo)


def test_unreachable_gap_is_fine(espo):
    espo["bands"][1]["min"] = 8  # 7 is not a product of two values 1-5
    espo["bands"][2]["min"] = 14  # nor is 13
    assert parse_scheme(espo).bands[1].min == 8


def test_band_min_above_max(espo):
    espo["bands"][0]["min"], espo["bands"][0]["max"] = 6, 1
    assert "band 'Low': min 6 is greater than max 1" in problems_of(espo)


def test_bands_must_be_lowest_first(espo):
    espo["bands"].reverse()
    assert "bands: must be listed lowest first (ascending min)" in problems_of(espo)


def test_bad_colour(espo):
    espo["bands"][0]["colour"] = "green"
    assert any("colour must be a hex colour" in p for p in problems_of(espo))


def test_duplicate_band_name(espo):
    espo["bands"][1]["name"] = "low"
    assert "bands: duplicate band name 'low'" in problems_of(espo)


def test_matrix_wrong_number_of_rows(met):
    met["matrix"] = met["matrix"][:3]
    assert "matrix: must have 4 rows (one per likelihood value), not 3" in problems_of(met)


def test_matrix_row_wrong_length(met):
    met["matrix"][1] = ["Low", "Medium"]
    assert "matrix: row 2 must list 4 band names (one per impact value)" in problems_of(met)


def test_matrix_unknown_band_name(met):
    met["matrix"][0][0] = "Negligible"
    assert "matrix: row 1 column 1: unknown band name 'Negligible'" in problems_of(met)


def test_matrix_missing_for_method_matrix(met):
    met["matrix"] = None
    assert "matrix: method matrix needs a matrix, one row per likelihood value" in problems_of(met)


def test_matrix_given_for_method_product(espo, met):
    espo["matrix"] = met["matrix"]
    assert "matrix: must be null for method product" in problems_of(espo)


def test_unknown_method_and_notation(espo):
    espo["method"] = "sum"
    espo["notation"] = "stars"
    found = problems_of(espo)
    assert any(p.startswith("method: must be one of ['product', 'matrix']") for p in found)
    assert any(p.startswith("notation: must be one of") for p in found)


def test_unknown_top_level_key(espo):
    espo["colour_scheme"] = "dark"
    assert any("unknown key(s) ['colour_scheme']" in p for p in problems_of(espo))


def test_every_broken_rule_is_listed_at_once(espo):
    espo["name"] = ""
    espo["likelihood"][1]["code"] = "VL"
    espo["bands"][0]["colour"] = "red"
    found = problems_of(espo)
    assert "name: is required" in found
    assert "likelihood: duplicate code 'VL'" in found
    assert any("colour" in p for p in found)


def test_not_an_object():
    assert problems_of([1, 2]) == ["the scheme must be a JSON object"]


def test_file_errors(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "x",')
    with pytest.raises(SchemeError, match="not valid JSON"):
        load_scheme_file(broken)
    with pytest.raises(SchemeError, match="no such file"):
        load_scheme_file(tmp_path / "missing.json")
