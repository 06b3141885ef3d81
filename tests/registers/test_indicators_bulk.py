"""Indicators and readings written in bulk (issue 18's spreadsheet import): the rules of
``indicator_add``, ``indicator_update`` and ``reading_record``, refusing the whole batch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from registers.models import Indicator, IndicatorReading
from registers.services.indicators import (
    INDICATOR_RETIRED,
    READING_IN_FUTURE,
    THRESHOLDS_ORDER_WORSE,
    indicator_add,
    indicator_retire,
    indicator_update,
    reading_record,
)
from registers.services.indicators_bulk import (
    IndicatorChange,
    ReadingEntry,
    indicator_add_many,
    indicator_update_many,
    reading_record_many,
)
from registers.services.register_archive import REGISTER_ARCHIVED
from registers.services.risks import RiskConflict
from tests.factories import MembershipFactory, RiskFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def risk(corporate_register):
    found = RiskFactory(register=corporate_register, ref="B1")
    return type(found).objects.select_related("register", "organisation").get(pk=found.pk)


@pytest.fixture
def indicator(risk):
    return indicator_add(user=None, risk=risk, name="Count", amber_from=D(5), red_from=D(10))


def test_indicators_are_added_with_their_rules_and_history(risk, other_organisation):
    outsider = MembershipFactory(organisation=other_organisation).user
    wrong = Indicator(risk=risk, name="Bad", amber_from=D(10), red_from=D(5), position=0)
    with pytest.raises(ValidationError) as refused:
        indicator_add_many(indicators=[wrong], reason="r")
    assert refused.value.messages == [
        "B1: Bad: " + THRESHOLDS_ORDER_WORSE.format(amber=D(10), red=D(5))
    ]
    stranger = Indicator(
        risk=risk, name="X", amber_from=D(1), red_from=D(2), position=0, owner=outsider
    )
    with pytest.raises(ValidationError):
        indicator_add_many(indicators=[stranger], reason="r")
    good = Indicator(risk=risk, name="  Two   words ", amber_from=D(1), red_from=D(2), position=3)
    (saved,) = indicator_add_many(indicators=[good], reason="imported from f.xlsx")
    assert saved.pk and saved.name == "Two words" and saved.organisation_id == risk.organisation_id
    assert saved.history.get().history_change_reason == "imported from f.xlsx"


def test_updates_check_the_version_and_refuse_retired_ones(indicator):
    indicator_update(user=None, indicator=indicator, unit="%")  # version 2 now
    with pytest.raises(RiskConflict):
        indicator_update_many(
            changes=[IndicatorChange(pk=indicator.pk, expected_version=1, fields={"unit": "#"})],
            reason="r",
        )
    (saved,) = indicator_update_many(
        changes=[IndicatorChange(pk=indicator.pk, expected_version=2, fields={"red_from": D(20)})],
        reason="r",
    )
    assert (saved.red_from, saved.version, saved.unit) == (D(20), 3, "%")
    assert indicator.history.count() == 3
    indicator_retire(user=None, indicator=indicator)
    with pytest.raises(ValidationError) as refused:
        indicator_update_many(
            changes=[IndicatorChange(pk=indicator.pk, expected_version=4, fields={"unit": "#"})],
            reason="r",
        )
    assert refused.value.messages == [f"Count: {INDICATOR_RETIRED}"]


def test_readings_replace_the_days_reading_and_refuse_the_whole_batch(risk, indicator):
    reading_record(user=None, indicator=indicator, taken_on=TODAY, value=D(1), note="kept")
    indicator.risk = risk
    future = ReadingEntry(indicator, TODAY + dt.timedelta(days=1), D(3))
    with pytest.raises(ValidationError) as refused:
        reading_record_many(
            entries=[ReadingEntry(indicator, TODAY - dt.timedelta(days=1), D(2)), future],
            reason="r",
        )
    assert refused.value.messages == [f"B1: Count: {READING_IN_FUTURE}"]
    assert IndicatorReading.objects.count() == 1
    saved = reading_record_many(
        entries=[
            ReadingEntry(indicator, TODAY - dt.timedelta(days=1), D(2)),
            ReadingEntry(indicator, TODAY, D(7), "kept"),
        ],
        reason="imported from f.xlsx",
    )
    assert len(saved) == 2 and IndicatorReading.objects.count() == 2
    today = indicator.readings.get(taken_on=TODAY)
    assert today.value == D(7)
    assert [record.value for record in today.history.order_by("history_date")] == [D(1), D(7)]


def test_an_archived_register_or_a_retired_indicator_takes_no_readings(risk, indicator):
    retired = indicator_add(user=None, risk=risk, name="Old", amber_from=D(1), red_from=D(2))
    indicator_retire(user=None, indicator=retired)
    retired.risk = risk
    with pytest.raises(ValidationError) as refused:
        reading_record_many(entries=[ReadingEntry(retired, TODAY, D(1))], reason="r")
    assert refused.value.messages == [f"B1: Old: {INDICATOR_RETIRED}"]
    risk.register.archived_at = timezone.now()
    risk.register.save()
    indicator.risk = risk
    with pytest.raises(ValidationError) as refused:
        reading_record_many(entries=[ReadingEntry(indicator, TODAY, D(1))], reason="r")
    assert refused.value.messages == [REGISTER_ARCHIVED.format(register=risk.register.name)]
    assert not IndicatorReading.objects.exists()
