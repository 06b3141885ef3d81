"""?as_of= on the risk list and detail: the register as it stood then, from history (as
export_register --as-of reads it), read only, withheld by today's marking, flat queries."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from appetite.models import AppetiteStatement
from appetite.services import appetite_statement_set
from registers.models import Marking, Risk, Role
from registers.services.risks import risk_update
from registers.withholding import WITHHELD
from tests import factories
from tests.queries import assert_same_queries

LONDON = ZoneInfo("Europe/London")
JANUARY = dt.datetime(2026, 1, 10, 12, tzinfo=LONDON)
FEBRUARY = dt.datetime(2026, 2, 10, 12, tzinfo=LONDON)


@pytest.fixture
def history(organisation, corporate_register):
    """R1 "Old" at 2 x 2 in January (tolerance 10), "New" at 5 x 5 and R2 added in February
    (tolerance 20 from then)."""
    appetite_statement_set(organisation=organisation, tolerance=10)
    AppetiteStatement.history.update(history_date=JANUARY)
    risk = factories.RiskFactory(
        register=corporate_register,
        ref="R1",
        title="Old",
        description="Old cause",
        positions={"current": (2, 2)},
    )
    Risk.history.update(history_date=JANUARY)
    risk = risk_update(
        risk=risk,
        expected_version=risk.version,
        fields={"title": "New"},
        positions={"current": (5, 5)},
    )
    later = factories.RiskFactory(register=corporate_register, ref="R2", title="Added later")
    appetite_statement_set(organisation=organisation, tolerance=20)
    Risk.history.filter(history_date__gt=JANUARY).update(history_date=FEBRUARY)
    AppetiteStatement.history.filter(history_date__gt=JANUARY).update(history_date=FEBRUARY)
    return risk, later


def _list(client, organisation, query):
    url = f"/api/v1/risks/?organisation={organisation.slug}&{query}"
    return client.get(url)


def _coordinator_client(organisation, member, token_for, api, role=Role.COORDINATOR):
    _, secret = token_for(member(role), [organisation])
    return api(secret)


def test_the_list_as_it_stood(organisation, member, token_for, api, history):
    risk, later = history
    client = _coordinator_client(organisation, member, token_for, api)
    then = _list(client, organisation, "as_of=2026-01-31").json()["results"]
    assert [(r["id"], r["ref"], r["title"], r["current_score"]) for r in then] == [
        (risk.pk, "R1", "Old", 4)
    ]
    assert then[0]["appetite"] == {"state": "within", "tolerance": 10, "warning": None}
    assert then[0]["trend"] == "new"  # it did not exist at the end of December
    assert then[0]["current_display"] and then[0]["description"] == "Old cause"
    later_on = _list(client, organisation, "as_of=30/04/2026&ordering=-current_score").json()
    assert [(r["ref"], r["title"], r["current_score"]) for r in later_on["results"]] == [
        ("R1", "New", 25),
        ("R2", "Added later", 12),
    ]
    assert later_on["results"][0]["appetite"]["tolerance"] == 20
    assert [r["trend"] for r in later_on["results"]] == ["level", "level"]  # as at 31 March
    now = _list(client, organisation, "").json()["results"]
    assert {r["title"] for r in now} == {"New", "Added later"}


def test_as_of_pages_and_filters(organisation, member, token_for, api, history):
    client = _coordinator_client(organisation, member, token_for, api)
    first = _list(client, organisation, "as_of=2026-04-30&ordering=ref&page_size=1").json()
    second = client.get(first["next"]).json()
    assert [r["ref"] for r in first["results"] + second["results"]] == ["R1", "R2"]
    assert second["next"] is None
    breach = _list(client, organisation, "as_of=2026-01-31&appetite=breach").json()
    assert breach["results"] == []
    within = _list(client, organisation, "as_of=2026-01-31&appetite=within").json()
    assert [r["ref"] for r in within["results"]] == ["R1"]


def test_the_risk_as_it_stood_is_read_only(organisation, member, token_for, api, history):
    risk, later = history
    client = _coordinator_client(organisation, member, token_for, api)
    response = client.get(f"/api/v1/risks/{risk.pk}/?as_of=2026-01-31T23:00")
    assert response.status_code == 200
    assert response.json()["title"] == "Old" and response.json()["current_score"] == 4
    assert "ETag" not in response
    assert client.get(f"/api/v1/risks/{later.pk}/?as_of=2026-01-31").status_code == 404
    assert client.get(f"/api/v1/risks/{risk.pk}/").json()["title"] == "New"


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "0001-01-01", "2999-01-01"])
def test_bad_as_of_is_400(organisation, member, token_for, api, history, value):
    risk, _ = history
    client = _coordinator_client(organisation, member, token_for, api)
    response = _list(client, organisation, f"as_of={value}")
    assert response.status_code == 400 and "as_of" in response.json()
    assert client.get(f"/api/v1/risks/{risk.pk}/?as_of={value}").status_code == 400


def test_withheld_by_todays_marking(organisation, member, token_for, api, history):
    risk, _ = history
    Risk.objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    viewer = _coordinator_client(organisation, member, token_for, api, role=Role.VIEWER)
    [then] = _list(viewer, organisation, "as_of=2026-01-31").json()["results"]
    assert then["withheld"] is True and then["description"] == WITHHELD
    detail = viewer.get(f"/api/v1/risks/{risk.pk}/?as_of=2026-01-31").json()
    assert detail["withheld"] is True and "Old cause" not in str(detail)


def test_another_organisations_risk_as_of_is_404(
    organisation, other_organisation, member, token_for, api, history
):
    theirs = factories.RiskFactory(register=factories.corporate_register_of(other_organisation))
    client = _coordinator_client(organisation, member, token_for, api)
    assert client.get(f"/api/v1/risks/{theirs.pk}/?as_of=2026-12-01").status_code == 404
    assert _list(client, other_organisation, "as_of=2026-12-01").status_code == 404


def test_as_of_queries_do_not_grow(organisation, corporate_register, member, token_for, api):
    client = _coordinator_client(organisation, member, token_for, api)
    factories.RiskFactory(register=corporate_register)
    Risk.history.update(history_date=JANUARY)

    def fetch():
        results = _list(client, organisation, "as_of=2026-06-05&ordering=-current_score").json()
        assert results["results"]

    def grow():
        for n in range(4):
            risk = factories.RiskFactory(register=corporate_register)
            risk_update(risk=risk, expected_version=risk.version, fields={"title": f"T{n}"})
        Risk.history.update(history_date=JANUARY)

    fetch()
    assert_same_queries(fetch, grow, at_most=8)
