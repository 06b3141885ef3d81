"""Emerging risks (issue 16): flagged on the risk form (with or without a current rating),
shown as a tag on the register and risk pages, filtered on the register page, and recorded in
the risk's history."""

import pytest
from django.urls import reverse

from registers import history
from registers.models import Risk, Role
from registers.services.organisations import member_add
from tests.factories import RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(organisation):
    return member_add(
        organisation=organisation,
        email="cora@example.test",
        role=Role.COORDINATOR,
        full_name="Cora Coordinator",
    ).user


def create_data(**overrides):
    data = {
        "ref": "EM1",
        "title": "Quantum computers break our encryption",
        "kind": "threat",
        "marking": "OFFICIAL",
        "emerging": "on",
    }
    data.update(overrides)
    return data


def test_form_creates_an_emerging_risk_with_no_rating(client, organisation, coordinator):
    client.force_login(coordinator)
    create = reverse("risk_create", args=[organisation.slug, "corporate"])
    form = client.get(create).content.decode()
    assert 'name="emerging" type="checkbox"' in form and "Emerging risk" in form
    response = client.post(create, create_data())
    assert response.status_code == 302
    risk = Risk.objects.get(organisation=organisation, ref="EM1")
    assert risk.emerging and risk.current_score is None
    page = client.get(response.url).content.decode()
    assert '<strong class="govuk-tag govuk-tag--yellow">Emerging</strong>' in page
    assert "Yes: listed in the reports' emerging risks" in page


def test_form_edit_sets_and_clears_the_flag_and_history_says_so(client, organisation, coordinator):
    risk = RiskFactory(register=corporate_register_of(organisation), ref="EM2", title="Heat")
    assert not risk.emerging
    client.force_login(coordinator)
    edit = reverse("risk_edit", args=[organisation.slug, risk.ref])
    data = {
        "title": "Heat",
        "kind": "threat",
        "marking": "OFFICIAL",
        "current_likelihood": risk.current_likelihood,
        "current_impact": risk.current_impact,
        "target_likelihood": risk.target_likelihood,
        "target_impact": risk.target_impact,
        "version": risk.version,
        "emerging": "on",
    }
    assert client.post(edit, data).status_code == 302
    risk.refresh_from_db()
    assert risk.emerging
    changes = [
        (change.label, change.old, change.new)
        for entry in history.risk_history(risk)
        for change in entry.changes
    ]
    assert ("Emerging", "No", "Yes") in changes
    del data["emerging"]  # an unticked box is not sent
    data["version"] = risk.version
    assert client.post(edit, data).status_code == 302
    risk.refresh_from_db()
    assert not risk.emerging
    # Creation lists only what was set: a risk created not emerging says nothing about it.
    created = history.risk_history(risk)[-1]
    assert created.summary == "Risk created"
    assert not any(change.label == "Emerging" for change in created.changes)


def test_register_page_filters_and_tags_emerging_risks(client, organisation, coordinator):
    register = corporate_register_of(organisation)
    RiskFactory(register=register, ref="EM3", title="Emerging one", emerging=True, positions={})
    RiskFactory(register=register, ref="EM4", title="Settled one")
    client.force_login(coordinator)
    url = reverse("register", args=[organisation.slug, "corporate"])
    whole = client.get(url).content.decode()
    assert "Emerging one" in whole and "Settled one" in whole
    assert whole.count('govuk-tag--yellow">Emerging</strong>') == 1
    only = client.get(url, {"emerging": "yes"}).content.decode()
    assert "Emerging one" in only and "Settled one" not in only
    others = client.get(url, {"emerging": "no"}).content.decode()
    assert "Emerging one" not in others and "Settled one" in others
    bad = client.get(url, {"emerging": "maybe"})
    assert bad.status_code == 200  # a bad filter in the address is reported and ignored
    assert "Emerging one" in bad.content.decode() and "Settled one" in bad.content.decode()
