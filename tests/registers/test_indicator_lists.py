"""Key risk indicators in lists (issue 18): the register's "Indicators" column and the dashboard's
"Indicators red or stale", their queries flat, sensitive names withheld."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from registers import caching
from registers.models import Marking, Role
from registers.services.indicators import indicator_add, reading_record
from tests.factories import MembershipFactory, RiskFactory
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(organisation):
    return MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user


def indicator(risk, user, name, value=None, *, days_ago=0):
    made = indicator_add(
        user=user, risk=risk, name=name, unit="%", amber_from=D(5), red_from=D(10), owner=user
    )
    if value is not None:
        reading_record(
            user=user,
            indicator=made,
            taken_on=timezone.localdate() - dt.timedelta(days=days_ago),
            value=D(value),
        )
    return made


def test_register_column_shows_the_worst_status_and_how_many_are_stale(
    client, corporate_register, coordinator
):
    risk = RiskFactory(register=corporate_register, ref="CRR1")
    indicator(risk, coordinator, "Vacancies", 12)
    indicator(risk, coordinator, "Sickness", 1, days_ago=90)
    RiskFactory(register=corporate_register, ref="CRR2")
    client.force_login(coordinator)
    url = reverse("register", args=[corporate_register.organisation.slug, "corporate"])
    plain = client.get(url).content.decode()
    assert 'data-label="Indicators"' not in plain
    assert "Show a column of key risk indicators" in plain
    page = client.get(url, {"indicators": "shown"}).content.decode()
    assert ">Indicators</th>" in page
    assert '>Red</strong> <strong class="govuk-tag govuk-tag--yellow">1 stale</strong>' in page
    assert "2 indicators" in page


def test_register_column_queries_do_not_grow(client, corporate_register, coordinator):
    client.force_login(coordinator)
    url = reverse("register", args=[corporate_register.organisation.slug, "corporate"])
    made = [0]

    def grow(n):
        for _ in range(n):
            made[0] += 1
            risk = RiskFactory(register=corporate_register, ref=f"CRR{made[0]}")
            indicator(risk, coordinator, f"Measure {made[0]}", made[0])

    grow(2)
    client.get(url, {"indicators": "shown"})
    _, response = assert_same_queries(
        lambda: client.get(url, {"indicators": "shown"}), lambda: grow(8)
    )
    assert "Measure 10" not in response.content.decode()  # names are on the risk page only
    assert response.content.decode().count('data-label="Indicators"') == 10


def test_dashboard_lists_indicators_red_or_stale_with_a_count(
    client, organisation, corporate_register, coordinator
):
    risk = RiskFactory(register=corporate_register, ref="CRR1")
    indicator(risk, coordinator, "Vacancies", 12)
    indicator(risk, coordinator, "Sickness", 1, days_ago=90)
    indicator(risk, coordinator, "Overtime", 1)  # green and read: not listed
    client.force_login(coordinator)
    response = client.get(reverse("organisation", args=[organisation.slug]))
    page = response.content.decode()
    assert "Indicators red or stale" in page
    assert "Vacancies" in page and "Sickness" in page and "Overtime" not in page
    assert "overdue for a reading: 2" in page
    assert response.context["indicators_flagged"].indicators[0].name == "Vacancies"  # red first


def test_dashboard_withholds_sensitive_indicator_names(
    client, organisation, corporate_register, coordinator
):
    risk = RiskFactory(register=corporate_register, ref="CRR1", marking=Marking.OFFICIAL_SENSITIVE)
    indicator(risk, coordinator, "Informants exposed", 12)
    viewer = MembershipFactory(organisation=organisation, role=Role.VIEWER).user
    client.force_login(viewer)
    page = client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    assert "Informants exposed" not in page
    assert "Withheld: OFFICIAL-SENSITIVE" in page


def test_dashboard_indicator_panel_queries_do_not_grow(
    client, organisation, corporate_register, coordinator
):
    client.force_login(coordinator)
    url = reverse("organisation", args=[organisation.slug])
    made = [0]

    def grow(n):
        for _ in range(n):
            made[0] += 1
            risk = RiskFactory(register=corporate_register, ref=f"CRR{made[0]}")
            indicator(risk, coordinator, f"Measure {made[0]}", 20)

    def first_view_after_a_write():  # the cached overview counted again (decision 67)
        caching.organisation_changed(organisation.id)
        return client.get(url)

    grow(2)
    client.get(url)
    _, response = assert_same_queries(first_view_after_a_write, lambda: grow(12))
    assert response.context["indicators_flagged"].total == 14
