"""/api/v1/risks/<pk>/history/: the risk page's history (who, when, what changed, why), a page at
a time, withheld as on the page, at a fixed number of queries."""

import pytest

from registers.models import Marking, Risk, Role
from registers.services.risks import risk_update
from registers.withholding import WITHHELD
from tests import factories
from tests.queries import assert_same_queries


@pytest.fixture
def coordinator(member):
    return member(Role.COORDINATOR, user__full_name="Cora Coordinator")


@pytest.fixture
def risk(corporate_register):
    return factories.RiskFactory(register=corporate_register, description="Secret cause")


@pytest.fixture
def writer(coordinator, organisation, token_for, api):
    _, secret = token_for(coordinator, [organisation], read_only=False, name="nightly")
    return api(secret)


def _url(risk):
    return f"/api/v1/risks/{risk.pk}/history/"


def _retitle(risk, title, user=None):
    fresh = Risk.objects.get(pk=risk.pk)
    return risk_update(
        risk=fresh, expected_version=fresh.version, fields={"title": title}, reason="renamed"
    )


def test_an_api_write_shows_in_the_history_with_its_reason(risk, coordinator, writer):
    response = writer.post(
        f"/api/v1/risks/{risk.pk}/controls/", {"description": "Sandbags"}, format="json"
    )
    assert response.status_code == 201
    _retitle(risk, "Flooding")
    response = writer.get(_url(risk))
    assert response.status_code == 200
    entries = response.json()["results"]
    assert entries[0]["subject"] == "Risk"
    assert {"field": "Title", "old": f"“{risk.title}”", "new": "“Flooding”"} in entries[0][
        "changes"
    ]
    assert entries[0]["reason"] == "renamed"
    [control] = [e for e in entries if e["subject"] == "Control"]
    assert control["summary"] == "Control added" and control["who"] == "Cora Coordinator"
    assert control["reason"] == "via the API by nightly"
    assert control["detail"] == "“Sandbags”"
    assert entries[-1]["summary"] == "Risk created"


def test_paginated(risk, writer):
    for n in range(4):
        _retitle(risk, f"Title {n}")
    first = writer.get(_url(risk), {"page_size": 2}).json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next"]
    assert first["results"][0]["changes"][0]["new"] == "“Title 3”"
    last = writer.get(first["next"].replace("http://testserver", "")).json()
    assert last["results"][0]["changes"][0]["new"] == "“Title 1”"


def test_other_organisations_and_uncovered_risks_are_404(
    coordinator, organisation, other_organisation, token_for, api
):
    theirs = factories.RiskFactory(register=factories.corporate_register_of(other_organisation))
    factories.MembershipFactory(
        organisation=other_organisation, user=coordinator, role=Role.COORDINATOR
    )
    _, secret = token_for(coordinator, [organisation])
    assert api(secret).get(_url(theirs)).status_code == 404
    assert api(secret).get("/api/v1/risks/2000000000/history/").status_code == 404


def test_a_sensitive_risks_history_is_withheld_from_the_uncleared(
    risk, member, organisation, writer, token_for, api
):
    Risk.objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    _, secret = token_for(member(Role.VIEWER), [organisation])
    response = api(secret).get(_url(risk))
    assert response.status_code == 200
    assert response.json()["withheld"] is True and response.json()["results"] == []
    assert response.json()["detail"] == WITHHELD
    assert "Secret cause" not in response.content.decode()
    assert "Secret cause" in writer.get(_url(risk)).content.decode()


def test_the_history_costs_the_same_queries_however_long(risk, coordinator, writer):
    # One of each kind of entry and name first: names cost a query per kind, not per entry.
    factories.ControlFactory(risk=risk, owner=coordinator)
    factories.ActionFactory(risk=risk, owner=coordinator)

    def fetch():
        assert writer.get(_url(risk)).status_code == 200

    def grow():
        for n in range(3):
            _retitle(risk, f"Title {n}")
            factories.ControlFactory(risk=risk, owner=coordinator)
            factories.ActionFactory(risk=risk, owner=coordinator)

    fetch()
    assert_same_queries(fetch, grow, at_most=20)
