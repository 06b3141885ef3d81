"""The indexes the dashboard and register page read through (found with bench/)."""

import pytest
from django.db import connection

from registers.models import Action, Risk

pytestmark = pytest.mark.django_db


def test_the_bench_indexes_exist():
    with connection.cursor() as cursor:
        actions = connection.introspection.get_constraints(cursor, Action._meta.db_table)
        risks = connection.introspection.get_constraints(cursor, Risk._meta.db_table)
    assert actions["action_open_due"]["columns"] == ["organisation_id", "due_date"]
    assert risks["risk_with_horizon"]["columns"] == ["organisation_id"]
