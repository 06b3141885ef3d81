"""Stale key risk indicators in their owner's reminder digest (issue 18)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core import mail

from registers.models import Indicator, Marking, Role
from registers.services.indicators import indicator_add, reading_record
from reporting.models import DigestFrequency, ReminderPreference
from reporting.reminders.selection import DAILY, digests_for
from reporting.reminders.sending import send_reminders
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db

TUESDAY = dt.date(2026, 6, 2)


def lines_for(organisation, user, today=TUESDAY):
    for digest in digests_for(organisation=organisation, today=today):
        if digest.user.id == user.id and digest.kind == DAILY:
            return digest.lines
    return []


@pytest.fixture
def setting(organisation):
    owner = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    reader = MembershipFactory(organisation=organisation, role=Role.VIEWER).user
    risk = RiskFactory(register=corporate_register_of(organisation), ref="CRR1", owner=owner)
    made = indicator_add(
        user=owner, risk=risk, name="Vacancy rate", amber_from=D(5), red_from=D(10), owner=reader
    )
    return owner, reader, risk, made


def read(indicator, user, day):
    reading_record(user=user, indicator=indicator, taken_on=day, value=D(1), today=day)


def test_a_stale_indicator_is_in_its_owners_digest(organisation, setting):
    owner, reader, risk, indicator = setting
    read(indicator, reader, TUESDAY - dt.timedelta(days=40))  # monthly: due 31 days on, +7
    lines = lines_for(organisation, reader)
    assert [line.text for line in lines] == [
        "Record a reading of Vacancy rate (CRR1): it is overdue"
    ]
    assert lines[0].overdue and lines[0].url.endswith(f"#indicator-{indicator.pk}")
    assert lines[0].due == TUESDAY - dt.timedelta(days=9)
    assert lines_for(organisation, owner) == []  # the indicator's owner is chased, not the risk's


def test_a_fresh_reading_or_a_retired_indicator_is_not_chased(organisation, setting):
    owner, reader, risk, indicator = setting
    read(indicator, reader, TUESDAY - dt.timedelta(days=30))
    assert lines_for(organisation, reader) == []
    read(indicator, reader, TUESDAY - dt.timedelta(days=60))
    assert lines_for(organisation, reader) == []  # the latest reading counts
    Indicator.objects.filter(pk=indicator.pk).update(
        retired_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    )
    Indicator.objects.filter(pk=indicator.pk).update(
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    assert lines_for(organisation, reader) == []


def test_an_indicator_without_an_owner_is_chased_with_the_risks_owner(organisation, setting):
    owner, reader, risk, indicator = setting
    Indicator.objects.filter(pk=indicator.pk).update(
        owner=None, created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    assert [line.kind for line in lines_for(organisation, owner)] == ["indicator"]


def test_a_sensitive_indicator_is_named_only_to_those_cleared(organisation, setting):
    owner, reader, risk, indicator = setting
    type(risk).objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    Indicator.objects.filter(pk=indicator.pk).update(
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    [line] = lines_for(organisation, reader)
    assert "Vacancy rate" not in line.text and "Withheld" in line.text


def test_never_preference_still_gets_a_stale_indicator_and_the_email_says_so(
    organisation, setting, send_queued_email
):
    owner, reader, risk, indicator = setting
    membership = reader.memberships.get(organisation=organisation)
    ReminderPreference.objects.create(membership=membership, frequency=DigestFrequency.NEVER)
    Indicator.objects.filter(pk=indicator.pk).update(
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    with send_queued_email():
        send_reminders(today=TUESDAY)
    [email] = [m for m in mail.outbox if m.to == [reader.email]]
    assert "Record a reading of Vacancy rate (CRR1)" in email.body
    assert "readings of your key risk indicators that are overdue" in email.body
