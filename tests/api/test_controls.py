"""/api/v1/risks/<pk>/controls/: reach, the read-only flag and the role before anything is
written, the page's validation as field errors, If-Match with the control's version, withholding,
history's reason and flat queries."""

import pytest

from api.children import IF_MATCH_STALE, OWNER_UNKNOWN
from registers.forms import ControlForm
from registers.models import Control, Marking, Risk, Role
from registers.services.treatments import control_update
from registers.withholding import WITHHELD_SHORT
from tests import factories
from tests.queries import assert_same_queries

DESCRIBE_THE_CONTROL = ControlForm.base_fields["description"].error_messages["required"]


@pytest.fixture
def coordinator(member):
    return member(Role.COORDINATOR, user__full_name="Cora Coordinator")


@pytest.fixture
def risk(corporate_register):
    return factories.RiskFactory(register=corporate_register)


@pytest.fixture
def writer(coordinator, organisation, token_for, api):
    _, secret = token_for(coordinator, [organisation], read_only=False, name="nightly")
    return api(secret)


def _url(risk, control=None):
    base = f"/api/v1/risks/{risk.pk}/controls/"
    return f"{base}{control.pk}/" if control else base


def test_list_and_detail(risk, coordinator, writer):
    control = factories.ControlFactory(
        risk=risk, description="Flood barriers", owner=coordinator, effectiveness="effective"
    )
    listed = writer.get(_url(risk))
    assert listed.status_code == 200
    [item] = listed.json()["results"]
    assert item["description"] == "Flood barriers"
    assert item["owner"] == coordinator.email and item["owner_name"] == "Cora Coordinator"
    assert item["effectiveness"] == "effective" and item["withheld"] is False
    detail = writer.get(_url(risk, control))
    assert detail.status_code == 200 and detail["ETag"] == f'"{control.version}"'


def test_another_organisations_risk_or_control_is_404(
    risk, other_organisation, organisation, coordinator, token_for, api
):
    theirs = factories.RiskFactory(register=factories.corporate_register_of(other_organisation))
    their_control = factories.ControlFactory(risk=theirs)
    _, secret = token_for(coordinator, [organisation], read_only=False)
    client = api(secret)
    assert client.get(_url(theirs)).status_code == 404
    assert client.post(_url(theirs), {"description": "x"}, format="json").status_code == 404
    assert client.get(_url(theirs, their_control)).status_code == 404
    # Their control under our risk's URL.
    assert client.get(f"{_url(risk)}{their_control.pk}/").status_code == 404
    response = client.patch(
        f"{_url(risk)}{their_control.pk}/",
        {"description": "x"},
        format="json",
        HTTP_IF_MATCH=f'"{their_control.version}"',
    )
    assert response.status_code == 404
    assert Control.objects.get(pk=their_control.pk).description == their_control.description


def test_a_risk_the_token_does_not_cover_is_404(
    organisation, other_organisation, coordinator, token_for, api
):
    factories.MembershipFactory(
        organisation=other_organisation, user=coordinator, role=Role.COORDINATOR
    )
    theirs = factories.RiskFactory(register=factories.corporate_register_of(other_organisation))
    _, secret = token_for(coordinator, [organisation], read_only=False)
    client = api(secret)
    assert client.get(_url(theirs)).status_code == 404
    assert client.post(_url(theirs), {"description": "x"}, format="json").status_code == 404
    assert not Control.objects.filter(risk=theirs).exists()


