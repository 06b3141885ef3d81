"""/api/v1/risks/<pk>/actions/: as controls, plus what an action's owner may change (its status
and progress note, as on the risk page) and the dates and states an action carries."""

import datetime as dt

import pytest

from api.children import WITHHELD_WRITE
from api.views_treatments import ACTION_OWNER_ONLY
from registers.forms import ActionForm
from registers.models import Action, ActionStatus, Marking, Risk, Role
from registers.withholding import WITHHELD_SHORT
from tests import factories
from tests.queries import assert_same_queries

DESCRIBE_THE_ACTION = ActionForm.base_fields["description"].error_messages["required"]


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


def _url(risk, action=None):
    base = f"/api/v1/risks/{risk.pk}/actions/"
    return f"{base}{action.pk}/" if action else base


def test_create_with_status_due_date_progress_and_owner(risk, coordinator, writer):
    response = writer.post(
        _url(risk),
        {
            "description": "Raise the wall",
            "owner": coordinator.email,
            "due_date": "2027-03-31",
            "status": "in_progress",
            "priority": "high",
            "progress_note": "Quotes in",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    action = Action.objects.get(risk=risk)
    assert action.owner == coordinator and action.due_date == dt.date(2027, 3, 31)
    assert (action.status, action.priority, action.progress_note) == (
        "in_progress",
        "high",
        "Quotes in",
    )
    assert response["ETag"] == '"1"' and response.json()["due_date"] == "2027-03-31"
    assert action.history.first().history_change_reason == "via the API by nightly"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"status": "in_progress"}, "description"),
        ({"description": "x", "due_date": "someday"}, "due_date"),
        ({"description": "x", "status": "finished"}, "status"),
        ({"description": "x", "priority": "urgent"}, "priority"),
        ({"description": "x", "owner": "nobody@example.org"}, "owner"),
    ],
)
def test_bad_input_is_400_with_field_errors_and_nothing_written(risk, writer, body, field):
    response = writer.post(_url(risk), body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Action.objects.filter(risk=risk).exists()


def test_a_missing_description_says_what_the_page_says(risk, writer):
    response = writer.post(_url(risk), {"status": "in_progress"}, format="json")
    assert response.json() == {"description": [DESCRIBE_THE_ACTION]}


def test_isolation_and_write_refusals(
    risk, coordinator, member, organisation, other_organisation, token_for, api
):
    theirs = factories.RiskFactory(register=factories.corporate_register_of(other_organisation))
    their_action = factories.ActionFactory(risk=theirs)
    mine = factories.ActionFactory(risk=risk, description="Kept")
    _, read_only = token_for(coordinator, [organisation], read_only=True)
    _, viewer = token_for(member(Role.VIEWER), [organisation], read_only=False)
    _, writer = token_for(coordinator, [organisation], read_only=False, name="writer")
    client = api(writer)
    assert client.get(_url(theirs)).status_code == 404
    assert client.get(_url(theirs, their_action)).status_code == 404
    assert client.get(f"{_url(risk)}{their_action.pk}/").status_code == 404
    for secret in (read_only, viewer):
        response = api(secret).patch(
            _url(risk, mine), {"description": "x"}, format="json", HTTP_IF_MATCH='"1"'
        )
        assert response.status_code == 403
        assert api(secret).post(_url(risk), {"description": "x"}, format="json").status_code == 403
    assert list(Action.objects.values_list("description", flat=True).order_by("id")) == [
        their_action.description,
        "Kept",
    ]


def test_patch_completes_with_if_match_and_412_when_stale(risk, writer):
    action = factories.ActionFactory(risk=risk, description="Raise the wall")
    url = _url(risk, action)
    assert writer.patch(url, {"status": "completed"}, format="json").status_code == 412
    response = writer.patch(
        url,
        {"status": "completed", "progress_note": "Done"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    action.refresh_from_db()
    assert action.status == ActionStatus.COMPLETED and action.completed_at is not None
    assert response["ETag"] == '"2"' and response.json()["progress_note"] == "Done"
    stale = writer.patch(url, {"progress_note": "Later"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert Action.objects.get(pk=action.pk).progress_note == "Done"


def test_the_actions_owner_changes_status_and_progress_only(
    risk, member, organisation, token_for, api
):
    owner = member(Role.OWNER)
    action = factories.ActionFactory(risk=risk, owner=owner, description="Raise the wall")
    _, secret = token_for(owner, [organisation], read_only=False, name="mine")
    client = api(secret)
    url = _url(risk, action)
    refused = client.patch(
        url,
        {"description": "Lower it", "status": "in_progress"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == ACTION_OWNER_ONLY.format(fields="description")
    response = client.patch(
        url,
        {"status": "in_progress", "progress_note": "Started"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    action.refresh_from_db()
    assert (action.description, action.status, action.progress_note) == (
        "Raise the wall",
        "in_progress",
        "Started",
    )
    assert action.history.first().history_change_reason == "via the API by mine"
    assert client.post(_url(risk), {"description": "x"}, format="json").status_code == 403


def test_a_sensitive_risks_actions_are_withheld_and_not_written_by_the_uncleared(
    risk, member, organisation, token_for, api
):
    owner = member(Role.OWNER)
    action = factories.ActionFactory(
        risk=risk, owner=owner, description="Secret plan", progress_note="Secret progress"
    )
    Risk.objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    _, secret = token_for(owner, [organisation], read_only=False)
    client = api(secret)
    [item] = client.get(_url(risk)).json()["results"]
    assert item["withheld"] is True and item["description"] == WITHHELD_SHORT
    assert "Secret" not in str(item)
    assert "Secret" not in str(client.get(_url(risk, action)).json())
    response = client.patch(
        _url(risk, action), {"status": "in_progress"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 403
    assert response.json()["detail"] == WITHHELD_WRITE
    assert Action.objects.get(pk=action.pk).status == ActionStatus.NOT_STARTED


def test_the_list_costs_the_same_queries_whatever_its_length(risk, organisation, writer):
    factories.ActionFactory(risk=risk)

    def fetch():
        assert writer.get(_url(risk)).status_code == 200

    def grow():
        for _ in range(5):
            owner = factories.MembershipFactory(organisation=organisation, role=Role.OWNER).user
            factories.ActionFactory(risk=risk, owner=owner)

    fetch()
    assert_same_queries(fetch, grow, at_most=12)
