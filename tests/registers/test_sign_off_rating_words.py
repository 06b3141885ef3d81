"""The sign-off page writes the rating last signed off as every page writes a rating, "12
(Medium)" (``Rating.label`` through ``partials/rating.html``), not "(Medium, 12)" (decision 135)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registers.models import Role
from registers.services.organisations import member_add
from registers.services.reviews import review_record
from tests.factories import RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


def test_the_rating_last_signed_off_is_written_as_everywhere(client, organisation):
    owner = person(organisation, Role.OWNER, "Owen Owner")
    coordinator = person(organisation, Role.COORDINATOR, "Cora Coordinator")
    register = corporate_register_of(organisation)
    register.sign_off_required = True
    register.save()
    risk = RiskFactory(register=register, ref="CRR09", owner=owner, positions={"current": (3, 4)})
    review = review_record(
        risk=risk,
        user=owner,
        expected_version=risk.version,
        note="x",
        positions={"current": (4, 4)},
    )
    client.force_login(coordinator)
    response = client.get(reverse("review_decide", args=[organisation.slug, risk.ref, review.pk]))
    html = " ".join(response.content.decode().split())
    risk.refresh_from_db()
    score, band = risk.current_score, risk.current_band
    assert f"({band}, {score})" not in html
    row = html.index("Current rating last signed off</dt>")
    assert html.index(f">{score} ({band})</span>", row) < html.index("rating asked for", row)