def test_create_writes_through_the_service_with_the_tokens_reason(risk, coordinator, writer):
    response = writer.post(
        _url(risk),
        {"description": "Sandbags", "owner": coordinator.email.upper(), "assurance": "Audit"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    control = Control.objects.get(risk=risk)
    assert control.description == "Sandbags" and control.owner == coordinator
    assert control.effectiveness == "not_assessed"
    assert response.json()["id"] == control.pk and response["ETag"] == '"1"'
    record = control.history.first()
    assert record.history_change_reason == "via the API by nightly"
    assert record.history_user == coordinator


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"assurance": "x"}, "description", DESCRIBE_THE_CONTROL),
        ({"description": "  "}, "description", DESCRIBE_THE_CONTROL),
        ({"description": "x", "effectiveness": "superb"}, "effectiveness", None),
        ({"description": "x", "owner": "nobody@example.org"}, "owner", None),
        ({"description": "x", "colour": "red"}, "colour", None),
        ({"description": ["x"]}, "description", None),
    ],
)
def test_bad_input_is_400_with_field_errors_and_nothing_written(risk, writer, body, field, message):
    response = writer.post(_url(risk), body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    if message:
        assert response.json()[field] == [message]
    assert not Control.objects.filter(risk=risk).exists()


def test_an_owner_who_may_not_own_is_named_as_unknown(risk, member, organisation, writer):
    viewer = member(Role.VIEWER)
    response = writer.post(_url(risk), {"description": "x", "owner": viewer.email}, format="json")
    assert response.status_code == 400
    assert response.json()["owner"] == [
        OWNER_UNKNOWN.format(
            organisation=organisation.display_name, nouns="controls", email=viewer.email
        )
    ]


def test_a_read_only_token_or_a_viewer_cannot_write(
    risk, coordinator, member, organisation, token_for, api
):
    control = factories.ControlFactory(risk=risk, description="Kept")
    _, read_only = token_for(coordinator, [organisation], read_only=True)
    _, viewer = token_for(member(Role.VIEWER), [organisation], read_only=False)
    for secret in (read_only, viewer):
        client = api(secret)
        assert client.post(_url(risk), {"description": "x"}, format="json").status_code == 403
        response = client.patch(
            _url(risk, control),
            {"description": "Changed"},
            format="json",
            HTTP_IF_MATCH=f'"{control.version}"',
        )
        assert response.status_code == 403
    assert list(Control.objects.filter(risk=risk).values_list("description", flat=True)) == ["Kept"]


def test_patch_with_the_etag_writes_and_gives_the_new_one(risk, coordinator, writer):
    control = factories.ControlFactory(risk=risk, description="Old", assurance="Audit")
    etag = writer.get(_url(risk, control))["ETag"]
    response = writer.patch(
        _url(risk, control),
        {"description": "New", "effectiveness": "partially_effective"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.json()
    control.refresh_from_db()
    assert (control.description, control.effectiveness) == ("New", "partially_effective")
    assert control.assurance == "Audit"  # untouched
    assert response["ETag"] == f'"{control.version}"' != etag
    assert control.history.first().history_change_reason == "via the API by nightly"


def test_patch_can_clear_and_set_the_owner_by_email(risk, coordinator, writer):
    control = factories.ControlFactory(risk=risk, owner=coordinator)
    response = writer.patch(
        _url(risk, control), {"owner": None}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200, response.json()
    assert response.json()["owner"] is None
    response = writer.patch(
        _url(risk, control), {"owner": coordinator.email}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert response.json()["owner"] == coordinator.email


def test_a_stale_or_missing_if_match_is_412_and_nothing_written(risk, writer):
    control = factories.ControlFactory(risk=risk, description="Old")
    url = _url(risk, control)
    assert writer.patch(url, {"description": "x"}, format="json").status_code == 412
    control_update(control=control, description="Theirs")
    response = writer.patch(url, {"description": "Mine"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert response.json()["If-Match"] == [IF_MATCH_STALE.format(noun="control", given="1", now=2)]
    assert Control.objects.get(pk=control.pk).description == "Theirs"


def test_a_conflict_found_by_the_service_is_412(risk, writer, monkeypatch):
    """Someone saves the same field between our read and our write: control_update's own
    conflict (TreatmentConflict) is a 412, not a silent overwrite."""
    import api.views_treatments as views

    control = factories.ControlFactory(risk=risk, description="Old")
    real = views.control_for_user

    def read_then_someone_saves(**kwargs):
        found = real(**kwargs)
        control_update(control=Control.objects.get(pk=found.pk), description="Theirs")
        return found  # still at version 1

    monkeypatch.setattr(views, "control_for_user", read_then_someone_saves)
    response = writer.patch(
        _url(risk, control), {"description": "Mine"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 412
    assert Control.objects.get(pk=control.pk).description == "Theirs"


def test_patch_validation_is_400_and_nothing_written(risk, writer):
    control = factories.ControlFactory(risk=risk, description="Old")
    url = _url(risk, control)
    for body in ({"description": ""}, {}, {"version": 3}):
        response = writer.patch(url, body, format="json", HTTP_IF_MATCH='"1"')
        assert response.status_code == 400, body
    assert writer.patch(url, {"description": ""}, format="json", HTTP_IF_MATCH='"1"').json() == {
        "description": [DESCRIBE_THE_CONTROL]
    }
    control.refresh_from_db()
    assert (control.description, control.version) == ("Old", 1)


def test_a_sensitive_risks_controls_are_withheld_from_the_uncleared(
    risk, member, organisation, token_for, api
):
    factories.ControlFactory(risk=risk, description="Secret barrier", assurance="Secret audit")
    Risk.objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    _, secret = token_for(member(Role.VIEWER), [organisation])
    [item] = api(secret).get(_url(risk)).json()["results"]
    assert item["withheld"] is True
    assert item["description"] == WITHHELD_SHORT and item["assurance"] == ""
    assert "Secret" not in str(item)


def test_the_list_costs_the_same_queries_whatever_its_length(risk, writer):
    factories.ControlFactory(risk=risk)

    def fetch():
        assert writer.get(_url(risk)).status_code == 200

    def grow():
        for _ in range(5):
            factories.ControlFactory(
                risk=risk,
                owner=factories.MembershipFactory(
                    organisation=risk.organisation, role=Role.OWNER
                ).user,
            )

    fetch()
    assert_same_queries(fetch, grow, at_most=12)


def test_a_session_write_needs_csrf(risk, coordinator):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(coordinator)
    assert client.get(_url(risk)).status_code == 200
    response = client.post(_url(risk), {"description": "x"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert not Control.objects.filter(risk=risk).exists()
