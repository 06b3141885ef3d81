import pytest
from django.core.exceptions import ValidationError

from appetite.models import AppetiteLevel
from appetite.rules import AppetiteState
from appetite.selectors import appetite_lookup
from appetite.services import appetite_levels_install, appetite_statement_set
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_category_threshold_wins_over_the_organisation_default(organisation):
    finance = CategoryFactory(organisation=organisation, name="Finance")
    people = CategoryFactory(organisation=organisation, name="People")
    appetite_statement_set(organisation=organisation, tolerance=10, warning=8)
    appetite_statement_set(organisation=organisation, category=finance, tolerance=17)
    lookup = appetite_lookup(organisation=organisation)
    assert lookup.state(category_id=finance.id, score=17) == AppetiteState.WITHIN
    assert lookup.state(category_id=finance.id, score=18) == AppetiteState.BREACH
    assert lookup.state(category_id=people.id, score=9) == AppetiteState.WARNING
    assert lookup.state(category_id=None, score=11) == AppetiteState.BREACH


def test_no_statement_means_no_threshold(organisation):
    lookup = appetite_lookup(organisation=organisation)
    assert lookup.state(category_id=None, score=25) == AppetiteState.NOT_SET


def test_setting_again_updates_and_keeps_history(organisation):
    statement = appetite_statement_set(organisation=organisation, tolerance=10)
    again = appetite_statement_set(organisation=organisation, tolerance=12, reason="annual review")
    assert again.pk == statement.pk and again.tolerance == 12
    assert [h.tolerance for h in again.history.order_by("history_date")] == [10, 12]
    assert again.history.latest().history_change_reason == "annual review"


def test_warning_must_be_below_tolerance(organisation):
    with pytest.raises(ValidationError, match="must be below the tolerance"):
        appetite_statement_set(organisation=organisation, tolerance=10, warning=10)


def test_category_of_another_organisation_is_refused(organisation, other_organisation):
    foreign = CategoryFactory(organisation=other_organisation)
    with pytest.raises(ValidationError, match="another organisation"):
        appetite_statement_set(organisation=organisation, category=foreign, tolerance=10)


def test_level_presets(organisation):
    names = list(
        AppetiteLevel.objects.filter(organisation=organisation).values_list("name", flat=True)
    )
    assert names == ["Averse", "Minimal", "Cautious", "Open", "Eager"]
    with pytest.raises(ValidationError, match="unknown appetite preset 'bold'"):
        appetite_levels_install(organisation=organisation, preset="bold")
