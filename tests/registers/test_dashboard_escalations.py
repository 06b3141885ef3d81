"""The dashboard tells the receiving register's coordinators what waits for their decision."""

import pytest
from django.urls import reverse

from registers.models import Register, Role
from registers.services.escalation import escalation_request
from registers.services.organisations import register_create
from tests.factories import MembershipFactory, RiskFactory

pytestmark = pytest.mark.django_db


def test_pending_escalation_is_listed_for_deciders_only(client, organisation):
    corporate = Register.objects.get(organisation=organisation, slug="corporate")
    school = register_create(
        organisation=organisation,
        slug="school",
        name="School of Law",
        level="school",
        parent=corporate,
    )
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    viewer = MembershipFactory(organisation=organisation, role=Role.VIEWER).user
    risk = RiskFactory(register=school, ref="LAW1", title="Accreditation lapses")
    escalation_request(risk=risk, user=coordinator, reason="Needs university-level action")
    url = reverse("organisation", args=[organisation.slug])

    client.force_login(coordinator)
    page = client.get(url).content.decode()
    assert "Waiting for your decision" in page and "LAW1 Accreditation lapses" in page
    assert reverse("escalation_decide", args=[organisation.slug, risk.escalations.get().pk]) in page

    client.force_login(viewer)
    assert "Waiting for your decision" not in client.get(url).content.decode()
