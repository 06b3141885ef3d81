"""GET/PATCH /api/v1/risks/: reach by token and membership, If-Match, validation, withholding."""

import pytest

from api.access import NO_SUCH_RISK
from registers.models import Marking, Risk, Role
from registers.models.risks import TITLE_ONE_LINE
from registers.withholding import WITHHELD
from tests import factories
from tests.queries import assert_same_queries


@pytest.fixture
def coordinator(member):
    return member(Role.COORDINATOR)


def _list(client, organisation, query=""):
    return client.get(f"/api/v1/risks/?organisation={organisation.slug}{query}")


def test_list_gives_the_contract_fields(
    organisation, corporate_register, coordinator, token_for, api
):
    risk = factories.RiskFactory(register=corporate_register)
    _, secret = token_for(coordinator, [organisation])
    response = _list(api(secret), organisation)
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["id"] == risk.pk and item["ref"] == risk.ref and item["title"] == risk.title
    assert item["register"] == "corporate"
    assert item["current_score"] == risk.current_score
    assert item["current_band"] == risk.current_band
    assert item["appetite"]["state"] in {"within", "warning", "breach", "not_set"}


def test_list_needs_the_organisation(organisation, coordinator, token_for, api):
    _, secret = token_for(coordinator, [organisation])
    response = api(secret).get("/api/v1/risks/")
    assert response.status_code == 400
    assert "organisation" in response.json()


def test_other_organisations_are_404(
    organisation, other_organisation, corporate_register, coordinator, token_for, api
):
    theirs = factories.RiskFactory(register=factories.corporate_register_of(other_organisation))
    _, secret = token_for(coordinator, [organisation])
    client = api(secret)
    assert _list(client, other_organisation).status_code == 404
    assert client.get(f"/api/v1/risks/{theirs.pk}/").status_code == 404
    assert (
        client.patch(f"/api/v1/risks/{theirs.pk}/", {"title": "x"}, HTTP_IF_MATCH='"1"').status_code
        == 404
    )
    assert client.get("/api/v1/risks/999999/").status_code == 404
    assert client.get("/api/v1/risks/abc/").status_code == 404


def test_an_organisation_the_token_does_not_cover_is_404(
    organisation, other_organisation, corporate_register, coordinator, token_for, api
):
    factories.MembershipFactory(
        organisation=other_organisation, user=coordinator, role=Role.COORDINATOR
    )
    theirs = factories.RiskFactory(register=factories.corporate_register_of(other_organisation))
    _, secret = token_for(coordinator, [organisation])
    client = api(secret)
    assert _list(client, other_organisation).status_code == 404
    assert client.get(f"/api/v1/risks/{theirs.pk}/").status_code == 404


def test_get_gives_an_etag_and_patch_writes_with_a_reason(
    organisation, corporate_register, coordinator, token_for, api
):
    risk = factories.RiskFactory(register=corporate_register)
    _, secret = token_for(coordinator, [organisation], read_only=False, name="nightly")
    client = api(secret)
    response = client.get(f"/api/v1/risks/{risk.pk}/")
    etag = response["ETag"]
    assert etag == f'"{risk.version}"'
    response = client.patch(
        f"/api/v1/risks/{risk.pk}/",
        {"title": "Renamed", "current_likelihood": 1, "current_impact": 1},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.json()
    risk.refresh_from_db()
    assert risk.title == "Renamed"
    assert risk.current_score is not None and response.json()["current_score"] == risk.current_score
    assert risk.history.first().history_change_reason == "via the API by nightly"
    assert response["ETag"] == f'"{risk.version}"'


def test_a_stale_or_missing_if_match_is_412(
    organisation, corporate_register, coordinator, token_for, api
):
    risk = factories.RiskFactory(register=corporate_register)
    _, secret = token_for(coordinator, [organisation], read_only=False)
    client = api(secret)
    url = f"/api/v1/risks/{risk.pk}/"
    assert client.patch(url, {"title": "x"}, format="json").status_code == 412
    stale = f'"{risk.version - 1}"'
    assert client.patch(url, {"title": "x"}, format="json", HTTP_IF_MATCH=stale).status_code == 412
    assert Risk.objects.get(pk=risk.pk).title == risk.title


def test_a_read_only_token_cannot_write(
    organisation, corporate_register, coordinator, token_for, api, caplog
):
    risk = factories.RiskFactory(register=corporate_register)
    _, secret = token_for(coordinator, [organisation], read_only=True)
    with caplog.at_level("WARNING", logger="riskreg.security"):
        response = api(secret).patch(
            f"/api/v1/risks/{risk.pk}/",
            {"title": "x"},
            format="json",
            HTTP_IF_MATCH=f'"{risk.version}"',
        )
    assert response.status_code == 403
    assert "read-only" in caplog.text


def test_a_member_who_may_not_edit_gets_403(
    organisation, corporate_register, member, token_for, api
):
    risk = factories.RiskFactory(register=corporate_register)
    _, secret = token_for(member(Role.VIEWER), [organisation], read_only=False)
    response = api(secret).patch(
        f"/api/v1/risks/{risk.pk}/",
        {"title": "x"},
        format="json",
        HTTP_IF_MATCH=f'"{risk.version}"',
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": ""}, "title"),
        ({"current_likelihood": 2}, "current_impact"),
        ({"current_likelihood": 9, "current_impact": 9}, None),
        ({"next_review_due": "someday"}, "next_review_due"),
    ],
)
def test_bad_input_is_400_with_field_errors(
    organisation, corporate_register, coordinator, token_for, api, body, field
):
    risk = factories.RiskFactory(register=corporate_register)
    _, secret = token_for(coordinator, [organisation], read_only=False)
    response = api(secret).patch(
        f"/api/v1/risks/{risk.pk}/", body, format="json", HTTP_IF_MATCH=f'"{risk.version}"'
    )
    assert response.status_code == 400
    if field:
        assert field in response.json()


