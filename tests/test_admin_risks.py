"""Risks, controls, actions and reviews in the Django admin (decision 117): a risk is changed
through the risk services (the engine's rating, the version, a history reason), the others are
read here and changed on their risk's page."""

import pytest
from django.urls import reverse

from registers.models import Register, Role
from registers.services.risks import risk_update, scheme_version_for_register
from riskreg.admin.risks import RISK_CHANGED_IN_ADMIN, RISK_EDITABLE, RISK_STALE
from scoring.engine import rate
from tests.factories import (
    ActionFactory,
    ControlFactory,
    MembershipFactory,
    OrganisationFactory,
    RiskFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation_admin(organisation):
    user = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def risk(corporate_register):
    return RiskFactory(register=corporate_register, ref="CRR17", title="Data loss")


def change_data(risk, **changes) -> dict:
    """The admin's change form as it was opened, with ``changes`` typed in."""
    data = {"loaded_version": risk.version}
    for name in RISK_EDITABLE:
        if name in ("objectives", "leads"):
            data[name] = [str(pk) for pk in getattr(risk, name).values_list("pk", flat=True)]
            continue
        value = getattr(risk, f"{name}_id" if name in ("category", "owner", "manager") else name)
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = str(value)
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def change_url(risk) -> str:
    return reverse("admin:registers_risk_change", args=[risk.pk])


def test_a_rating_changed_in_the_admin_is_made_by_the_engine_with_a_new_version(
    client, organisation_admin, risk
):
    client.force_login(organisation_admin)
    version = risk.version
    response = client.post(
        change_url(risk), change_data(risk, current_likelihood="4", current_impact="4")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    risk.refresh_from_db()
    expected = rate(scheme_version_for_register(risk.register).parsed, 4, 4)
    assert (risk.current_likelihood, risk.current_impact) == (4, 4)
    assert risk.current_score == expected.score
    assert risk.current_band == expected.band.name
    assert risk.version == version + 1
    assert risk.history.first().history_change_reason == RISK_CHANGED_IN_ADMIN


def test_an_admin_form_opened_before_another_save_is_refused_not_written_over_it(
    client, organisation_admin, risk
):
    client.force_login(organisation_admin)
    opened = change_data(risk, title="Admin's title")
    risk_update(risk=risk, expected_version=risk.version, fields={"title": "Web title"})
    response = client.post(change_url(risk), opened)
    assert response.status_code == 200
    assert RISK_STALE.format(ref="CRR17") in response.content.decode().replace("&#x27;", "'")
    risk.refresh_from_db()
    assert risk.title == "Web title"


def test_an_admin_save_that_changes_nothing_makes_no_new_version(client, organisation_admin, risk):
    client.force_login(organisation_admin)
    version = risk.version
    assert client.post(change_url(risk), change_data(risk)).status_code == 302
    risk.refresh_from_db()
    assert risk.version == version


def test_the_scores_band_and_version_are_not_fields_of_the_admin_form(
    client, organisation_admin, risk
):
    client.force_login(organisation_admin)
    page = client.get(change_url(risk)).content.decode()
    for name in ("current_score", "current_band", "scheme_version", "version", "status", "ref"):
        assert f'name="{name}"' not in page
    assert 'name="loaded_version"' in page
    assert f'href="/o/{risk.organisation.slug}/risks/CRR17/"' in page


def test_a_risk_added_in_the_admin_is_rated_by_the_engine(
    client, organisation_admin, corporate_register
):
    client.force_login(organisation_admin)
    response = client.post(
        reverse("admin:registers_risk_add"),
        {
            "register": corporate_register.pk,
            "ref": "NEW-1",
            "title": "New risk",
            "kind": "threat",
            "marking": "OFFICIAL",
            "current_likelihood": "4",
            "current_impact": "4",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    added = corporate_register.risks.get(ref="NEW-1")
    expected = rate(scheme_version_for_register(corporate_register).parsed, 4, 4)
    assert added.current_score == expected.score
    assert added.scheme_version_id is not None
    assert added.history.first().history_change_reason == "added in the admin"


@pytest.mark.parametrize("factory", [ControlFactory, ActionFactory])
def test_controls_and_actions_are_read_here_and_changed_on_the_risk_page(
    client, organisation_admin, risk, factory
):
    row = factory(risk=risk, organisation=risk.organisation, description="Before")
    name = row._meta.model_name
    client.force_login(organisation_admin)
    url = reverse(f"admin:registers_{name}_change", args=[row.pk])
    page = client.get(url).content.decode()
    assert f'href="/o/{risk.organisation.slug}/risks/CRR17/"' in page
    response = client.post(
        url, {"description": "After", "risk": risk.pk, "position": 0, "status": "not_started"}
    )
    assert response.status_code == 403
    row.refresh_from_db()
    assert (row.description, row.version) == ("Before", 1)
    assert client.get(reverse(f"admin:registers_{name}_add")).status_code == 403


@pytest.mark.parametrize(
    "model",
    [
        "registers_membership",
        "registers_category",
        "registers_objective",
        "registers_register",
        "registers_risk",
    ],
)
def test_the_organisation_filter_names_no_other_organisation(
    client, organisation_admin, risk, model
):
    other = OrganisationFactory(name="Elsewhere Constabulary")
    RiskFactory(register=Register.objects.get(organisation=other, slug="corporate"))
    client.force_login(organisation_admin)
    page = client.get(reverse(f"admin:{model}_changelist")).content.decode()
    assert "Elsewhere Constabulary" not in page


def test_the_pack_logo_is_not_uploaded_in_the_admin(client, organisation_admin, organisation):
    client.force_login(organisation_admin)
    page = client.get(
        reverse("admin:registers_organisation_change", args=[organisation.pk])
    ).content.decode()
    assert 'name="pack_logo"' not in page


def test_a_position_off_the_scheme_is_its_fields_error(client, organisation_admin, risk):
    client.force_login(organisation_admin)
    version = risk.version
    response = client.post(
        change_url(risk), change_data(risk, current_likelihood="9", current_impact="4")
    )
    assert response.status_code == 200
    assert "current_likelihood" in response.context["adminform"].form.errors
    risk.refresh_from_db()
    assert risk.version == version


def test_reverting_to_an_earlier_record_goes_through_the_service(client, organisation_admin, risk):
    first = risk.history.earliest()
    risk_update(risk=risk, expected_version=risk.version, fields={"title": "Renamed"})
    client.force_login(organisation_admin)
    url = reverse("admin:registers_risk_simple_history", args=[risk.pk, first.history_id])
    page = client.get(url)
    assert page.status_code == 200
    risk.refresh_from_db()
    form = page.context["adminform"].form
    assert form.initial["loaded_version"] == risk.version
    data = change_data(risk, title=first.title)
    assert client.post(url, data).status_code == 302
    risk.refresh_from_db()
    assert risk.title == first.title
    assert risk.history.first().history_change_reason == RISK_CHANGED_IN_ADMIN


def test_the_admin_form_shows_every_field_the_service_changes():
    from registers.services.risks import EDITABLE_FIELDS

    assert set(EDITABLE_FIELDS) <= set(RISK_EDITABLE)
