"""Searching a register never reveals what the page withholds, and a risk waiting on an
escalation decision cannot be closed behind the deciders' backs."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from registers.models import Marking, Membership, Register, Role
from registers.services.escalation import escalation_request
from registers.services.organisations import register_create
from registers.services.risks import risk_close
from tests.factories import MembershipFactory, RiskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sensitive(organisation):
    register = Register.objects.get(organisation=organisation, slug="corporate")
    return RiskFactory(
        register=register,
        ref="S1",
        title="Informant handling",
        description="codeword BLUEBIRD",
        marking=Marking.OFFICIAL_SENSITIVE,
    )


def found(client, organisation, query):
    response = client.get(reverse("register", args=[organisation.slug, "corporate"]), {"q": query})
    return [row.risk.ref for row in response.context["rows"]]


def test_uncleared_viewer_cannot_find_a_sensitive_risk_by_its_description(
    client, organisation, sensitive
):
    viewer = MembershipFactory(organisation=organisation, role=Role.VIEWER).user
    client.force_login(viewer)
    assert found(client, organisation, "BLUEBIRD") == []
    assert found(client, organisation, "Informant") == ["S1"]  # the title is not withheld
    Membership.objects.filter(user=viewer).update(sensitive_access=True)
    assert found(client, organisation, "BLUEBIRD") == ["S1"]


def test_coordinator_finds_it(client, organisation, sensitive):
    client.force_login(MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user)
    assert found(client, organisation, "BLUEBIRD") == ["S1"]


def test_closing_a_risk_with_a_pending_escalation_is_refused(organisation):
    corporate = Register.objects.get(organisation=organisation, slug="corporate")
    school = register_create(
        organisation=organisation, slug="school", name="School", level="school", parent=corporate
    )
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    risk = RiskFactory(register=school, ref="SC1")
    escalation_request(risk=risk, user=coordinator, reason="Too big for the school")
    risk.refresh_from_db()
    with pytest.raises(ValidationError, match="escalation waiting for a decision"):
        risk_close(risk=risk, expected_version=risk.version, reason="Fixed")
