"""An indicator's start day (the ``since`` its first reading is due from, and staleness judged
from) is read in its organisation's timezone, as every other date of the organisation: the risk
page, the register column, the dashboard, the reminders, the API and the packs agree, and none
uses the server's date (``indicator_start_day``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import api_token_create
from registers.models import Indicator, Organisation, Role
from registers.selectors.indicator_lists import (
    indicator_summaries,
    open_risk_indicators,
    red_or_stale,
)
from registers.selectors.indicators import indicator_start_day
from registers.services.indicators import indicator_add
from registers.views.indicator_context import risk_indicators
from reporting.reminders.selection import DAILY, digests_for
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db

# Set up at 00:30 on 25 April in Auckland (NZST, UTC+12), which is still 24 April in London, the
# server's zone. A monthly indicator's first reading is due 31 days on: 26 May in Auckland
# (25 May as London reads it), stale after a week's grace: from 3 June (2 June for London).
SET_UP = dt.datetime(2026, 4, 24, 12, 30, tzinfo=dt.UTC)
STARTED = dt.date(2026, 4, 25)
FIRST_DUE = dt.date(2026, 5, 26)
TUESDAY = dt.date(2026, 6, 2)  # the last day it is not stale, in Auckland


@pytest.fixture
def auckland(organisation):
    Organisation.objects.filter(pk=organisation.pk).update(timezone="Pacific/Auckland")
    organisation.refresh_from_db()
    return organisation


@pytest.fixture
def setting(auckland):
    owner = MembershipFactory(organisation=auckland, role=Role.COORDINATOR).user
    risk = RiskFactory(register=corporate_register_of(auckland), ref="AKL1", owner=owner)
    made = indicator_add(
        user=owner, risk=risk, name="Ferry delays", amber_from=D(5), red_from=D(10), owner=owner
    )
    Indicator.objects.filter(pk=made.pk).update(created_at=SET_UP)
    made.refresh_from_db()
    return owner, risk, made


def test_the_start_day_is_the_organisations_not_the_servers(auckland, setting):
    _, _, indicator = setting
    assert timezone.localdate(indicator.created_at) == STARTED - dt.timedelta(days=1)  # London
    assert indicator_start_day(indicator, organisation=auckland) == STARTED


def test_the_risk_page_says_when_the_first_reading_is_due(client, auckland, setting):
    owner, risk, _ = setting
    (shown,) = risk_indicators(risk, organisation=auckland, today=TUESDAY)
    assert shown.standing.next_due == FIRST_DUE and not shown.standing.stale
    client.force_login(owner)
    page = client.get(reverse("risk", args=[auckland.slug, risk.ref])).content.decode()
    assert "next by 26 May 2026" in page and "next by 25 May 2026" not in page


def test_the_register_column_and_the_dashboard_do_not_call_it_stale_a_day_early(auckland, setting):
    _, risk, _ = setting
    (summary,) = indicator_summaries([risk.id], organisation=auckland, today=TUESDAY).values()
    assert summary.stale == 0
    flagged = red_or_stale(
        open_risk_indicators(organisation=auckland), organisation=auckland, today=TUESDAY
    )
    assert flagged.total == 0
    wednesday = TUESDAY + dt.timedelta(days=1)
    (summary,) = indicator_summaries([risk.id], organisation=auckland, today=wednesday).values()
    assert summary.stale == 1


def _indicator_lines(organisation, user, today):
    for digest in digests_for(organisation=organisation, today=today):
        if digest.user.id == user.id and digest.kind == DAILY:
            return [line for line in digest.lines if line.kind == "indicator"]
    return []


def test_the_reminder_chases_it_from_the_organisations_day(auckland, setting):
    owner, _, _ = setting
    assert _indicator_lines(auckland, owner, TUESDAY) == []
    (line,) = _indicator_lines(auckland, owner, TUESDAY + dt.timedelta(days=1))
    assert line.due == FIRST_DUE


def test_the_api_gives_the_organisations_due_day(auckland, setting):
    owner, risk, _ = setting
    _, secret = api_token_create(
        user=owner, name="script", organisations=[auckland], read_only=True, expires_days=30
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.get(f"/api/v1/risks/{risk.pk}/indicators/")
    assert response.status_code == 200
    (shown,) = response.json()["results"]
    assert shown["next_reading_due"] == FIRST_DUE.isoformat()
