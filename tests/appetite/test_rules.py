import pytest

from appetite.rules import AppetiteState, appetite_state


@pytest.mark.parametrize(
    ("score", "expected"),
    [(1, "within"), (8, "within"), (9, "warning"), (10, "warning"), (11, "breach"), (25, "breach")],
)
def test_boundaries_with_warning(score, expected):
    # ESPO: tolerance "10 or less"; a warning threshold of 8 turns 9 and 10 amber.
    assert appetite_state(score=score, tolerance=10, warning=8) == AppetiteState(expected)


@pytest.mark.parametrize(("score", "expected"), [(17, "within"), (18, "breach")])
def test_aberdeen_financial_sustainability_threshold_17(score, expected):
    assert appetite_state(score=score, tolerance=17) == AppetiteState(expected)


def test_no_warning_threshold_means_no_amber():
    assert appetite_state(score=10, tolerance=10) == AppetiteState.WITHIN


def test_not_rated_or_no_threshold():
    assert appetite_state(score=None, tolerance=10) == AppetiteState.NOT_SET
    assert appetite_state(score=12, tolerance=None) == AppetiteState.NOT_SET


def test_labels_are_words():
    assert AppetiteState.BREACH.label == "Breach"
    assert AppetiteState.WARNING.label == "At warning"
