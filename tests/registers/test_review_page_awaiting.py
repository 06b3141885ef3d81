"""The review page says, before anything is typed, that an update of the risk awaits sign-off:
someone else's refuses a review until it is signed off or sent back (the form is not offered,
only the way back), the member's own is replaced by a review recorded now. Before, the page
offered the form and refused it only on saving (``SIGN_OFF_PENDING_OTHER``)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from registers.models import Review, ReviewState
from tests.registers import test_sign_off as sign_off
from tests.registers.test_sign_off import submit, url

pytestmark = pytest.mark.django_db

# The sign-off tests' people, register requiring sign-off, and risk.
people, register, risk = sign_off.people, sign_off.register, sign_off.risk


def review_page(client, user, risk):
    client.force_login(user)
    return client.get(url("risk_review", risk))


def today_words():
    return timezone.localdate().strftime("%-d %B %Y")


def test_someone_elses_update_awaiting_sign_off_is_said_and_no_form_offered(client, risk, people):
    submit(risk, people["owner"])
    response = review_page(client, people["manager"], risk)
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Owen Owner’s update of {today_words()} has not been signed off yet." in page
    assert (
        f"It must be signed off or sent back before you can record a review of {risk.ref}" in page
    )
    assert 'name="outcome"' not in page and "Record review</button>" not in page
    assert f"Back to {risk.ref}</a>" in page


def test_their_own_update_awaiting_sign_off_is_said_and_the_form_offered(client, risk, people):
    submit(risk, people["owner"])
    page = review_page(client, people["owner"], risk).content.decode()
    assert f"Your update of {today_words()} has not been signed off yet." in page
    assert "A review recorded now replaces it" in page
    assert "Record review</button>" in page


def test_a_refused_post_keeps_what_was_typed_on_the_page(client, risk, people):
    submit(risk, people["owner"])
    client.force_login(people["manager"])
    risk.refresh_from_db()
    response = client.post(
        url("risk_review", risk),
        {"version": risk.version, "outcome": "unchanged", "note": "Sandbags ordered for the gate"},
    )
    page = response.content.decode()
    assert response.status_code in (200, 400)
    assert "Sandbags ordered for the gate" in page and "Record review</button>" in page
    assert not Review.objects.filter(risk=risk, reviewed_by=people["manager"]).exists()


def test_nothing_is_said_to_an_approver_or_when_nothing_waits(client, risk, people):
    page = review_page(client, people["manager"], risk).content.decode()
    assert 'id="awaiting-sign-off"' not in page and "Record review</button>" in page
    submit(risk, people["owner"])
    assert Review.objects.filter(risk=risk, state=ReviewState.SUBMITTED).exists()
    page = review_page(client, people["coordinator"], risk).content.decode()
    assert 'id="awaiting-sign-off"' not in page and "Record review</button>" in page
