"""The period's update (issue 16): an owner writes it when recording a review (the review's
note, docs/decisions.md); the review page and the risk page show the updates with their date
and author, newest first, and never to a member not cleared for an OFFICIAL-SENSITIVE risk."""

import datetime as dt
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from registers.models import Marking, Review, Risk, Role
from registers.services.organisations import member_add
from registers.services.reviews import RESCORE_UNCHANGED, review_record
from tests.factories import RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db

LABEL = "This period&#x27;s update: what changed and what is being done"


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


@pytest.fixture
def people(organisation):
    return {
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "viewer": person(organisation, Role.VIEWER, "Vic Viewer"),
    }


@pytest.fixture
def risk(organisation, people):
    return RiskFactory(
        register=corporate_register_of(organisation),
        ref="CRR09",
        title="Flooding at the depot",
        owner=people["owner"],
    )


def url(name, risk):
    return reverse(name, args=[risk.organisation.slug, risk.ref])


def test_owner_writes_the_update_when_recording_a_review(client, risk, people):
    client.force_login(people["owner"])
    page = client.get(url("risk_review", risk)).content.decode()
    assert LABEL in page
    assert "Earlier updates" not in page  # nothing written yet
    response = client.post(
        url("risk_review", risk),
        {
            "outcome": "unchanged",
            "version": risk.version,
            "note": "Sandbags stocked; drainage survey booked for March.",
        },
    )
    assert response.status_code == 302
    review = Review.objects.get(risk=risk)
    assert review.note == "Sandbags stocked; drainage survey booked for March."
    assert review.reviewed_by == people["owner"]
    shown = client.get(url("risk", risk)).content.decode()
    updates = shown[shown.index('id="updates"') : shown.index('id="history"')]
    assert "Sandbags stocked; drainage survey booked for March." in updates
    assert timezone.localdate().strftime("%-d %B %Y") in updates
    assert "Owen Owner" in updates


def test_no_change_review_needs_its_update(client, risk, people):
    client.force_login(people["owner"])
    response = client.post(url("risk_review", risk), {"outcome": "unchanged", "version": 1})
    assert "Write this period&#x27;s update: what changed and what is being done" in (
        response.content.decode()
    )
    assert not Review.objects.exists()


def test_updates_newest_first_on_the_risk_and_review_pages(client, risk, people):
    today = timezone.localdate()
    # On the register since before then: a review is never dated before it was added.
    Risk.objects.filter(pk=risk.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    for days, note in ((20, "First update."), (10, "Second update."), (0, "")):
        risk.refresh_from_db()
        review_record(
            risk=risk,
            user=people["coordinator"] if days == 10 else people["owner"],
            expected_version=risk.version,
            note=note,
            positions={"current": (2, 2)} if not note else None,
            reviewed_on=today - dt.timedelta(days=days),
        )
    client.force_login(people["owner"])
    page = client.get(url("risk", risk)).content.decode()
    updates = page[page.index('id="updates"') : page.index('id="history"')]
    assert updates.index("Second update.") < updates.index("First update.")
    assert "Cora Coordinator" in updates
    assert (today - dt.timedelta(days=20)).strftime("%-d %B %Y") in updates
    assert updates.count("govuk-table__row") == 3  # a re-score with no update is not one
    review_page = client.get(url("risk_review", risk)).content.decode()
    assert "Earlier updates" in review_page
    assert "Second update." in review_page and "First update." in review_page


def test_updates_of_a_sensitive_risk_are_withheld_from_members_not_cleared(client, risk, people):
    review_record(
        risk=risk,
        user=people["owner"],
        expected_version=risk.version,
        note="Informant moved to a safe house.",
    )
    Risk.objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    client.force_login(people["viewer"])
    page = client.get(url("risk", risk)).content.decode()
    assert "Informant moved" not in page
    assert 'id="updates"' not in page
    client.force_login(people["coordinator"])
    assert "Informant moved to a safe house." in client.get(url("risk", risk)).content.decode()


def test_a_rescore_to_the_current_rating_is_refused_not_recorded_as_a_change(client, risk, people):
    """The review page's "re-score it" left at the current rating changes nothing: the page
    says so, and nothing is recorded (it was "Reviewed and re-scored")."""
    client.force_login(people["owner"])
    response = client.post(
        url("risk_review", risk),
        {
            "outcome": "rescore",
            "current_likelihood": risk.current_likelihood,
            "current_impact": risk.current_impact,
            "note": "Looked again at the depot.",
            "version": risk.version,
        },
    )
    page = response.content.decode()
    assert RESCORE_UNCHANGED[0].upper() + RESCORE_UNCHANGED[1:] in unescape(page)
    assert not Review.objects.filter(risk=risk).exists()
    assert Risk.objects.get(pk=risk.pk).version == risk.version
    with pytest.raises(ValidationError) as caught:  # the service, for every caller
        review_record(
            risk=risk,
            user=people["owner"],
            expected_version=risk.version,
            positions={"current": (risk.current_likelihood, risk.current_impact)},
        )
    assert caught.value.message_dict == {"current_likelihood": [RESCORE_UNCHANGED]}
