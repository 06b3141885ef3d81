"""/api/v1/risks/<pk>/indicators/ and .../indicators/<indicator_pk>/readings/: standing by the
page's rules (red, amber, green, no reading; stale), readings listed and posted through
reading_record with the form's validation, reach, the read-only flag, roles, withholding."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from registers.forms_indicators import ReadingForm
from registers.models import IndicatorReading, Marking, Risk, Role
from registers.services.indicators import (
    READING_IN_FUTURE,
    indicator_add,
    indicator_retire,
    reading_record,
)
from registers.withholding import WITHHELD, WITHHELD_SHORT
from tests import factories
from tests.queries import assert_same_queries

VALUE_REQUIRED = ReadingForm.base_fields["value"].error_messages["required"]


@pytest.fixture
def coordinator(member):
    return member(Role.COORDINATOR)


@pytest.fixture
def risk(corporate_register):
    return factories.RiskFactory(register=corporate_register)


@pytest.fixture
def writer(coordinator, organisation, token_for, api):
    _, secret = token_for(coordinator, [organisation], read_only=False, name="nightly")
    return api(secret)


def _indicator(risk, user, name="Backlog", **fields):
    return indicator_add(user=user, risk=risk, name=name, amber_from=5, red_from=10, **fields)


def _read(indicator, user, value, days_ago=0):
    return reading_record(
        user=user,
        indicator=indicator,
        taken_on=timezone.localdate() - dt.timedelta(days=days_ago),
        value=Decimal(value),
    )


def _url(risk):
    return f"/api/v1/risks/{risk.pk}/indicators/"


def _readings(risk, indicator):
    return f"{_url(risk)}{indicator.pk}/readings/"


def test_indicators_with_their_status_by_the_pages_rules(risk, coordinator, writer):
    red = _indicator(risk, coordinator, "Red one")
    _read(red, coordinator, 12)
    amber = _indicator(risk, coordinator, "Amber one")
    _read(amber, coordinator, 6)
    green = _indicator(risk, coordinator, "Green one", frequency="weekly")
    _read(green, coordinator, 1, days_ago=30)  # weekly, read a month ago: stale
    _indicator(risk, coordinator, "Never read")
    retired = _indicator(risk, coordinator, "Retired")
    indicator_retire(user=coordinator, indicator=retired)
    response = writer.get(_url(risk))
    assert response.status_code == 200
    shown = {i["name"]: (i["status"], i["stale"]) for i in response.json()["results"]}
    assert shown == {
        "Red one": ("red", False),
        "Amber one": ("amber", False),
        "Green one": ("green", True),
        "Never read": ("no_reading", False),
    }
    [first] = [i for i in response.json()["results"] if i["name"] == "Red one"]
    assert Decimal(first["latest_value"]) == 12 and first["withheld"] is False


def test_readings_listed_newest_first_with_their_status(risk, coordinator, writer):
    indicator = _indicator(risk, coordinator)
    _read(indicator, coordinator, 3, days_ago=2)
    _read(indicator, coordinator, 11)
    response = writer.get(_readings(risk, indicator))
    assert response.status_code == 200
    assert [(Decimal(r["value"]), r["status"]) for r in response.json()["results"]] == [
        (11, "red"),
        (3, "green"),
    ]


def test_a_reading_posted_by_the_api(risk, coordinator, writer):
    indicator = _indicator(risk, coordinator)
    response = writer.post(
        _readings(risk, indicator), {"value": "7.5", "note": "From the nightly job"}, format="json"
    )
    assert response.status_code == 201, response.json()
    reading = IndicatorReading.objects.get(indicator=indicator)
    assert reading.value == Decimal("7.5") and reading.taken_on == timezone.localdate()
    assert reading.entered_by == coordinator and response.json()["status"] == "amber"
    assert reading.history.first().history_change_reason == "recorded via the API by nightly"
    assert response.json()["replaced"] is None


def test_a_reading_that_replaces_the_days_reading_says_whose_and_what(
    risk, coordinator, member, writer
):
    """One reading a day: a second replaces the first, a colleague's too. The page says whose
    and what it replaced; the API answers 200 (the day's reading, changed), not 201, with the
    value replaced and who had recorded it (it answered 201, as if nothing was there)."""
    indicator = _indicator(risk, coordinator)
    colleague = member(Role.COORDINATOR)
    first = _read(indicator, colleague, "7.5")
    response = writer.post(
        _readings(risk, indicator),
        {"value": 2, "taken_on": timezone.localdate().isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == first.pk and Decimal(body["value"]) == 2
    assert body["entered_by"] == coordinator.email
    assert Decimal(body["replaced"]["value"]) == Decimal("7.5")
    assert body["replaced"]["entered_by"] == colleague.email
    assert body["replaced"]["entered_by_name"] == colleague.display_name
    assert list(IndicatorReading.objects.values_list("value", flat=True)) == [Decimal(2)]
    # A reading of another day is recorded as new: 201, nothing replaced.
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = writer.post(
        _readings(risk, indicator), {"value": 3, "taken_on": yesterday}, format="json"
    )
    assert response.status_code == 201 and response.json()["replaced"] is None


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"note": "x"}, "value", VALUE_REQUIRED),
        ({"value": "lots"}, "value", None),
        ({"value": 1, "taken_on": "someday"}, "taken_on", None),
        ({"value": 1, "when": "now"}, "when", None),
    ],
)
def test_bad_readings_are_400_with_field_errors_and_nothing_written(
    risk, coordinator, writer, body, field, message
):
    indicator = _indicator(risk, coordinator)
    response = writer.post(_readings(risk, indicator), body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    if message:
        assert response.json()[field] == [message]
    assert not IndicatorReading.objects.exists()


def test_a_reading_in_the_future_is_refused_by_the_service(risk, coordinator, writer):
    indicator = _indicator(risk, coordinator)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = writer.post(
        _readings(risk, indicator), {"value": 1, "taken_on": tomorrow.isoformat()}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"taken_on": [READING_IN_FUTURE[:1].upper() + READING_IN_FUTURE[1:]]}
    assert not IndicatorReading.objects.exists()


def test_isolation_read_only_and_role(
    risk, coordinator, member, organisation, other_organisation, token_for, api
):
    theirs = factories.RiskFactory(register=factories.corporate_register_of(other_organisation))
    their_owner = factories.MembershipFactory(
        organisation=other_organisation, role=Role.COORDINATOR
    ).user
    their_indicator = _indicator(theirs, their_owner)
    mine = _indicator(risk, coordinator)
    _, writer = token_for(coordinator, [organisation], read_only=False, name="writer")
    client = api(writer)
    assert client.get(_url(theirs)).status_code == 404
    assert client.get(_readings(theirs, their_indicator)).status_code == 404
    # Their indicator under our risk.
    assert client.get(f"{_url(risk)}{their_indicator.pk}/readings/").status_code == 404
    assert (
        client.post(
            f"{_url(risk)}{their_indicator.pk}/readings/", {"value": 1}, format="json"
        ).status_code
        == 404
    )
    _, read_only = token_for(coordinator, [organisation], read_only=True)
    _, viewer = token_for(member(Role.VIEWER), [organisation], read_only=False)
    for secret in (read_only, viewer):
        response = api(secret).post(_readings(risk, mine), {"value": 1}, format="json")
        assert response.status_code == 403
    assert not IndicatorReading.objects.exists()


def test_the_indicators_owner_records_readings(
    risk, coordinator, member, organisation, token_for, api
):
    owner = member(Role.OWNER)
    indicator = _indicator(risk, coordinator, owner=owner)
    _, secret = token_for(owner, [organisation], read_only=False)
    response = api(secret).post(_readings(risk, indicator), {"value": 1}, format="json")
    assert response.status_code == 201, response.json()


def test_a_sensitive_risks_indicators_and_readings_are_withheld(
    risk, coordinator, member, organisation, token_for, api
):
    indicator = _indicator(
        risk, coordinator, "Secret measure", description="Secret", unit="Secret units"
    )
    _read(indicator, coordinator, 12)
    Risk.objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    _, secret = token_for(member(Role.VIEWER), [organisation])
    client = api(secret)
    [item] = client.get(_url(risk)).json()["results"]
    assert item["withheld"] is True and item["name"] == WITHHELD_SHORT
    assert item["status"] == "red"  # the standing shows, as on the page
    assert "Secret" not in str(item)
    # Its readings and thresholds do not, as on the page and in the packs.
    assert item["unit"] == ""
    for withheld in ("latest_value", "latest_taken_on", "amber_from", "red_from"):
        assert item[withheld] is None, withheld
    readings = client.get(_readings(risk, indicator)).json()
    assert readings["withheld"] is True and readings["results"] == []
    assert readings["detail"] == WITHHELD


def test_lists_cost_the_same_queries_whatever_their_length(risk, coordinator, writer):
    indicator = _indicator(risk, coordinator)
    _read(indicator, coordinator, 1)

    def fetch():
        assert writer.get(_url(risk)).status_code == 200
        assert writer.get(_readings(risk, indicator)).status_code == 200

    def grow():
        for n in range(1, 5):
            _read(indicator, coordinator, n, days_ago=n)
            other = _indicator(risk, coordinator, f"Another {n}", owner=coordinator)
            _read(other, coordinator, n)

    fetch()
    assert_same_queries(fetch, grow, at_most=20)
