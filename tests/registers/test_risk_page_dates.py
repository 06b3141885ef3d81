"""The risk page reads "today" where the organisation is (registers/calendar.py), as every other
page does: an action due yesterday there is overdue even while it is still that day in London,
and a risk added from the page is reviewed on the organisation's day."""

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse

from registers.models import Risk, Role
from registers.services.organisations import member_add
from tests.factories import ActionFactory, RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db

# 12:30 UTC on 7 December: 01:30 on 8 December in Auckland, still the 7th in London.
NOON_IN_LONDON = dt.datetime(2026, 12, 7, 12, 30, tzinfo=dt.UTC)


@pytest.fixture
def auckland(organisation):
    organisation.timezone = "Pacific/Auckland"
    organisation.save(update_fields=["timezone"])
    return organisation


def test_an_action_due_yesterday_where_the_organisation_is_shows_overdue(client, auckland):
    coordinator = member_add(
        organisation=auckland, email="cora@x.test", role=Role.COORDINATOR, full_name="Cora"
    ).user
    risk = RiskFactory(register=corporate_register_of(auckland), ref="R1", owner=coordinator)
    ActionFactory(risk=risk, description="Rewire the depot", due_date=dt.date(2026, 12, 7))
    client.force_login(coordinator)
    with mock.patch("django.utils.timezone.now", return_value=NOON_IN_LONDON):
        page = client.get(reverse("risk", args=[auckland.slug, risk.ref])).content.decode()
    row = page[page.index("Rewire the depot") :]
    row = row[: row.index("</tr>")]
    assert "Overdue" in row


def test_a_risk_added_on_the_page_is_reviewed_on_the_organisations_day(client, auckland):
    coordinator = member_add(
        organisation=auckland, email="cora@x.test", role=Role.COORDINATOR, full_name="Cora"
    ).user
    register = corporate_register_of(auckland)
    client.force_login(coordinator)
    with mock.patch("django.utils.timezone.now", return_value=NOON_IN_LONDON):
        response = client.post(
            reverse("risk_create", args=[auckland.slug, register.slug]),
            {
                "ref": "R9",
                "title": "Flooding at the depot",
                "description": "Heavy rain overwhelms the drains.",
                "kind": "threat",
                "marking": "OFFICIAL",
                "response": "Treat",
                "current_likelihood": "3",
                "current_impact": "4",
            },
        )
    assert response.status_code == 302, response.content.decode()[-2000:]
    risk = Risk.objects.get(organisation=auckland, ref="R9")
    assert risk.last_reviewed == dt.date(2026, 12, 8)
