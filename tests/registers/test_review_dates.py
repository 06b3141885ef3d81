"""A review's date (decision 115): not in the future, and not before the risk's last review (or,
never reviewed, the day it was added), so a review typed with a wrong year never moves the
risk's review dates back. The review page, the API and sign-off go through the same rule; a
review recorded late, for a meeting since the last review, is still recorded."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from registers.models import Review, ReviewState, Risk, Role
from registers.services.organisations import member_add
from registers.services.reviews import REVIEW_BEFORE_ADDED, REVIEW_BEFORE_LAST, review_record
from registers.services.sign_off import SIGN_OFF_BEFORE_LAST, review_sign_off
from tests.factories import RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def day(value: dt.date) -> str:
    return date_format(value, "j F Y")


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


@pytest.fixture
def people(organisation):
    return {
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
    }


def added_days_ago(risk: Risk, days: int) -> Risk:
    """As a risk on the register for a while (the demo's and a real register's are)."""
    Risk.objects.filter(pk=risk.pk).update(created_at=timezone.now() - dt.timedelta(days=days))
    risk.refresh_from_db()
    return risk


@pytest.fixture
def risk(organisation, people):
    risk = RiskFactory(
        register=corporate_register_of(organisation), ref="ESPO-01", owner=people["owner"]
    )
    return added_days_ago(risk, 400)


def record(risk, user, on, note="Reviewed at the meeting", **kwargs):
    risk.refresh_from_db()
    return review_record(
        risk=risk, user=user, expected_version=risk.version, note=note, reviewed_on=on, **kwargs
    )


def test_a_review_dated_before_the_last_is_refused_naming_the_earliest_date(risk, people):
    last = TODAY() - dt.timedelta(days=73)
    record(risk, people["coordinator"], last)
    risk.refresh_from_db()
    due, version = risk.next_review_due, risk.version
    with pytest.raises(ValidationError) as caught:
        record(risk, people["coordinator"], dt.date(2020, 1, 1))
    assert caught.value.message_dict == {
        "reviewed_on": [REVIEW_BEFORE_LAST.format(day=day(last), ref="ESPO-01")]
    }
    assert day(last) in caught.value.message_dict["reviewed_on"][0]
    risk.refresh_from_db()
    assert (risk.last_reviewed, risk.next_review_due, risk.version) == (last, due, version)
    assert Review.objects.filter(risk=risk).count() == 1


def test_a_review_recorded_late_for_last_weeks_meeting_is_recorded(risk, people):
    record(risk, people["coordinator"], TODAY() - dt.timedelta(days=90))
    meeting = TODAY() - dt.timedelta(days=7)
    review = record(risk, people["owner"], meeting)
    risk.refresh_from_db()
    assert review.reviewed_on == meeting == risk.last_reviewed
    # And a second review dated the same day as the last one is no step back.
    record(risk, people["coordinator"], meeting)


def test_a_risk_never_reviewed_takes_no_review_from_before_it_was_added(risk, people):
    added = TODAY() - dt.timedelta(days=400)
    assert risk.last_reviewed is None
    with pytest.raises(ValidationError) as caught:
        record(risk, people["coordinator"], added - dt.timedelta(days=1))
    assert caught.value.message_dict == {
        "reviewed_on": [REVIEW_BEFORE_ADDED.format(day=day(added), ref="ESPO-01")]
    }
    record(risk, people["coordinator"], added)
    risk.refresh_from_db()
    assert risk.last_reviewed == added


def test_the_review_page_shows_the_rule_and_changes_nothing(client, risk, people):
    last = TODAY() - dt.timedelta(days=73)
    record(risk, people["coordinator"], last)
    risk.refresh_from_db()
    client.force_login(people["coordinator"])
    response = client.post(
        reverse("risk_review", args=[risk.organisation.slug, risk.ref]),
        {
            "outcome": "unchanged",
            "note": "No change",
            "reviewed_on": "01/01/2020",
            "version": risk.version,
        },
    )
    page = response.content.decode()
    assert f"The earliest date allowed is {day(last)}" in page
    assert Risk.objects.get(pk=risk.pk).last_reviewed == last


def test_an_update_dated_before_a_review_recorded_since_is_not_signed_off(risk, people):
    register = risk.register
    register.sign_off_required = True
    register.save()
    submitted_on = TODAY() - dt.timedelta(days=10)
    submitted = record(risk, people["owner"], submitted_on, note="Water over the sill")
    assert submitted.state == ReviewState.SUBMITTED
    reviewed_since = TODAY() - dt.timedelta(days=2)
    record(risk, people["coordinator"], reviewed_since)  # an approver's own review applies
    with pytest.raises(ValidationError) as caught:
        review_sign_off(review=submitted, user=people["coordinator"])
    assert caught.value.messages == [
        SIGN_OFF_BEFORE_LAST.format(ref="ESPO-01", last=day(reviewed_since), day=day(submitted_on))
    ]
    risk.refresh_from_db()
    assert risk.last_reviewed == reviewed_since
    submitted.refresh_from_db()
    assert submitted.state == ReviewState.SUBMITTED
