"""Reviews, re-scores, sign-offs and indicator readings take "today" where the organisation is
(``calendar.organisation_today``), not the server's day (decision 129): near midnight an
organisation far from London was given a review dated the day before, or had a reading of its
own today refused as "in the future".

The clock is held (``timezone.now``) at an instant when the organisation's day and the
server's (Europe/London) differ: Auckland is a day ahead of London, Los Angeles a day behind."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import api_token_create
from registers.models import Indicator, IndicatorReading, Review, ReviewState, Risk, Role
from registers.services.indicators import READING_IN_FUTURE, indicator_add, reading_record
from registers.services.indicators_bulk import ReadingEntry, reading_record_many
from registers.services.organisations import member_add
from registers.services.rescoring import scheme_version_adopt
from registers.services.review_submissions import SIGN_OFF_PENDING_OTHER
from registers.services.reviews import REVIEW_IN_FUTURE, review_record
from registers.services.risks import risk_update
from registers.services.risks_bulk import RiskChange, risk_update_many
from registers.services.sign_off import review_sign_off
from scoring.models import Scheme
from tests.factories import OrganisationFactory, RiskFactory, corporate_register_of
from tests.registers.test_rescoring import low_up_to_four

pytestmark = pytest.mark.django_db

# 12:30 on 7 December in London (the server's zone) is 01:30 on 8 December in Auckland.
AUCKLAND_MORNING = dt.datetime(2026, 12, 7, 12, 30, tzinfo=dt.UTC)
# 03:00 on 8 December in London is 19:00 on 7 December in Los Angeles.
LONDON_NIGHT = dt.datetime(2026, 12, 8, 3, 0, tzinfo=dt.UTC)
DEC_7, DEC_8 = dt.date(2026, 12, 7), dt.date(2026, 12, 8)


def held_at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def auckland(db):
    with held_at(AUCKLAND_MORNING):
        assert timezone.localdate() == DEC_7  # the server's day
        yield OrganisationFactory(timezone="Pacific/Auckland")


@pytest.fixture
def los_angeles(db):
    with held_at(LONDON_NIGHT):
        assert timezone.localdate() == DEC_8
        yield OrganisationFactory(timezone="America/Los_Angeles")


def person(organisation, role, name):
    email = f"{name.split()[0].lower()}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


def a_risk(organisation, position=(1, 1), **fields):
    return RiskFactory(
        register=corporate_register_of(organisation), positions={"current": position}, **fields
    )


def reviewed(risk, user, **kwargs):
    risk.refresh_from_db()
    return review_record(risk=risk, user=user, expected_version=risk.version, **kwargs)


# --- reviews ------------------------------------------------------------------------------------


def test_a_review_without_a_date_is_dated_the_organisations_today(auckland):
    risk = a_risk(auckland)
    coordinator = person(auckland, Role.COORDINATOR, "Cora Coordinator")
    review = reviewed(risk, coordinator, note="Still stands")
    risk.refresh_from_db()
    assert review.reviewed_on == risk.last_reviewed == DEC_8


def test_a_review_is_in_the_future_after_the_organisations_today(los_angeles):
    risk = a_risk(los_angeles)
    # Added now: 8 December in London, still 7 December in Los Angeles.
    Risk.objects.filter(pk=risk.pk).update(created_at=LONDON_NIGHT)
    coordinator = person(los_angeles, Role.COORDINATOR, "Cora Coordinator")
    with pytest.raises(ValidationError) as refused:
        reviewed(risk, coordinator, note="Tomorrow's", reviewed_on=DEC_8)
    assert refused.value.message_dict == {"reviewed_on": [REVIEW_IN_FUTURE]}
    # The day it was added, where it was added: not "before it was added".
    assert reviewed(risk, coordinator, note="Today's", reviewed_on=DEC_7).reviewed_on == DEC_7


# --- re-scores bring the next review forward from the organisation's today ----------------------

# ESPO's Very high (5 x 5) is reviewed within three months of the re-score.
VERY_HIGH_DUE = dt.date(2027, 3, 8)


def test_a_rescore_on_the_edit_brings_the_review_forward_from_the_organisations_today(auckland):
    risk = a_risk(auckland)
    risk = risk_update(risk=risk, expected_version=risk.version, positions={"current": (5, 5)})
    assert risk.next_review_due == VERY_HIGH_DUE


def test_a_rescore_of_many_at_once_does_too(auckland):
    risk = a_risk(auckland)
    (saved,) = risk_update_many(
        changes=[RiskChange(risk.pk, risk.version, positions={"current": (5, 5)})], reason="file"
    )
    assert saved.next_review_due == VERY_HIGH_DUE


def test_a_new_scheme_version_rerates_from_the_organisations_today(auckland):
    admin = person(auckland, Role.ADMIN, "Ada Admin")
    risk = a_risk(auckland, position=(1, 5))  # 5: Low, Medium once the edges move
    scheme = Scheme.objects.get(organisation=auckland, is_default=True)
    scheme_version_adopt(
        scheme=scheme, definition=low_up_to_four(), by=admin, rerate=True, reason="Edges moved"
    )
    risk.refresh_from_db()
    assert risk.current_band == "Medium"
    assert risk.next_review_due == dt.date(2027, 12, 8)  # Medium: within twelve months


# --- sign-off -----------------------------------------------------------------------------------


@pytest.fixture
def signing(auckland):
    register = corporate_register_of(auckland)
    register.sign_off_required = True
    register.save()
    owner = person(auckland, Role.OWNER, "Owen Owner")
    manager = person(auckland, Role.OWNER, "Mina Manager")
    coordinator = person(auckland, Role.COORDINATOR, "Cora Coordinator")
    risk = RiskFactory(
        register=register, owner=owner, manager=manager, positions={"current": (3, 4)}
    )
    return risk, owner, manager, coordinator


def test_a_rating_change_awaiting_sign_off_is_of_the_organisations_today(signing):
    risk, owner, _, _ = signing
    saved = risk_update(
        risk=risk, expected_version=risk.version, positions={"current": (5, 5)}, user=owner
    )
    assert saved.sign_off_submission.reviewed_on == DEC_8


def test_a_signed_off_rating_change_brings_the_review_forward_from_the_organisations_today(
    signing,
):
    risk, owner, _, coordinator = signing
    risk_update(risk=risk, expected_version=risk.version, positions={"current": (5, 5)}, user=owner)
    review = Review.objects.get(risk=risk, state=ReviewState.SUBMITTED)
    review_sign_off(review=review, user=coordinator)
    risk.refresh_from_db()
    assert (risk.current_likelihood, risk.current_impact) == (5, 5)
    assert risk.next_review_due == VERY_HIGH_DUE


def test_someone_elses_update_awaiting_sign_off_is_dated_where_the_organisation_is(signing):
    risk, owner, manager, _ = signing
    reviewed(risk, owner, note="Water over the sill", positions={"current": (4, 4)})
    with pytest.raises(ValidationError) as refused:
        reviewed(risk, manager, note="Mine too", positions={"current": (2, 2)})
    assert refused.value.messages == [
        SIGN_OFF_PENDING_OTHER.format(ref=risk.ref, who="Owen Owner", when="8 December 2026")
    ]


# --- indicator readings -------------------------------------------------------------------------


def an_indicator(organisation):
    owner = person(organisation, Role.COORDINATOR, "Kim Owner")
    risk = a_risk(organisation, ref="KRI1")
    indicator = indicator_add(
        user=owner, risk=risk, name="Ferry delays", amber_from=D(5), red_from=D(10), owner=owner
    )
    return owner, risk, indicator


def test_a_reading_of_the_organisations_today_is_not_in_the_future(auckland):
    owner, _, indicator = an_indicator(auckland)
    reading = reading_record(user=owner, indicator=indicator, taken_on=DEC_8, value=D(3))
    assert reading.taken_on == DEC_8


def test_a_reading_of_the_servers_today_may_be_in_the_future(los_angeles):
    owner, _, indicator = an_indicator(los_angeles)
    with pytest.raises(ValidationError) as refused:
        reading_record(user=owner, indicator=indicator, taken_on=DEC_8, value=D(3))
    assert refused.value.message_dict == {"taken_on": [READING_IN_FUTURE]}


def test_readings_recorded_many_at_once_judge_the_future_the_same_way(auckland):
    owner, risk, indicator = an_indicator(auckland)
    indicator = Indicator.objects.select_related("risk__register").get(pk=indicator.pk)
    (reading,) = reading_record_many(
        entries=[ReadingEntry(indicator=indicator, taken_on=DEC_8, value=D(3))],
        reason="imported",
        by=owner,
    )
    assert reading.taken_on == DEC_8


def test_the_reading_form_opens_at_the_organisations_today(client, auckland):
    owner, risk, indicator = an_indicator(auckland)
    client.force_login(owner)
    page = client.get(reverse("reading_add", args=[auckland.slug, risk.ref, indicator.pk]))
    assert page.status_code == 200
    assert 'value="08/12/2026"' in page.content.decode()


def test_a_reading_posted_by_the_api_without_a_date_is_of_the_organisations_today(auckland):
    owner, risk, indicator = an_indicator(auckland)
    _, secret = api_token_create(
        user=owner, name="nightly", organisations=[auckland], read_only=False, expires_days=30
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.post(
        f"/api/v1/risks/{risk.pk}/indicators/{indicator.pk}/readings/",
        {"value": "7"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert IndicatorReading.objects.get(indicator=indicator).taken_on == DEC_8
