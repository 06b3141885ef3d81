"""A retired category or objective stays on the risks that have it and is given to no other: the
rule holds in the risk services themselves, not only in the form and the importer that offer
choices (issue 15)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from registers.models import Objective
from registers.services.risks import RETIRED_NOT_GIVEN, risk_create, risk_update
from tests.factories import CategoryFactory, RiskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def retired(organisation):
    category = CategoryFactory(organisation=organisation, name="Old category")
    objective = Objective.objects.create(organisation=organisation, code="O9", name="Old aim")
    return category, objective


def _retire(*objects):
    for obj in objects:
        obj.retired_at = timezone.now()
        obj.save(update_fields=["retired_at"])


def test_a_new_risk_is_given_no_retired_category_or_objective(corporate_register, retired):
    category, objective = retired
    _retire(category, objective)
    with pytest.raises(ValidationError) as raised:
        risk_create(register=corporate_register, ref="R1", title="Risk", category=category)
    assert raised.value.message_dict == {
        "category": [RETIRED_NOT_GIVEN.format(text="Old category")]
    }
    with pytest.raises(ValidationError) as raised:
        risk_create(register=corporate_register, ref="R2", title="Risk", objectives=[objective])
    assert "objectives" in raised.value.message_dict
    assert not corporate_register.risks.exists()  # nothing half-written


def test_a_risk_keeps_its_retired_category_and_objective_but_gets_none_anew(
    corporate_register, retired
):
    category, objective = retired
    keeps = RiskFactory(register=corporate_register, ref="K1", category=category)
    keeps.objectives.set([objective])
    other = RiskFactory(register=corporate_register, ref="K2")
    _retire(category, objective)

    kept = risk_update(
        risk=keeps,
        expected_version=keeps.version,
        fields={"title": "Still here", "category": category},
        objectives=[objective],
    )
    assert (kept.title, kept.category_id) == ("Still here", category.id)
    assert list(kept.objectives.all()) == [objective]

    with pytest.raises(ValidationError) as raised:
        risk_update(risk=other, expected_version=other.version, fields={"category": category})
    assert "category" in raised.value.message_dict
    with pytest.raises(ValidationError):
        risk_update(risk=other, expected_version=other.version, objectives=[objective])
    other.refresh_from_db()
    assert other.category_id is None and not other.objectives.exists()
