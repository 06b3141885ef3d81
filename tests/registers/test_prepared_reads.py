"""A read compiled once per connection (registers/prepared.py) gives exactly what the
plain queryset gives, for every value, and reads the plain way whenever its values cannot be
placed safely."""

from __future__ import annotations

import pytest
from django.db import connections
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from registers.models import Control, Risk
from registers.prepared import _CACHE_ATTRIBUTE, _PLAIN, _Prepared, prepared_list
from tests.factories import ControlFactory, RiskFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_kept():
    connections["default"].__dict__.pop(_CACHE_ATTRIBUTE, None)
    yield
    connections["default"].__dict__.pop(_CACHE_ATTRIBUTE, None)


def kept(key: str):
    return {k[0]: v for k, v in connections["default"].__dict__[_CACHE_ATTRIBUTE].items()}[key]


def _controls(risk_id: int):
    return Control.objects.filter(risk_id=risk_id).select_related("owner").order_by("id")


def test_the_same_rows_as_the_queryset_for_each_value_compiled_once(corporate_register):
    one, two = (RiskFactory(register=corporate_register) for _ in range(2))
    for risk in (one, two):
        for _ in range(2):
            ControlFactory(risk=risk, owner=UserFactory())
    first = prepared_list("test.controls", _controls, risk_id=one.id)
    assert isinstance(kept("test.controls"), _Prepared)
    compiled = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        compiled.append(self)
        return original(self, *args, **kwargs)

    SQLCompiler.as_sql = counting
    try:
        second = prepared_list("test.controls", _controls, risk_id=two.id)
    finally:
        SQLCompiler.as_sql = original
    assert compiled == []
    for got, risk in ((first, one), (second, two)):
        assert got == list(_controls(risk.id))
        assert [c.owner.email for c in got] == [c.owner.email for c in _controls(risk.id)]
        # The related rows came with the read: no query for them.
        assert all("owner" in c._state.fields_cache for c in got)


def test_a_write_shows_on_the_next_read(corporate_register):
    risk = RiskFactory(register=corporate_register)
    assert prepared_list("test.controls", _controls, risk_id=risk.id) == []
    made = ControlFactory(risk=risk)
    assert prepared_list("test.controls", _controls, risk_id=risk.id) == [made]


def test_none_is_part_of_the_key(corporate_register):
    owned = RiskFactory(register=corporate_register)
    Risk.objects.filter(pk=owned.pk).update(owner=UserFactory())
    owned.refresh_from_db()
    unowned = RiskFactory(register=corporate_register)

    def risks(organisation_id, owner_id):
        return Risk.objects.filter(organisation_id=organisation_id, owner_id=owner_id)

    organisation_id = corporate_register.organisation_id
    assert prepared_list(
        "test.owned", risks, organisation_id=organisation_id, owner_id=owned.owner_id
    ) == [owned]
    assert prepared_list("test.owned", risks, organisation_id=organisation_id, owner_id=None) == [
        unowned
    ]


def test_a_value_changed_on_its_way_reads_the_plain_way(corporate_register):
    risk = RiskFactory(register=corporate_register, title="Flooding of the basement")

    def titled(words):
        return Risk.objects.filter(title__icontains=words)  # the value goes in as %words%

    assert prepared_list("test.titled", titled, words="basement") == [risk]
    assert kept("test.titled") is _PLAIN
    assert prepared_list("test.titled", titled, words="attic") == []


def test_a_parameter_that_moves_by_itself_reads_the_plain_way(corporate_register):
    risk = RiskFactory(register=corporate_register)

    def recent(risk_id):
        return Risk.objects.filter(id=risk_id, created_at__lte=timezone.now())

    assert prepared_list("test.recent", recent, risk_id=risk.id) == [risk]
    assert kept("test.recent") is _PLAIN


def test_a_union_of_values(corporate_register):
    risk = RiskFactory(register=corporate_register)
    ControlFactory(risk=risk, description="Barrier")

    def texts(risk_id):
        controls = Control.objects.filter(risk_id=risk_id).values_list("description")
        risks = Risk.objects.filter(id=risk_id).values_list("title")
        return controls.union(risks, all=True)

    got = prepared_list("test.union", texts, risk_id=risk.id)
    assert isinstance(kept("test.union"), _Prepared)
    assert sorted(got) == sorted([("Barrier",), (risk.title,)])


def test_several_ids_each_placed(corporate_register):
    """Two ids of one list, each a value: each has its own stand-ins (they shared theirs, and
    the read went the plain way)."""
    risks = [RiskFactory(register=corporate_register) for _ in range(3)]

    def two(first: int, second: int):
        return Risk.objects.filter(pk__in=[first, second]).order_by("id")

    assert prepared_list("test.two", two, first=risks[0].id, second=risks[2].id) == [
        risks[0],
        risks[2],
    ]
    assert isinstance(kept("test.two"), _Prepared)
    assert prepared_list("test.two", two, first=risks[1].id, second=risks[0].id) == risks[:2]


def test_a_value_the_query_does_not_use(corporate_register):
    """A value only an annotation the query leaves out uses (``values_list``): the same SQL
    and parameters whatever it is, so it is not placed and the query is kept."""
    risk = RiskFactory(register=corporate_register)

    def ids(register_id: int, title: str):
        from django.db.models import Value

        return (
            Risk.objects.filter(register_id=register_id)
            .annotate(named=Value(title))
            .values_list("id", flat=True)
        )

    assert prepared_list("test.ids", ids, register_id=corporate_register.id, title="x") == [risk.id]
    assert isinstance(kept("test.ids"), _Prepared)
    assert prepared_list("test.ids", ids, register_id=-5, title="y") == []


def test_the_queries_kept_are_bounded(corporate_register, monkeypatch):
    import registers.prepared

    monkeypatch.setattr(registers.prepared, "MAX_KEPT", 2)
    risk = RiskFactory(register=corporate_register)
    for n in range(5):
        assert prepared_list(f"test.bounded.{n}", _controls, risk_id=risk.id) == []
        assert len(connections["default"].__dict__[_CACHE_ATTRIBUTE]) <= 2