def test_sensitive_detail_is_withheld_from_members_not_cleared(
    organisation, corporate_register, member, token_for, api
):
    risk = factories.RiskFactory(register=corporate_register, description="Secret cause")
    Risk.objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    _, viewer_secret = token_for(member(Role.VIEWER), [organisation])
    _, coordinator_secret = token_for(member(Role.COORDINATOR), [organisation])
    seen = api(viewer_secret).get(f"/api/v1/risks/{risk.pk}/").json()
    assert seen["withheld"] is True and seen["description"] == WITHHELD
    listed = _list(api(viewer_secret), organisation).json()["results"][0]
    assert "Secret cause" not in str(listed)
    assert (
        api(coordinator_secret).get(f"/api/v1/risks/{risk.pk}/").json()["description"]
        == "Secret cause"
    )


def test_filters_fields_and_pages(organisation, corporate_register, coordinator, token_for, api):
    for _ in range(3):
        factories.RiskFactory(register=corporate_register)
    closed = factories.RiskFactory(register=corporate_register)
    Risk.objects.filter(pk=closed.pk).update(status="closed", closed_reason="Gone")
    _, secret = token_for(coordinator, [organisation])
    client = api(secret)
    assert [r["id"] for r in _list(client, organisation, "&status=closed").json()["results"]] == [
        closed.pk
    ]
    assert _list(client, organisation, "&register=nope").json()["results"] == []
    assert _list(client, organisation, "&appetite=bogus").status_code == 400
    assert set(_list(client, organisation, "&fields=ref").json()["results"][0]) == {"id", "ref"}
    page = _list(client, organisation, "&page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 2 and rest["next"] is None


def test_session_writes_need_csrf(organisation, corporate_register, coordinator):
    from rest_framework.test import APIClient

    risk = factories.RiskFactory(register=corporate_register)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(coordinator)
    assert client.get(f"/api/v1/risks/{risk.pk}/").status_code == 200
    response = client.patch(
        f"/api/v1/risks/{risk.pk}/",
        {"title": "x"},
        format="json",
        HTTP_IF_MATCH=f'"{risk.version}"',
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_the_list_costs_the_same_queries_whatever_its_length(
    organisation, corporate_register, coordinator, token_for, api
):
    _, secret = token_for(coordinator, [organisation])
    client = api(secret)
    factories.RiskFactory(register=corporate_register)

    def fetch():
        assert _list(client, organisation).status_code == 200

    def grow():
        for _ in range(5):
            factories.RiskFactory(register=corporate_register)

    fetch()  # the token's last use is written at most once a minute: out of the comparison
    assert_same_queries(fetch, grow, at_most=6)


def test_another_organisations_risk_and_no_risk_get_the_same_404(
    organisation, other_organisation, corporate_register, coordinator, token_for, api
):
    """The answer told a caller which ids other organisations hold ("No such organisation" for
    theirs, "No such risk" for none), on the risk and on its children (decision 122)."""
    theirs = factories.RiskFactory(register=factories.corporate_register_of(other_organisation))
    _, secret = token_for(coordinator, [organisation])
    client = api(secret)
    for tail in ("", "controls/", "actions/", "reviews/", "history/"):
        missing = client.get(f"/api/v1/risks/999999/{tail}")
        other = client.get(f"/api/v1/risks/{theirs.pk}/{tail}")
        assert missing.status_code == other.status_code == 404, tail
        assert other.json() == missing.json() == {"detail": NO_SUCH_RISK}, tail


def test_a_title_of_more_than_one_line_is_refused(
    organisation, corporate_register, coordinator, token_for, api
):
    risk = factories.RiskFactory(register=corporate_register, title="Flood")
    _, secret = token_for(coordinator, [organisation], read_only=False)
    response = api(secret).patch(
        f"/api/v1/risks/{risk.pk}/",
        {"title": "Flood\nat the depot"},
        format="json",
        HTTP_IF_MATCH=f'"{risk.version}"',
    )
    assert response.status_code == 400
    assert response.json() == {"title": [TITLE_ONE_LINE]}
    risk.refresh_from_db()
    assert risk.title == "Flood" and risk.version == 1
