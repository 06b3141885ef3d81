"""The export reads controls' and actions' descriptions as values (issue 6: building 60,000 model
objects for a 10,000-risk register took seconds): the same text, in the same order, per risk."""

import pytest

from registers.services.risks import action_add, control_add
from reporting.spreadsheets.exporting import register_export
from tests.factories import RegisterFactory, RiskFactory
from tests.reporting.conftest import corporate

pytestmark = pytest.mark.django_db


def test_each_risk_lists_its_own_controls_and_actions_in_position_order(organisation):
    register = corporate(organisation)
    other = RegisterFactory(organisation=organisation, parent=register)
    first = RiskFactory(register=register, ref="R1")
    second = RiskFactory(register=register, ref="R2")
    bare = RiskFactory(register=register, ref="R3")
    elsewhere = RiskFactory(register=other, ref="X1")
    control_add(risk=first, description="Second by position", position=2)
    control_add(risk=first, description="First by position", position=1)
    control_add(risk=second, description="Only control")
    action_add(risk=second, description="Later action", position=5)
    action_add(risk=second, description="Earlier action", position=0)
    control_add(risk=elsewhere, description="Not on this register")
    export = register_export(register=register)
    header = list(export.header)
    cells = {
        row[header.index("ref")]: (row[header.index("controls")], row[header.index("actions")])
        for row in export.rows
    }
    assert cells == {
        "R1": ("First by position\nSecond by position", ""),
        "R2": ("Only control", "Earlier action\nLater action"),
        "R3": ("", ""),
    }
    assert bare.pk and elsewhere.pk
