"""The organisations API and the calendar fields (committee months, reminder notice period): the
shape documents the model's bounds, no committee months reads as [], and the API takes no
organisation writes (405, never a 500)."""

import pytest

from api.serializers_organisations import CalendarSerializer
from registers.models import Role
from registers.models.organisations import REMINDER_NOTICE_MAX, REMINDER_NOTICE_MIN
from registers.services import profile
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


def test_the_api_shows_no_committee_months_and_the_notice_period(
    organisation, admin, token_for, api
):
    profile.organisation_profile_set(
        organisation=organisation, by=admin, committee_months=[], reminder_notice_days=30
    )
    _, secret = token_for(admin, [organisation])
    calendar = api(secret).get(f"/api/v1/organisations/{organisation.slug}/").json()["calendar"]
    assert calendar["committee_months"] == []
    assert calendar["reminder_notice_days"] == 30
    fields = CalendarSerializer().fields
    assert (
        fields["committee_months"].child.min_value,
        fields["committee_months"].child.max_value,
    ) == (
        1,
        12,
    )
    assert (
        fields["reminder_notice_days"].min_value,
        fields["reminder_notice_days"].max_value,
    ) == (REMINDER_NOTICE_MIN, REMINDER_NOTICE_MAX)


@pytest.mark.parametrize("method", ["patch", "put", "post"])
def test_the_api_takes_no_organisation_writes(organisation, admin, token_for, api, method):
    """The organisations API is read only: a write of an out-of-range value is a 4xx (405),
    never a 500, and changes nothing."""
    _, secret = token_for(admin, [organisation], read_only=False)
    client = api(secret)
    url = f"/api/v1/organisations/{organisation.slug}/"
    response = getattr(client, method)(
        url, {"reminder_notice_days": 1000, "committee_months": [13]}, format="json"
    )
    assert response.status_code == 405
    organisation.refresh_from_db()
    assert (organisation.reminder_notice_days, organisation.committee_months) == (14, [3, 9])
