"""/api/v1/risks/<pk>/reviews/: a review recorded through review_record with the risk's ETag as
If-Match, the review form's validation, sign-off as the register sets it, withholding."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from api.serializers_children import REVIEW_AWAITING_SIGN_OFF
from registers.models import Marking, Review, ReviewState, Risk, Role
from registers.services.reviews import RESCORE_UNCHANGED, REVIEW_BEFORE_LAST
from registers.services.sign_off import review_sign_off
from registers.withholding import WITHHELD_SHORT
from tests import factories
from tests.queries import assert_same_queries


@pytest.fixture
def coordinator(member):
    return member(Role.COORDINATOR)


@pytest.fixture
def owner(member):
    return member(Role.OWNER)


@pytest.fixture
def risk(corporate_register, owner):
    return factories.RiskFactory(register=corporate_register, owner=owner)


@pytest.fixture
def writer(coordinator, organisation, token_for, api):
    _, secret = token_for(coordinator, [organisation], read_only=False, name="nightly")
    return api(secret)


def _url(risk):
    return f"/api/v1/risks/{risk.pk}/reviews/"


def _review(client, risk, body, version=None):
    version = risk.version if version is None else version
    return client.post(_url(risk), body, format="json", HTTP_IF_MATCH=f'"{version}"')


def test_a_no_change_review_is_recorded(risk, coordinator, writer):
    response = _review(writer, risk, {"note": "Still holds"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "recorded" and body["awaiting_sign_off"] is False
    assert body["rescored"] is False and body["reviewed_by"] == coordinator.email
    risk.refresh_from_db()
    assert risk.last_reviewed == timezone.localdate()
    assert body["risk_version"] == risk.version
    review = Review.objects.get(risk=risk)
    assert review.note == "Still holds" and review.reviewed_by == coordinator
    # The risk's history says the API recorded it, and by which token, as other API writes do.
    reason = risk.history.latest().history_change_reason
    assert reason == "reviewed, no change via the API by nightly: Still holds"


def test_a_rescore_rates_through_the_scheme(risk, writer):
    response = _review(writer, risk, {"current_likelihood": 2, "current_impact": 2, "note": ""})
    assert response.status_code == 201, response.json()
    risk.refresh_from_db()
    assert (risk.current_likelihood, risk.current_impact) == (2, 2)
    assert response.json()["rescored"] is True
    assert risk.history.latest().history_change_reason == "re-scored via the API by nightly"


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "note"),  # a no-change review needs the period's update
        ({"note": "x", "reviewed_on": "someday"}, "reviewed_on"),
        ({"current_likelihood": 9, "current_impact": 9}, "current_likelihood"),
        ({"outcome": "rescore", "note": "x"}, "current_likelihood"),
        ({"outcome": "maybe", "note": "x"}, "outcome"),
        ({"note": "x", "mood": "calm"}, "mood"),
    ],
)
def test_bad_input_is_400_with_field_errors_and_nothing_written(risk, writer, body, field):
    response = _review(writer, risk, body)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Review.objects.filter(risk=risk).exists()
    assert Risk.objects.get(pk=risk.pk).version == risk.version


def test_a_review_dated_in_the_future_is_refused_by_the_service(risk, writer):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = _review(writer, risk, {"note": "x", "reviewed_on": tomorrow.isoformat()})
    assert response.status_code == 400
    assert response.json() == {"reviewed_on": ["A review cannot be dated in the future"]}
    assert not Review.objects.filter(risk=risk).exists()


def test_a_review_dated_before_the_last_is_refused_by_the_service(risk, writer):
    last = timezone.localdate() - dt.timedelta(days=3)
    Risk.objects.filter(pk=risk.pk).update(last_reviewed=last)
    response = _review(writer, risk, {"note": "x", "reviewed_on": "2020-01-01"})
    assert response.status_code == 400
    expected = REVIEW_BEFORE_LAST.format(day=date_format(last, "j F Y"), ref=risk.ref)
    assert response.json() == {"reviewed_on": [expected[0].upper() + expected[1:]]}
    assert not Review.objects.filter(risk=risk).exists()
    assert Risk.objects.get(pk=risk.pk).last_reviewed == last


def test_a_rescore_to_the_current_rating_is_400(risk, writer):
    body = {"current_likelihood": risk.current_likelihood, "current_impact": risk.current_impact}
    response = _review(writer, risk, body)
    assert response.status_code == 400
    expected = RESCORE_UNCHANGED[0].upper() + RESCORE_UNCHANGED[1:]
    assert response.json() == {"current_likelihood": [expected]}
    assert not Review.objects.filter(risk=risk).exists()


def test_a_stale_or_missing_if_match_is_412(risk, writer):
    assert writer.post(_url(risk), {"note": "x"}, format="json").status_code == 412
    assert _review(writer, risk, {"note": "x"}, version=risk.version - 1).status_code == 412
    assert not Review.objects.filter(risk=risk).exists()


def test_isolation_read_only_and_role(
    risk, coordinator, member, organisation, other_organisation, token_for, api
):
    theirs = factories.RiskFactory(register=factories.corporate_register_of(other_organisation))
    _, writer = token_for(coordinator, [organisation], read_only=False, name="writer")
    assert api(writer).get(_url(theirs)).status_code == 404
    assert _review(api(writer), theirs, {"note": "x"}).status_code == 404
    _, read_only = token_for(coordinator, [organisation], read_only=True)
    _, viewer = token_for(member(Role.VIEWER), [organisation], read_only=False)
    for secret in (read_only, viewer):
        assert _review(api(secret), risk, {"note": "x"}).status_code == 403
    assert not Review.objects.exists()


def test_on_a_register_requiring_sign_off_the_owners_review_awaits_it(
    risk, owner, corporate_register, organisation, token_for, api, member, client
):
    corporate_register.sign_off_required = True
    corporate_register.save()
    _, secret = token_for(owner, [organisation], read_only=False)
    response = _review(api(secret), risk, {"current_likelihood": 2, "current_impact": 2})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == ReviewState.SUBMITTED and body["awaiting_sign_off"] is True
    assert body["message"] == REVIEW_AWAITING_SIGN_OFF.format(ref=risk.ref)
    assert body["risk_version"] == risk.version
    unchanged = Risk.objects.get(pk=risk.pk)
    assert (unchanged.current_likelihood, unchanged.version) == (risk.current_likelihood, 1)
    listed = api(secret).get(_url(risk)).json()["results"]
    assert [r["awaiting_sign_off"] for r in listed] == [True]
    # The sign-off page says how it came, and once signed off the risk's history says so too.
    coordinator, review = member(Role.COORDINATOR), Review.objects.get(risk=risk)
    client.force_login(coordinator)
    page = client.get(
        reverse("review_decide", args=[organisation.slug, risk.ref, review.pk])
    ).content.decode()
    assert "as a review dated" in page and ", via the API by script</dd>" in page
    review_sign_off(review=review, user=coordinator)
    reason = Risk.objects.get(pk=risk.pk).history.latest().history_change_reason
    assert reason.startswith("signed off by ") and reason.endswith(
        ", submitted via the API by script"
    )


def test_a_coordinators_review_on_such_a_register_applies(risk, corporate_register, writer):
    corporate_register.sign_off_required = True
    corporate_register.save()
    response = _review(writer, risk, {"note": "Fine"})
    assert response.json()["state"] == ReviewState.RECORDED


def test_notes_of_a_sensitive_risk_are_withheld_from_the_uncleared(
    risk, member, organisation, writer, token_for, api
):
    _review(writer, risk, {"note": "Secret update"})
    Risk.objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    _, secret = token_for(member(Role.VIEWER), [organisation])
    [item] = api(secret).get(_url(risk)).json()["results"]
    assert item["withheld"] is True and item["note"] == WITHHELD_SHORT
    assert "Secret" not in str(item)
    [seen] = writer.get(_url(risk)).json()["results"]
    assert seen["note"] == "Secret update"


def test_the_list_costs_the_same_queries_whatever_its_length(risk, coordinator, writer):
    from registers.services.reviews import review_record

    def review():
        fresh = Risk.objects.get(pk=risk.pk)
        review_record(risk=fresh, user=coordinator, expected_version=fresh.version, note="n")

    review()

    def fetch():
        assert writer.get(_url(risk)).status_code == 200

    def grow():
        for _ in range(4):
            review()

    fetch()
    assert_same_queries(fetch, grow, at_most=10)
