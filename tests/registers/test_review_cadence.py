"""Review cadence (issue 4): the next review follows the band of the current rating unless the
register or the risk sets its own period; recording a review moves the date on; re-scoring into a
higher band brings it forward, and a re-score never pushes it later.

Sources: ESPO Risk Management Statement (2012): Low and Medium risks are reviewed yearly, High
six-monthly, Very high quarterly (the ``espo-5x5`` preset: Low 1-6, Medium 7-12, High 13-20, Very
high 21-25; review 12/12/6/3 months). University of Aberdeen Risk Management Framework (2018):
School registers are reviewed twice a year through the School Planning Process; the Project Board
reviews risk every time it meets (monthly here).
"""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from registers.models import Register, Risk
from registers.services.organisations import organisation_create, register_create
from registers.services.reviews import review_record
from registers.services.risks import risk_update
from scoring.presets import preset
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db


def months(n: int, start: dt.date | None = None) -> dt.date:
    return (start or timezone.localdate()) + relativedelta(months=n)


def reviewed(risk: Risk, positions=None, on: dt.date | None = None) -> Risk:
    risk.refresh_from_db()
    review_record(
        risk=risk,
        user=_reviewer(risk),
        expected_version=risk.version,
        positions=positions,
        reviewed_on=on,
    )
    risk.refresh_from_db()
    return risk


def _reviewer(risk: Risk):
    return MembershipFactory(organisation=risk.organisation).user


def rescored(risk: Risk, position, **fields) -> Risk:
    risk.refresh_from_db()
    return risk_update(
        risk=risk,
        expected_version=risk.version,
        positions={"current": position},
        fields=fields or None,
    )


@pytest.mark.parametrize(
    ("position", "band", "period"),
    [
        ((1, 1), "Low", 12),
        ((2, 3), "Low", 12),
        ((3, 3), "Medium", 12),
        ((3, 4), "Medium", 12),
        ((4, 4), "High", 6),
        ((4, 5), "High", 6),
        ((5, 5), "Very high", 3),
    ],
)
def test_espo_review_follows_the_band(organisation, position, band, period):
    risk = RiskFactory(
        register=corporate_register_of(organisation), positions={"current": position}
    )
    assert risk.current_band == band
    risk = reviewed(risk)
    assert risk.last_reviewed == timezone.localdate()
    assert risk.next_review_due == months(period)


