"""An edit or a review of one risk, or a reading of one of its indicators, locks its own row
alone until it commits: never its organisation's or its register's row (joined to read them, or
by the model's default ordering), which would hold every other edit, review and reading in the
organisation, and any change to the organisation, behind it."""

import threading
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from registers.models import Organisation, Register, Risk
from registers.services.indicators import indicator_add, reading_record
from registers.services.reviews import review_record
from registers.services.risks import risk_update
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def held_open(write):
    """``write`` in another connection's transaction, kept open (its locks held) until the end of
    the block."""
    written, finish = threading.Event(), threading.Event()
    failures = []

    def other_person():
        try:
            with transaction.atomic():
                write()
                written.set()
                finish.wait(30)
        except Exception as exc:  # surfaced below
            failures.append(exc)
            written.set()
        finally:
            connection.close()

    thread = threading.Thread(target=other_person)
    thread.start()
    assert written.wait(30)
    try:
        assert not failures
        yield
    finally:
        finish.set()
        thread.join(30)
    assert not failures


def lockable_meanwhile(risk, other):
    """Whether this connection can at once lock what a colleague's write must not hold: another
    risk of the organisation, the register, and the organisation as its own update does."""
    with transaction.atomic():
        Risk.objects.select_for_update(nowait=True).get(pk=other.pk)
        Register.objects.select_for_update(nowait=True, no_key=True).get(pk=risk.register_id)
        Organisation.objects.select_for_update(nowait=True, no_key=True).get(
            pk=risk.organisation_id
        )
    return True


@pytest.fixture
def risks(organisation):
    register = corporate_register_of(organisation)
    return RiskFactory(register=register), RiskFactory(register=register)


def test_an_edit_holds_its_risk_alone(risks):
    risk, other = risks
    edit = lambda: risk_update(  # noqa: E731
        risk=risk, expected_version=risk.version, fields={"title": "Held open"}
    )
    with held_open(edit):
        assert lockable_meanwhile(risk, other)


def test_a_review_holds_its_risk_alone(risks, organisation):
    risk, other = risks
    reviewer = MembershipFactory(organisation=organisation).user
    review = lambda: review_record(  # noqa: E731
        risk=risk, user=reviewer, expected_version=risk.version, note="Still right"
    )
    with held_open(review):
        assert lockable_meanwhile(risk, other)


def test_a_reading_holds_its_indicator_alone(risks):
    risk, other = risks
    indicator = indicator_add(
        user=None, risk=risk, name="Vacancies", amber_from=Decimal(5), red_from=Decimal(10)
    )
    reading = lambda: reading_record(  # noqa: E731
        user=None, indicator=indicator, taken_on=timezone.localdate(), value=Decimal(3)
    )
    with held_open(reading):
        assert lockable_meanwhile(risk, other)
        with transaction.atomic():
            Risk.objects.select_for_update(nowait=True).get(pk=risk.pk)