def test_a_review_on_a_past_date_counts_from_that_date(organisation):
    risk = RiskFactory(register=corporate_register_of(organisation), positions={"current": (4, 4)})
    day = timezone.localdate() - dt.timedelta(days=10)
    # On the register since before then: a review is never dated before it was added.
    Risk.objects.filter(pk=risk.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    assert reviewed(risk, on=day).next_review_due == months(6, day)


def test_creating_with_a_review_date_sets_the_next(organisation):
    day = timezone.localdate()
    risk = RiskFactory(
        register=corporate_register_of(organisation), positions={"current": (5, 5)}, reviewed_on=day
    )
    assert risk.next_review_due == months(3, day)


@pytest.fixture
def aberdeen(db):
    organisation = organisation_create(
        slug="aberdeen-test",
        name="University of Aberdeen",
        scheme=preset("aberdeen-6x6"),
        appetite_preset="aberdeen",
    )
    top = corporate_register_of(organisation)
    register_create(
        organisation=organisation,
        slug="business-school",
        name="Business School",
        level="school",
        parent=top,
        review_months=6,
    )
    register_create(
        organisation=organisation,
        slug="teaching-hub",
        name="New Teaching Hub project",
        level="project",
        parent=top,
        review_months=1,
    )
    return organisation


@pytest.mark.parametrize(
    ("register", "position", "period"),
    [
        ("corporate", (5, 6), 3),  # 30 Very high: the band's 3 months
        ("corporate", (2, 2), 6),  # 4 Low: 6 months
        ("business-school", (5, 6), 6),  # school registers: twice a year, whatever the band
        ("business-school", (1, 2), 6),
        ("teaching-hub", (5, 6), 1),  # the Project Board meets monthly
        ("teaching-hub", (1, 2), 1),
    ],
)
def test_register_overrides_the_band(aberdeen, register, position, period):
    risk = RiskFactory(
        register=Register.objects.get(organisation=aberdeen, slug=register),
        positions={"current": position},
    )
    assert reviewed(risk).next_review_due == months(period)


def test_the_risks_own_period_overrides_the_register(aberdeen):
    school = Register.objects.get(organisation=aberdeen, slug="business-school")
    risk = RiskFactory(register=school, positions={"current": (5, 6)}, review_months=2)
    assert reviewed(risk).next_review_due == months(2)


def test_rescore_into_a_higher_band_brings_the_review_forward(organisation):
    risk = reviewed(
        RiskFactory(register=corporate_register_of(organisation), positions={"current": (1, 2)})
    )
    assert risk.next_review_due == months(12)  # Low
    risk = rescored(risk, (4, 4))  # High: six months from today
    assert risk.next_review_due == months(6)
    risk = rescored(risk, (5, 5))  # Very high: three months
    assert risk.next_review_due == months(3)
    assert Risk.history.filter(id=risk.id).latest("history_date").next_review_due == months(3)


def test_rescore_into_a_lower_band_never_pushes_the_review_later(organisation):
    risk = reviewed(
        RiskFactory(register=corporate_register_of(organisation), positions={"current": (5, 5)})
    )
    assert risk.next_review_due == months(3)
    assert rescored(risk, (1, 1)).next_review_due == months(3)  # Low would be 12: not later
    assert rescored(risk, (1, 2)).next_review_due == months(3)  # same band: unchanged


def test_rescore_up_keeps_an_earlier_date(organisation):
    """Brought forward only when the band's period ends sooner than the date already set."""
    soon = timezone.localdate() + dt.timedelta(days=20)
    risk = RiskFactory(
        register=corporate_register_of(organisation),
        positions={"current": (1, 1)},
        next_review_due=soon,
    )
    assert rescored(risk, (5, 5)).next_review_due == soon


def test_rescore_up_of_a_risk_with_no_review_date_gets_one(organisation):
    risk = RiskFactory(register=corporate_register_of(organisation), positions={"current": (1, 1)})
    assert risk.next_review_due is None
    assert rescored(risk, (4, 5)).next_review_due == months(6)


def test_first_rating_counts_as_a_higher_band(organisation):
    risk = RiskFactory(
        register=corporate_register_of(organisation), positions={}, next_review_due=months(24)
    )
    assert risk.current_band == ""
    assert rescored(risk, (5, 5)).next_review_due == months(3)


def test_editing_without_a_rescore_leaves_the_date(organisation):
    risk = reviewed(
        RiskFactory(register=corporate_register_of(organisation), positions={"current": (1, 1)})
    )
    risk = risk_update(risk=risk, expected_version=risk.version, fields={"title": "Renamed"})
    assert risk.next_review_due == months(12)


def test_rescore_up_with_an_override_uses_the_override(aberdeen):
    school = Register.objects.get(organisation=aberdeen, slug="business-school")
    risk = RiskFactory(register=school, positions={"current": (1, 2)}, next_review_due=months(9))
    assert rescored(risk, (5, 6)).next_review_due == months(6)


def test_an_editor_may_set_an_earlier_date_with_the_rescore(organisation):
    risk = reviewed(
        RiskFactory(register=corporate_register_of(organisation), positions={"current": (1, 1)})
    )
    earlier = timezone.localdate() + dt.timedelta(days=7)
    assert rescored(risk, (5, 5), next_review_due=earlier).next_review_due == earlier
    later = months(11)
    assert rescored(risk, (5, 5), next_review_due=later).next_review_due == later  # same band


def test_review_with_a_rescore_into_a_higher_band(organisation):
    risk = reviewed(
        RiskFactory(register=corporate_register_of(organisation), positions={"current": (1, 1)})
    )
    assert risk.next_review_due == months(12)
    risk = reviewed(risk, positions={"current": (5, 5)})
    assert risk.next_review_due == months(3)
    # A review moves the date on, also into a lower band: the review is what lets it go later.
    risk = reviewed(risk, positions={"current": (1, 1)})
    assert risk.next_review_due == months(12)
